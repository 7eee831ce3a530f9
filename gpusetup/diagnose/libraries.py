"""CUDA and cuDNN libraries: found where TensorFlow's dlopen looks, loadable, and the
linker cache and search path in a sane state."""

from __future__ import annotations

import os
from collections import defaultdict

from gpusetup.diagnose import LIBRARIES, Context, Verdict, check, shown
from gpusetup.facts import LibraryFacts, Requirement
from gpusetup.findings import Finding, Status
from gpusetup.knowledge import KnowledgeError, TensorFlowBuild, find_tensorflow_build
from gpusetup.libs import sonames
from gpusetup.libs.requirements import library_stem
from gpusetup.libs.resolve import Resolution, resolve_from_facts, search_lines

LDCONFIG_LASTING = (
    "`ldconfig DIR` alone lasts only until the next ldconfig run (every package install "
    "runs one); a line in /etc/ld.so.conf.d/ makes it permanent."
)


def _version(libs: LibraryFacts, path: str | None) -> str | None:
    file = libs.files.get(path) if path else None
    return file.version if file else None


def _copies_text(libs: LibraryFacts, soname: str) -> list[str]:
    out = []
    for copy in libs.copies.get(library_stem(soname), []):
        kind = "on the search path" if copy.on_path else "off the search path"
        out.append(f"{copy.soname} at {copy.path} ({copy.where}; {kind})")
    return out


def _target_build(ctx: Context, libs: LibraryFacts) -> TensorFlowBuild | None:
    """The table row of the TensorFlow the libraries are judged for: the installed one,
    else the target."""
    installed = libs.tensorflow.version if libs.tensorflow else None
    if installed:
        try:
            return find_tensorflow_build(installed)
        except KnowledgeError:
            return None
    return ctx.target


def _machine(ctx: Context) -> str | None:
    return ctx.facts.host.machine if ctx.facts.host else None


def cpu_only_platform(ctx: Context, build: TensorFlowBuild | None) -> str | None:
    """The machine (aarch64) when PyPI's TensorFlow wheels for it are CPU-only builds."""
    machine = _machine(ctx)
    if build is None or machine is None or build.gpu_wheels_on(machine):
        return None
    return machine


def _cpu_only_text(machine: str) -> str:
    return (
        f"TensorFlow's Linux {machine} wheels on PyPI are CPU-only builds (their build_info "
        "says is_cuda_build False): no pip install gives TensorFlow a GPU here. On a Jetson, "
        "install NVIDIA's TensorFlow for JetPack; otherwise build TensorFlow from source."
    )


def _install_fix(ctx: Context, libs: LibraryFacts, req: Requirement) -> str:
    """One fix for every missing CUDA library (findings that share it are shown once)."""
    build = _target_build(ctx, libs)
    packages = sorted(
        {
            r.pip_package
            for r in libs.requirements
            if r.pip_package and r.component not in ("cudnn", "driver")
        }
    )
    if req.pip_package and req.pip_package not in packages:
        packages.append(req.pip_package)
    just_libraries = (
        "or just the CUDA libraries: python -m pip install " + " ".join(packages)
        if packages
        else None
    )
    if machine := cpu_only_platform(ctx, build):
        return "\n".join([_cpu_only_text(machine)] + ([just_libraries] if just_libraries else []))
    if build is not None and not build.and_cuda:
        return (
            f"TensorFlow {build.version} has no [and-cuda] extra: install CUDA {build.cuda} "
            f"and cuDNN {build.cudnn} (NVIDIA's packages or conda) and add their lib directory "
            "to the loader's path (sudo gpusetup fix ldconfig DIR --apply); or use "
            "TensorFlow 2.14 or later: python -m pip install 'tensorflow[and-cuda]'"
        )
    tf_version = libs.tensorflow.version if libs.tensorflow else None
    target = f"=={tf_version}" if tf_version else ""
    lines = [
        f"python -m pip install 'tensorflow[and-cuda]{target}'   # TensorFlow with its "
        "CUDA libraries as pip packages"
    ]
    if req.component == "cudnn":
        major = req.soname.rsplit(".", 1)[-1]
        package = req.pip_package or "nvidia-cudnn-cu12"
        lines.append(f"or just cuDNN {major}: python -m pip install '{package}=={major}.*'")
        lines.append("Never symlink one cuDNN major version to another's name: the ABI differs.")
        return "\n".join(lines)
    if just_libraries:
        lines.append(just_libraries)
    return "\n".join(lines)


@check(
    "libs.tensorflow-build",
    "The installed TensorFlow is a GPU build",
    needs=(shown("libs.tensorflow"), LIBRARIES),
)
def tensorflow_build(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the installed TensorFlow was built with CUDA (its build_info says
    is_cuda_build), read without importing TensorFlow.

    Why it matters: `tensorflow-cpu`, and TensorFlow wheels for platforms without GPU
    support, never use a GPU however well the machine is set up. PyPI's Linux aarch64
    TensorFlow wheels are all CPU-only builds (checks/data/tensorflow.toml gpu_machines),
    so on an Arm machine no pip install gives TensorFlow the GPU.

    Fix: replace it with the GPU build: `pip uninstall tensorflow-cpu` then
    `pip install 'tensorflow[and-cuda]'`; on aarch64, a build made for the platform
    (NVIDIA's TensorFlow for JetPack on a Jetson) or one built from source.
    """
    libs = ctx.libs
    tf = libs.tensorflow
    if tf is None:
        machine = cpu_only_platform(ctx, ctx.target) if ctx.has_gpu else None
        if machine:
            return [
                v.warn(
                    f"TensorFlow from PyPI cannot use the GPU on Linux {machine}",
                    detail="TensorFlow is not installed in this Python environment, and "
                    "`pip install tensorflow` would install a CPU-only build here.",
                    evidence={"machine": machine},
                    fix=_cpu_only_text(machine),
                )
            ]
        return [
            v.skip(
                "TensorFlow is not installed in this Python environment.",
            )
        ]
    if tf.is_cuda_build:
        return [
            v.passed(
                f"{tf.distribution} {tf.version} is built with CUDA {tf.cuda_version}",
                evidence={"location": tf.location},
            )
        ]
    machine = cpu_only_platform(ctx, _target_build(ctx, libs))
    fix = (
        _cpu_only_text(machine)
        if machine
        else f"python -m pip uninstall -y {tf.distribution or 'tensorflow'}\n"
        f"python -m pip install 'tensorflow[and-cuda]=={tf.version}'"
    )
    return [
        v.fail(
            f"{tf.distribution or 'tensorflow'} {tf.version} is a CPU-only build",
            detail="It will never use the GPU, whatever the libraries."
            + (f" PyPI has no GPU build of TensorFlow for Linux {machine}." if machine else ""),
            evidence={"location": tf.location, "is_cuda_build": tf.is_cuda_build},
            fix=fix,
        )
    ]


def _describe_miss(
    ctx: Context, v: Verdict, libs: LibraryFacts, req: Requirement, res: Resolution
) -> Finding:
    evidence: dict[str, object] = {"searched": search_lines(res)}
    copies = _copies_text(libs, req.soname)
    if copies:
        evidence["copies found"] = copies
    if res.fatal:
        return v.fail(
            f"{req.soname} cannot be loaded: {res.fatal}",
            detail=f"The loader stops at {res.path}, which is not a shared library.",
            evidence=evidence,
            fix=f"Remove or replace {res.path}.",
            subject=req.soname,
        )
    if res.found and res.missing_dependencies:
        missing = ", ".join(res.missing_dependencies)
        dep_lines = {dep: search_lines(r) for dep, r in res.missing_dependencies.items()}
        evidence["dependencies searched"] = dep_lines
        first = next(iter(res.missing_dependencies))
        dep_fix = _install_fix(ctx, libs, _dependency_requirement(first, req, libs.requirements))
        return v.fail(
            f"{req.soname} fails because {missing} is missing",
            detail=f"{req.soname} is at {res.path}, but it needs {missing}, which the loader "
            "does not find; dlopen reports the missing dependency's name.",
            evidence=evidence,
            fix=dep_fix,
            subject=req.soname,
        )
    copies = libs.copies.get(library_stem(req.soname), [])
    same = [c for c in copies if c.soname == req.soname and not c.on_path]
    other = [c for c in copies if c.soname != req.soname]
    detail = (
        f"Needed by {req.needed_by}; the loader looked in every place listed and "
        f"found no {req.soname}."
    )
    if other:
        detail += (
            " Other versions exist ("
            + ", ".join(sorted({c.soname or "?" for c in other}))
            + f"), but the loader only accepts {req.soname}: a different major version is "
            "a different library."
        )
    if same:
        directory = os.path.dirname(same[0].path)
        fix = (
            f"It exists off the loader's path at {same[0].path} ({same[0].where}). Add its "
            f"directory to the linker configuration:\n  sudo gpusetup fix ldconfig {directory} "
            f"--apply\n{LDCONFIG_LASTING}"
        )
    elif req.component == "driver":
        fix = (
            "libcuda.so.1 comes with the NVIDIA driver: install the driver (see driver.nvml); "
            "in a container, run it with the NVIDIA Container Toolkit (--gpus all)."
        )
    else:
        fix = _install_fix(ctx, libs, req)
    return v.fail(
        f"{req.soname} not found",
        detail=detail,
        evidence=evidence,
        fix=fix,
        subject=req.soname,
    )


def _dependency_requirement(
    soname: str, parent: Requirement, requirements: list[Requirement]
) -> Requirement:
    """A dependency as a requirement, with its pip package for the target's CUDA major."""
    from dataclasses import replace

    from gpusetup.libs.requirements import extra_requirement, target_cuda_major

    return replace(
        extra_requirement(soname, target_cuda_major(requirements)), needed_by=parent.soname
    )


def _profile_libraries_not_probed(ctx: Context, v: Verdict, libs: LibraryFacts) -> list[Finding]:
    """The profile's libraries.required that the facts do not cover: probing this machine
    looks for them, but facts recorded without the profile (``collect``) never did, and a
    library nobody looked for can be judged neither found nor missing."""
    probed = {r.soname for r in libs.requirements}
    return [
        v.warn(
            f"{soname} not probed",
            detail=f"Profile {ctx.profile.name} requires {soname}, but these facts were "
            "recorded without looking for it, so whether it loads is unknown.",
            evidence={"required by": f"profile {ctx.profile.name} (libraries.required)"},
            fix=f"Record the facts with the profile: gpusetup doctor --profile "
            f"{ctx.profile.name} --json > facts.json (or run the doctor on the machine).",
            subject=soname,
        )
        for soname in ctx.profile.required_libraries
        if soname not in probed
    ]


@check(
    "libs.required",
    "Every library TensorFlow needs is found and loads",
    needs=(shown("libs.search"), LIBRARIES),
)
def required(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: for each library TensorFlow opens (libcudart, libcublas, libcublasLt, libcufft,
    libcusolver, libcusparse, libcudnn, and the driver's libcuda.so.1), the search the
    dynamic loader makes from TensorFlow's module: its RPATH, LD_LIBRARY_PATH, its
    RUNPATH, /etc/ld.so.cache, the system directories. Each library's own dependencies
    are searched the same way.

    Why it matters: TensorFlow registers GPUs only if every one of them loads; one miss
    and it says "Cannot dlopen some GPU libraries ... Skipping registering GPU devices"
    and runs on the CPU. A library that is found but needs a missing one (libcusolver
    needing libnvJitLink) fails with the dependency's name.

    Fix: install the libraries (`pip install 'tensorflow[and-cuda]'` brings them all as
    pip packages), or, when they exist off the loader's path, add their directory with
    `gpusetup fix ldconfig DIR --apply`.
    """
    libs = ctx.libs
    if not libs.requirements:
        return [v.skip(f"Nothing to check: {libs.target}.")]
    findings, ok = [], []
    for req in libs.requirements:
        if req.component == "driver" and not ctx.has_gpu and not ctx.force_libraries:
            continue
        nvml = ctx.facts.nvml
        if (
            req.component == "driver"
            and nvml is not None
            and nvml.init_error is not None
            and not ctx.force_libraries
        ):
            reason = "The NVIDIA driver does not work (see driver.nvml)."
            findings.append(v.skip(reason, title=f"{req.soname} (driver)"))
            continue
        res = resolve_from_facts(libs, req.soname)
        if res.loads:
            ok.append(
                f"{req.soname}: {res.path} (via {res.source}"
                + (f", version {_version(libs, res.path)})" if _version(libs, res.path) else ")")
            )
        else:
            findings.append(_describe_miss(ctx, v, libs, req, res))
    findings += _profile_libraries_not_probed(ctx, v, libs)
    if not any(f.status is Status.FAIL for f in findings):
        findings.insert(
            0,
            v.passed(
                f"All {len(ok)} required libraries load ({libs.target})",
                evidence={"found": ok},
            ),
        )
    return findings


@check(
    "libs.readable",
    "Libraries on the search path are readable",
    needs=(shown("libs.search"), LIBRARIES),
)
def readable(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the library files the loader meets can be read by this user.

    Why it matters: libraries copied by root without read permission for others (a
    manual cuDNN install with `cp` and a restrictive umask) load for root and fail for
    everyone else with "Permission denied", which looks like a missing library.

    Fix: `sudo chmod a+r` on the files (the real files, not only the symlinks).
    """
    libs = ctx.libs
    bad = sorted({f.realpath for f in libs.files.values() if not f.dangling and not f.readable})
    if not bad:
        return [v.passed()]
    return [
        v.fail(
            f"{len(bad)} library file(s) not readable by this user",
            detail="The loader cannot open them, so they count as missing for this user.",
            evidence={"not readable": bad},
            fix="sudo chmod a+r " + " ".join(bad),
        )
    ]


@check(
    "libs.elf-class",
    "Libraries match this Python's architecture",
    needs=(shown("libs.search"), LIBRARIES),
)
def elf_class(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether a library file with the right name but the wrong ELF class (32-bit)
    or machine (another CPU architecture) sits where the loader looks.

    Why it matters: the loader skips such files silently and goes on searching; if no
    other copy exists the library is "not found" although a file with its name is right
    there, and if another copy exists a different one loads than the one you installed.

    Fix: install the build for this architecture and remove the wrong one.
    """
    libs = ctx.libs
    wrong = []
    for f in libs.files.values():
        elf = f.elf
        if elf is None or elf.elf_class is None:
            continue
        if elf.elf_class != libs.interpreter_class or elf.machine != libs.interpreter_machine:
            wrong.append(f"{f.path}: {elf.elf_class}-bit {elf.machine}")
    if not wrong:
        return [v.passed()]
    return [
        v.fail(
            f"{len(wrong)} library file(s) are for another architecture",
            detail=f"This Python is {libs.interpreter_class}-bit {libs.interpreter_machine}; the "
            "loader skips these files.",
            evidence={"wrong": sorted(wrong)},
            fix="Install the x86-64 (or this machine's) build of these libraries and remove the "
            "others from the search path.",
        )
    ]


@check(
    "libs.symlinks",
    "Library symlink chains are intact",
    needs=(shown("libs.links"), LIBRARIES),
)
def symlinks(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether a library directory holds several real copies of one library where
    there should be one file and symlinks (libX.so.9 -> libX.so.9.3.0), and whether a
    symlink on the path points nowhere.

    Why it matters: `cp` without `-P` turns symlinks into copies; ldconfig then warns
    "libX.so.9 is not a symbolic link" and which copy loads depends on the order of
    operations. A dangling link is a library that looks installed but is not.

    Fix: remove the copies and recreate the links (`ln -sf libX.so.9.3.0 libX.so.9`),
    then run `sudo ldconfig`; reinstall the package whose link is dangling.
    """
    libs = ctx.libs
    by_dir: dict[tuple[str, str], list[str]] = defaultdict(list)
    for f in libs.files.values():
        if f.is_symlink or f.dangling or f.elf is None or not f.elf.soname:
            continue
        by_dir[(os.path.dirname(f.path), f.elf.soname)].append(f.path)
    problems = []
    for (directory, soname), paths in sorted(by_dir.items()):
        if len(paths) > 1:
            problems.append(
                f"{directory}: {len(paths)} real copies of {soname} "
                f"({', '.join(os.path.basename(p) for p in sorted(paths))}); "
                f"ldconfig: {directory}/{soname} is not a symbolic link"
            )
    for f in sorted(libs.files.values(), key=lambda f: f.path):
        if f.dangling:
            problems.append(f"{f.path} -> {f.realpath}: dangling symlink")
    # files a listing shows without their ELF headers (ls -l pasted): judged by name
    listed: dict[str, list[str]] = defaultdict(list)
    for f in libs.files.values():
        if f.elf is None and not f.is_symlink and not f.dangling:
            listed[os.path.dirname(f.path)].append(os.path.basename(f.path))
    for directory, names in sorted(listed.items()):
        for name in sonames.should_be_links(names):
            where = f"{directory}/{name}" if directory else name
            problems.append(f"{where} is a regular file beside a longer-versioned one: a copy")
    problems += [w for w in libs.ldconfig_warnings if "is not a symbolic link" in w]
    if not problems:
        return [v.passed(evidence=ctx.outputs("ls-l", "ldconfig-v"))]
    return [
        v.warn(
            f"{len(problems)} broken library link(s) or copies",
            detail="; ".join(problems),
            evidence={"problems": problems} | ctx.outputs("ls-l", "ldconfig-v", "ldconfig-p"),
            fix="Keep one real file per library and make the soname a symlink to it, e.g.\n"
            "  cd DIR && rm libX.so.N && ln -s libX.so.N.M.P libX.so.N && sudo ldconfig\n"
            "Copy libraries with `cp -P` (or `cp -a`) so symlinks stay symlinks.",
        )
    ]


@check(
    "libs.ldconfig-cache",
    "The linker cache is up to date",
    needs=(shown("libs.search"), LIBRARIES),
)
def ldconfig_cache(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether every library in a directory that /etc/ld.so.conf configures is in
    /etc/ld.so.cache.

    Why it matters: the loader finds libraries in configured directories only through the
    cache; a library added after the last `ldconfig` run is invisible until it runs.

    Fix: `sudo ldconfig`.
    """
    libs = ctx.libs
    if libs.cache_error:
        return [v.skip(libs.cache_error)]
    if not libs.uncached:
        return [v.passed(evidence={"cache": libs.cache_file})]
    listing = [f"{d}: {', '.join(names)}" for d, names in sorted(libs.uncached.items())]
    return [
        v.fail(
            "The linker cache is stale: run ldconfig",
            detail="These libraries sit in configured directories but the cache does not list "
            "them, so the loader does not find them: " + "; ".join(listing),
            evidence={"not in the cache": listing, "cache": libs.cache_file},
            fix="sudo ldconfig",
        )
    ]


@check(
    "libs.search-path",
    "The library search path is safe",
    needs=(shown("libs.search_path"), LIBRARIES),
)
def search_path(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether a directory the loader searches (LD_LIBRARY_PATH, ld.so.conf) can be
    written by anyone, and whether the CUDA toolkit's `stubs` directory is on the runtime
    search path; also include loops, missing includes and junk in ld.so.conf.

    Why it matters: anyone who can write to a searched directory can plant a library
    that every program loads. The stubs (libcuda.so, libnvidia-ml.so) exist only for
    linking on machines without a driver; at run time they make every CUDA call fail.

    Fix: `chmod o-w` the directory or take it off the path; remove `.../stubs` from
    LD_LIBRARY_PATH and ld.so.conf.d, then `sudo ldconfig`.
    """
    libs = ctx.libs
    findings = []
    if libs.world_writable_dirs:
        findings.append(
            v.fail(
                "World-writable directory on the library search path",
                detail="Anyone can put a library there that programs then load.",
                evidence={"world-writable": libs.world_writable_dirs},
                fix="Take it off LD_LIBRARY_PATH / ld.so.conf.d, or: sudo chmod o-w "
                + " ".join(d.split(" (", 1)[0] for d in libs.world_writable_dirs),
            )
        )
    searched = list(libs.ld_library_path) + [d.path for d in libs.ld_so_conf.directories]
    if libs.caller:
        searched += libs.caller.rpath + libs.caller.runpath
    stubs = [d for d in searched if d.rstrip("/").endswith("/stubs")]
    if stubs:
        findings.append(
            v.fail(
                "The CUDA toolkit's stubs directory is on the runtime library path",
                detail="The stub libcuda.so/libnvidia-ml.so there answer every call with an error.",
                evidence={"stubs": stubs},
                fix="Remove " + ", ".join(stubs) + " from LD_LIBRARY_PATH and /etc/ld.so.conf.d, "
                "then: sudo ldconfig",
            )
        )
    drivers = _places(libs, "libcuda.so", "libcuda.so.1")
    if len(drivers) > 1:
        findings.append(
            v.warn(
                f"The driver's libcuda.so.1 is on the search path {len(drivers)} times",
                detail="The loader takes the first; a copy from another driver (an old "
                "install, a compat directory, WSL's /usr/lib/wsl/lib beside a Linux driver) "
                "makes CUDA fail with a version mismatch or pick the wrong driver.",
                evidence={"copies": drivers} | ctx.outputs("ldconfig-p", "ldconfig-v"),
                fix="Keep one driver's libcuda.so.1 on the path: remove the stale copy (or its "
                "directory from /etc/ld.so.conf.d), then: sudo ldconfig",
            )
        )
    stub_files = [e.path for e in libs.cache if "/stubs/" in e.path]
    if stub_files and not stubs:
        findings.append(
            v.fail(
                "The linker cache holds the CUDA toolkit's stub libraries",
                detail="The stub libcuda.so/libnvidia-ml.so answer every call with an error.",
                evidence={"stubs": stub_files} | ctx.outputs("ldconfig-p"),
                fix="Remove the stubs directory from /etc/ld.so.conf.d, then: sudo ldconfig",
            )
        )
    if libs.ld_so_conf.problems:
        findings.append(
            v.warn(
                "Problems in the ld.so.conf files",
                detail="; ".join(libs.ld_so_conf.problems),
                evidence={"problems": libs.ld_so_conf.problems},
                fix="Edit the files named to remove the loop, the missing include or the bad line, "
                "then: sudo ldconfig",
            )
        )
    if findings:
        return findings
    if ctx.facts.text is not None:
        return [
            v.passed(
                "No stub library and one driver library in the listed cache",
                detail="The directories' permissions and LD_LIBRARY_PATH are not shown in "
                "the pasted text, so they are not judged.",
                evidence=ctx.outputs("ldconfig-p", "ldconfig-v"),
            )
        ]
    return [v.passed()]


def _places(libs: LibraryFacts, stem: str, soname: str) -> list[str]:
    """Where the search path holds ``soname`` (each place once; a listing without its
    directories counts each line it names one on)."""
    places = []
    for copy in libs.copies.get(stem, []):
        if copy.on_path and copy.soname == soname:
            place = os.path.dirname(copy.path) or f"{copy.path} ({copy.where})"
            places.append(place)
    return list(dict.fromkeys(places))


@check(
    "libs.cudnn",
    "cuDNN is consistent",
    needs=(shown("libs.cudnn"), LIBRARIES),
)
def cudnn(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: the cuDNN that loads (version from its file name) against its headers
    (cudnn_version.h for cuDNN 8 and later, cudnn.h before), and how many copies of
    cuDNN are on the search path.

    Why it matters: headers from one version and a library from another break builds
    against cuDNN and hide which one is really installed; with several copies, which one
    TensorFlow loads depends on the search order (the table shows the winner). The major
    version must be the one TensorFlow was built with (libs.required checks that).

    Fix: keep one cuDNN per major version on the path, with its own headers; install it
    as a package (pip nvidia-cudnn-cu12, or the distribution's), not by copying files.
    """
    libs = ctx.libs
    req = next((r for r in libs.requirements if r.component == "cudnn"), None)
    copies = libs.copies.get("libcudnn.so", [])
    if ctx.facts.text is not None:
        return _listed_cudnn(ctx, v, libs)
    if req is None or not copies:
        return [v.skip("No cuDNN found (see libs.required).")]
    res = resolve_from_facts(libs, req.soname)
    loaded = _version(libs, res.path) if res.found else None
    findings = []
    on_path = [c for c in copies if c.on_path and c.soname == req.soname]
    if len(on_path) > 1:
        findings.append(
            v.warn(
                f"{len(on_path)} copies of {req.soname} on the search path",
                detail=f"The loader takes {res.path}" if res.found else "None of them loads.",
                evidence={"copies": [f"{c.path} ({c.where})" for c in on_path]},
                fix="Remove the copies you do not want, or order the search path so the "
                "intended one comes first.",
            )
        )
    headers = libs.cudnn_headers
    if loaded and headers:
        mismatched = [
            h
            for h in headers
            if h.version and h.version.split(".")[0] == loaded.split(".")[0] and h.version != loaded
        ]
        other_major = [
            h for h in headers if h.version and h.version.split(".")[0] != loaded.split(".")[0]
        ]
        if mismatched or (other_major and not any(h.version == loaded for h in headers)):
            bad = mismatched or other_major
            findings.append(
                v.warn(
                    f"cuDNN headers ({', '.join(h.version or '?' for h in bad)}) differ from the "
                    f"library that loads ({loaded})",
                    evidence={
                        "library": res.path,
                        "headers": [f"{h.path}: {h.version}" for h in headers],
                    },
                    fix="Install headers and library from the same cuDNN release (one package).",
                )
            )
    if findings:
        return findings
    return [
        v.passed(
            f"cuDNN {loaded or '?'} loads from {res.path}" if res.found else v.title,
            evidence={"headers": [f"{h.path}: {h.version}" for h in headers]},
        )
    ]


def _listed_cudnn(ctx: Context, v: Verdict, libs: LibraryFacts) -> list[Finding]:
    """cuDNN as pasted listings show it: the generations of its library files side by
    side, and its header against the one library version listed."""
    generations: dict[str, list[str]] = defaultdict(list)
    versions: set[str] = set()
    for copy in libs.copies.get("libcudnn.so", []):
        for name in (os.path.basename(copy.path), copy.soname or ""):
            if generation := sonames.cudnn_generation(name):
                generations[generation].append(f"{copy.path} ({copy.where})")
                break
        if version := sonames.cudnn_version(os.path.basename(copy.path)):
            versions.add(version)
    headers = [h for h in libs.cudnn_headers if h.version]
    evidence: dict[str, object] = {
        "libraries": sorted({p for places in generations.values() for p in places}),
        "headers": [f"{h.path}: {h.version}" for h in headers],
    }
    if len(generations) > 1:
        shown = ", ".join(sorted(generations))
        return [
            v.warn(
                f"Two cuDNN generations side by side ({shown})",
                detail="Which one a program loads depends on the name it asks for and on "
                "the search order; a build against one and a run against the other fails "
                "with a cuDNN version error.",
                evidence=evidence,
                fix="Keep one cuDNN per major version and remove the other's files (or its "
                "directory from the search path), then: sudo ldconfig. Install cuDNN as a "
                "package (pip nvidia-cudnn-cu12, or the distribution's).",
            )
        ]
    if len(versions) == 1 and headers:
        (library,) = versions
        differ = [h for h in headers if h.version != library]
        if differ:
            return [
                v.warn(
                    f"cuDNN headers ({', '.join(h.version or '?' for h in differ)}) differ from "
                    f"the library listed ({library})",
                    evidence=evidence,
                    fix="Install headers and library from the same cuDNN release (one package).",
                )
            ]
    if not versions and not generations:
        return [v.skip("The pasted text shows cuDNN's header only, not its library.")]
    return [
        v.passed(
            "One cuDNN generation listed"
            + (f": {', '.join(sorted(versions))}" if versions else f" ({next(iter(generations))})"),
            evidence=evidence,
        )
    ]


def _recorded_file(libs: LibraryFacts, path: str) -> str:
    """The file ``path`` finally named where the facts were recorded (the probe's realpath;
    this machine's links say nothing about that one)."""
    file = libs.files.get(path)
    return file.realpath if file is not None else os.path.normpath(path)


@check("libs.loader-agreement", "gpusetup's search agrees with the real loader")
def loader_agreement(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: `gpusetup libs` asks the real dynamic loader to open each library (a child
    process with LD_DEBUG=libs) and compares its answer with gpusetup's own simulation of
    the search, made for the same caller (the Python executable).

    Why it matters: every explanation gpusetup gives rests on the simulation; a
    disagreement means gpusetup's model of the loader is wrong on this machine.

    Fix: none on the machine: report it with the output of `gpusetup libs --json`.
    """
    libs = ctx.facts.libs
    if libs is None or libs.loader is None:
        return []  # only `gpusetup libs` asks the real loader
    differ = []
    for answer in libs.loader:
        sim = resolve_from_facts(libs, answer.soname, caller=libs.interpreter)
        sim_path = sim.path if sim.loads else None
        real_path = answer.path if answer.ok else None
        if bool(sim_path) != bool(real_path) or (
            sim_path
            and real_path
            and _recorded_file(libs, sim_path) != _recorded_file(libs, real_path)
        ):
            differ.append(
                f"{answer.soname}: simulated {sim_path or 'not loadable'}, loader "
                f"{real_path or answer.error}"
            )
    if differ:
        return [
            v.fail(
                "gpusetup's simulation disagrees with the real loader",
                detail="; ".join(differ),
                evidence={"differences": differ},
                fix="Please report this with the output of `gpusetup libs --json`.",
            )
        ]
    return [
        v.passed(
            f"Simulation and the real loader agree on {len(libs.loader)} libraries",
        )
    ]

"""Library resolution on real ELF files, the real ldconfig and the real dynamic loader.

Every tree here is built with the system C compiler; `gpusetup libs` asks the real loader
(dlopen with LD_DEBUG=libs) and its simulation must agree on every tree.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from conftest import CUDA12_LIBRARIES, build_library, load_machine, make_sysroot, rebuild_cache

TF221 = ("libs", "--json", "--for", "tensorflow==2.21")


def rows(report: dict) -> dict[str, dict]:
    return {r["soname"]: r for r in report["libraries"]}


def finding(report: dict, check_id: str, subject: str | None = None) -> dict:
    found = [
        f
        for f in report["findings"]
        if f["id"] == check_id and (subject is None or f["subject"] == subject)
    ]
    assert found, f"no {check_id} finding for {subject}"
    return found[0]


def agreement(report: dict) -> dict:
    return finding(report, "libs.loader-agreement")


def corrupt_machine(path: Path, machine: int = 183) -> None:
    """Rewrite e_machine (offset 18) of a real ELF file: a library for another CPU."""
    data = bytearray(path.read_bytes())
    data[18:20] = machine.to_bytes(2, "little")
    path.write_bytes(bytes(data))


def test_this_machine_cuda13_is_not_usable_for_tensorflow_2_21(cli):
    run = cli(*TF221)
    report = run.json()
    assert run.returncode == 1
    libs = rows(report)
    assert libs["libcudart.so.12"]["status"] == "missing"
    assert libs["libcudnn.so.9"]["status"] == "missing"
    cudart = finding(report, "libs.required", "libcudart.so.12")
    assert "pip install 'tensorflow[and-cuda]" in cudart["fix"]
    assert "nvidia-cuda-runtime-cu12" in cudart["fix"]
    if Path("/usr/local/cuda-13.0/lib").is_dir() or Path("/usr/local/cuda-13.0/lib64").is_dir():
        copies = " ".join(cudart["evidence"]["copies found"])
        assert "libcudart.so.13" in copies and "/usr/local/cuda-13.0" in copies
        assert "different major version" in cudart["detail"]
    assert "nvidia-cudnn-cu12==9.*" in finding(report, "libs.required", "libcudnn.so.9")["fix"]
    assert agreement(report)["status"] == "pass"


def test_everything_found_on_ld_library_path_agrees_with_the_loader(
    cli, cuda12_tree, fake_driver_dir
):
    report = cli(*TF221, machine_file="h100", extra_lib_dirs=(cuda12_tree,)).json()
    libs = rows(report)
    assert libs["libcuda.so.1"]["path"] == f"{fake_driver_dir}/libcuda.so.1"
    for soname, (filename, _) in CUDA12_LIBRARIES.items():
        if soname in libs and soname != "libcuda.so.1":
            row = libs[soname]
            assert row["status"] == "found", row
            assert row["path"] == f"{cuda12_tree}/{soname}"
            assert row["found_via"] == "LD_LIBRARY_PATH"
            assert row["realpath"].endswith(filename)
            assert row["loader"]["ok"] and row["loader"]["path"] == row["path"]
    assert libs["libcudnn.so.9"]["version"] == "9.3.0"
    assert finding(report, "libs.required")["status"] == "pass"
    assert agreement(report)["status"] == "pass"


def test_missing_dependency_is_named_as_the_root_cause(cli, tmp_path):
    lib = tmp_path / "lib"
    build_library(
        lib, "libcusolver.so.11", filename="libcusolver.so.11.6.3.83", needed=["libnvJitLink.so.12"]
    )
    report = cli(*TF221, extra_lib_dirs=(lib,)).json()
    solver = finding(report, "libs.required", "libcusolver.so.11")
    assert solver["title"] == "libcusolver.so.11 fails because libnvJitLink.so.12 is missing"
    assert "nvidia-nvjitlink-cu12" in solver["fix"] or "and-cuda" in solver["fix"]
    row = rows(report)["libcusolver.so.11"]
    assert row["status"] == "broken"
    # the real loader fails with the dependency's name, as TensorFlow's log shows it
    assert "libnvJitLink.so.12" in row["loader"]["error"]
    assert agreement(report)["status"] == "pass"


def test_wrong_machine_is_skipped_and_the_next_copy_loads(cli, tmp_path):
    first, second = tmp_path / "arm", tmp_path / "x86"
    build_library(first, "libcudart.so.12", filename="libcudart.so.12.5.82")
    corrupt_machine(first / "libcudart.so.12.5.82")
    build_library(second, "libcudart.so.12", filename="libcudart.so.12.5.82")
    report = cli(*TF221, extra_lib_dirs=(first, second)).json()
    row = rows(report)["libcudart.so.12"]
    assert row["path"] == f"{second}/libcudart.so.12"
    assert any("wrong machine: EM_AARCH64" in line for line in row["searched"])
    assert row["loader"]["path"] == row["path"]
    assert finding(report, "libs.elf-class")["status"] == "fail"
    assert agreement(report)["status"] == "pass"


def test_a_file_that_is_not_elf_stops_the_search_like_the_loader(cli, tmp_path):
    junk, good = tmp_path / "junk", tmp_path / "good"
    junk.mkdir()
    (junk / "libcudart.so.12").write_text("not a library, just text\n" * 20)
    build_library(good, "libcudart.so.12")
    report = cli(*TF221, extra_lib_dirs=(junk, good)).json()
    row = rows(report)["libcudart.so.12"]
    assert row["status"] == "broken" and "not an ELF file" in row["error"]
    assert not row["loader"]["ok"] and "invalid ELF header" in row["loader"]["error"]
    assert agreement(report)["status"] == "pass"


def test_dangling_link_is_passed_over_and_reported(cli, tmp_path):
    broken, good = tmp_path / "broken", tmp_path / "good"
    broken.mkdir()
    (broken / "libcudart.so.12").symlink_to("libcudart.so.12.9.9")
    build_library(good, "libcudart.so.12", filename="libcudart.so.12.5.82")
    report = cli(*TF221, extra_lib_dirs=(broken, good)).json()
    assert rows(report)["libcudart.so.12"]["path"] == f"{good}/libcudart.so.12"
    symlinks = finding(report, "libs.symlinks")
    assert symlinks["status"] == "warn" and "dangling" in symlinks["detail"]
    assert agreement(report)["status"] == "pass"


def test_copies_instead_of_symlinks_warn_like_ldconfig(cli, tmp_path):
    lib = tmp_path / "lib"
    build_library(lib, "libcudnn.so.9", filename="libcudnn.so.9.3.0")
    (lib / "libcudnn.so.9").unlink()
    shutil.copy(lib / "libcudnn.so.9.3.0", lib / "libcudnn.so.9")  # what `cp` without -P does
    report = cli(*TF221, extra_lib_dirs=(lib,)).json()
    symlinks = finding(report, "libs.symlinks")
    assert symlinks["status"] == "warn"
    assert f"{lib}/libcudnn.so.9 is not a symbolic link" in symlinks["detail"]


def test_world_writable_and_stub_directories_on_the_path_fail(cli, tmp_path):
    open_dir = tmp_path / "shared"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    stubs = tmp_path / "cuda/lib64/stubs"
    stubs.mkdir(parents=True)
    report = cli(*TF221, extra_lib_dirs=(open_dir, stubs)).json()
    titles = [f["title"] for f in report["findings"] if f["id"] == "libs.search-path"]
    assert "World-writable directory on the library search path" in titles
    assert "The CUDA toolkit's stubs directory is on the runtime library path" in titles


def test_pip_cudnn_wheel_off_the_path_is_found_with_its_package_and_headers(cli, tmp_path):
    site = tmp_path / "venv/lib/python3.11/site-packages"
    lib = site / "nvidia/cudnn/lib"
    build_library(lib, "libcudnn.so.9", filename="libcudnn.so.9.3.0")
    (site / "nvidia/cudnn/include").mkdir(parents=True)
    (site / "nvidia/cudnn/include/cudnn_version.h").write_text(
        "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 3\n#define CUDNN_PATCHLEVEL 0\n"
    )
    dist = site / "nvidia_cudnn_cu12-9.3.0.75.dist-info"
    dist.mkdir()
    (dist / "RECORD").write_text("nvidia/cudnn/lib/libcudnn.so.9,sha256=x,1\n")
    report = cli(*TF221, PYTHONPATH=f"{site}:{Path(__file__).parent.parent}").json()
    cudnn = finding(report, "libs.required", "libcudnn.so.9")
    assert any(
        "pip nvidia-cudnn-cu12 9.3.0.75" in c and "off the search path" in c
        for c in cudnn["evidence"]["copies found"]
    )
    assert f"gpusetup fix ldconfig {lib}" in cudnn["fix"]
    headers = report["facts"]["cudnn_headers"]
    assert [h["version"] for h in headers] == ["9.3.0"]


def test_cpu_only_tensorflow_on_a_gpu_machine_fails(cli, tmp_path):
    site = tmp_path / "site-packages"
    platform_dir = site / "tensorflow/python/platform"
    platform_dir.mkdir(parents=True)
    (site / "tensorflow/__init__.py").write_text("raise ImportError('never imported')\n")
    (platform_dir / "build_info.py").write_text(
        "import collections\nbuild_info = collections.OrderedDict([('is_cuda_build', False), "
        "('is_rocm_build', False)])\n"
    )
    dist = site / "tensorflow_cpu-2.21.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tensorflow-cpu\nVersion: 2.21.0\n")
    report = cli(
        "doctor", "--json", machine_file="h100", PYTHONPATH=f"{site}:{Path(__file__).parent.parent}"
    ).json()
    build = finding(report, "libs.tensorflow-build")
    assert build["status"] == "fail" and "CPU-only" in build["title"]
    assert "pip uninstall -y tensorflow-cpu" in build["fix"]


def _python_for(uid: int, pythonpath: str) -> str | None:
    """An interpreter that user ``uid`` can run with our packages (this one may live in a
    home directory only root can enter; a system Python of the same version will do)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if not os.path.exists(candidate):
            continue
        probe = subprocess.run(
            [
                "setpriv",
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                candidate,
                "-c",
                "import typer, rich, elftools, gpusetup",
            ],
            capture_output=True,
            env={"PYTHONPATH": pythonpath, "PATH": os.environ["PATH"]},
            cwd="/",
            timeout=60,
        )
        if probe.returncode == 0:
            return candidate
    return None


def _as_nobody(python: str, pythonpath: str, *args: str, **env: str):
    """Run gpusetup as user nobody (uid 65534) with this checkout on PYTHONPATH."""
    return subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            python,
            "-m",
            "gpusetup",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
        env={
            "PATH": os.environ["PATH"],
            "PYTHONPATH": pythonpath,
            "HOME": "/tmp",
            "NO_COLOR": "1",
            **env,
        },
    )


def _nobody_python() -> tuple[str, str]:
    """(interpreter, PYTHONPATH) to run gpusetup as user nobody, or skip the test."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run gpusetup as another user")
    repo = Path(__file__).resolve().parent.parent
    pythonpath = f"{repo}:{sysconfig.get_paths()['purelib']}"
    python = _python_for(65534, pythonpath)
    if python is None:
        pytest.skip("no Python interpreter that user nobody may run with these packages")
    return python, pythonpath


def test_unreadable_library_for_a_normal_user(tmp_path):
    """Run as `nobody` (root reads everything): a library copied with mode 0600."""
    python, pythonpath = _nobody_python()
    world = Path(tempfile.mkdtemp(prefix="gpusetup-perm-", dir="/tmp"))
    try:
        lib = world / "lib"
        build_library(lib, "libcudart.so.12", filename="libcudart.so.12.5.82")
        (lib / "libcudart.so.12.5.82").chmod(0o600)  # a copy made by root with umask 077
        for p in (world, lib):
            p.chmod(0o755)
        proc = _as_nobody(python, pythonpath, *TF221, LD_LIBRARY_PATH=str(lib))
        assert proc.returncode == 1, proc.stderr
        report = json.loads(proc.stdout)
        readable = finding(report, "libs.readable")
        assert readable["status"] == "fail"
        assert readable["fix"] == f"sudo chmod a+r {lib}/libcudart.so.12.5.82"
        row = rows(report)["libcudart.so.12"]
        assert row["status"] == "missing"
        assert "Permission denied" in row["loader"]["error"]
        assert agreement(report)["status"] == "pass"
    finally:
        shutil.rmtree(world, ignore_errors=True)


# --- caller RPATH / RUNPATH, checked against a real program ----------------------------


def _build_program(tmp_path: Path, flag: str, rpath: Path) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    src = tmp_path / "opener.c"
    src.write_text(
        "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <link.h>\n#include <stdio.h>\n"
        "int main(int c, char **v) { void *h = dlopen(v[1], RTLD_NOW | RTLD_LOCAL);\n"
        ' if (!h) { printf("ERR %s\\n", dlerror()); return 1; }\n'
        ' struct link_map *m; dlinfo(h, RTLD_DI_LINKMAP, &m); printf("%s\\n", m->l_name);'
        " return 0; }\n"
    )
    exe = tmp_path / f"opener{flag}"
    subprocess.run([cc, "-o", str(exe), str(src), f"-Wl,-rpath,{rpath}", flag, "-ldl"], check=True)
    return exe


@pytest.mark.parametrize(
    ("dtags", "winner"),
    [("--disable-new-dtags", "rpath"), ("--enable-new-dtags", "ld_library_path")],
)
def test_caller_rpath_and_runpath_order_matches_the_real_loader(tmp_path, dtags, winner):
    from gpusetup.libs.resolve import LoaderModel
    from gpusetup.probe.libraries import (
        FileRecorder,
        linking_object,
        read_cache,
        system_directories,
    )

    rpath_dir, env_dir = tmp_path / "rpath", tmp_path / "env"
    build_library(rpath_dir, "libcudart.so.12")
    build_library(env_dir, "libcudart.so.12")
    exe = _build_program(tmp_path, f"-Wl,{dtags}", rpath_dir)
    env = dict(os.environ, LD_LIBRARY_PATH=str(env_dir))
    real = subprocess.run(
        [str(exe), "libcudart.so.12"], capture_output=True, text=True, env=env, timeout=30
    ).stdout.strip()
    caller = linking_object(str(exe))
    _, cache, _ = read_cache(Path("/"))
    model = LoaderModel(
        caller,
        [str(env_dir)],
        cache,
        "libc6,x86-64",
        system_directories(Path("/"), str(exe)),
        64,
        "EM_X86_64",
    )
    simulated = model.resolve("libcudart.so.12", caller, FileRecorder())
    assert simulated.path == real
    assert real.startswith(str(rpath_dir if winner == "rpath" else env_dir))


# --- ld.so.conf, the cache, and the fix --------------------------------------------------


def test_ld_so_conf_include_loop_and_missing_include(tmp_path):
    from gpusetup.probe.ldconf import read_ld_so_conf

    etc = tmp_path / "etc"
    (etc / "ld.so.conf.d").mkdir(parents=True)
    (tmp_path / "opt/a").mkdir(parents=True)
    (etc / "ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\ninclude /etc/nope.conf\n")
    (etc / "ld.so.conf.d/a.conf").write_text("/opt/a\n# comment\nrelative/dir\n")
    (etc / "ld.so.conf.d/b.conf").write_text("include /etc/ld.so.conf\n")
    conf = read_ld_so_conf(tmp_path)
    assert [d.path for d in conf.directories] == ["/opt/a"]
    text = " | ".join(conf.problems)
    assert "include loop" in text
    assert "/etc/nope.conf does not exist" in text
    assert "'relative/dir' is not an absolute directory" in text


def _tree_with_unconfigured_cuda(tmp_path: Path) -> tuple[Path, Path]:
    root = make_sysroot(tmp_path / "root", load_machine("h100"), kernel_version="580.95.05")
    lib = root / "opt/cuda-12.5/lib64"
    for soname, (filename, needed) in CUDA12_LIBRARIES.items():
        if soname != "libcuda.so.1":
            build_library(lib, soname, filename=filename, needed=needed)
    build_library(
        root / "usr/lib/x86_64-linux-gnu", "libcuda.so.1", filename="libcuda.so.580.95.05"
    )
    rebuild_cache(root)
    return root, lib


def test_fix_ldconfig_plans_applies_once_and_the_next_resolution_succeeds(cli, tmp_path):
    root, lib = _tree_with_unconfigured_cuda(tmp_path)
    conf = root / "etc/ld.so.conf.d/gpusetup-cuda.conf"
    before = cli("libs", "--json", "--for", "tensorflow==2.21", sysroot=root).json()
    assert rows(before)["libcudart.so.12"]["status"] == "missing"

    plan = cli("fix", "ldconfig", "--sysroot", str(root), "--for", "tensorflow==2.21")
    assert plan.returncode == 0, plan.stderr
    assert "/opt/cuda-12.5/lib64" in plan.stdout and "--apply" in plan.stdout
    assert "ldconfig DIR" in plan.stdout  # why the temporary way does not last
    assert not conf.exists()  # nothing changes without --apply

    if os.geteuid() != 0:
        pytest.skip("applying to a system root runs ldconfig -r, which needs root")
    applied = cli("fix", "ldconfig", "--sysroot", str(root), "--apply", "--for", "tensorflow==2.21")
    assert applied.returncode == 0, applied.stderr
    assert conf.read_text().splitlines()[-1] == "/opt/cuda-12.5/lib64"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o644
    assert "libcudart.so.12" in applied.stdout and "found" in applied.stdout

    after = cli("libs", "--json", "--for", "tensorflow==2.21", sysroot=root).json()
    cudart = rows(after)["libcudart.so.12"]
    assert cudart["status"] == "found" and cudart["found_via"] == "ld.so.cache"
    assert cudart["path"] == f"{lib}/libcudart.so.12"

    content = conf.read_text()
    again = cli("fix", "ldconfig", "/opt/cuda-12.5/lib64", "--sysroot", str(root), "--apply")
    assert again.returncode == 0 and "already configured" in again.stdout
    assert conf.read_text() == content  # idempotent


def test_stale_cache_is_a_failure_until_ldconfig_runs(cli, tmp_path):
    root, lib = _tree_with_unconfigured_cuda(tmp_path)
    (root / "etc/ld.so.conf.d/cuda.conf").write_text("/opt/cuda-12.5/lib64\n")  # cache not rebuilt
    report = cli("doctor", "--json", machine_file="h100", sysroot=root).json()
    stale = finding(report, "libs.ldconfig-cache")
    assert stale["status"] == "fail" and stale["fix"] == "sudo ldconfig"
    assert "libcudart.so.12.5.82" in stale["detail"]
    rebuild_cache(root)
    report = cli("doctor", "--json", machine_file="h100", sysroot=root).json()
    assert finding(report, "libs.ldconfig-cache")["status"] == "pass"
    assert finding(report, "libs.required")["status"] == "pass"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda root: "relative/lib", "not an absolute path"),
        (lambda root: "/opt/missing", "does not exist"),
        (lambda root: _mode(root / "opt/open", 0o777), "anyone can write to it"),
        (lambda root: _owner(root / "opt/users", 65534), "owned by uid 65534"),
    ],
)
def test_fix_ldconfig_refuses_unsafe_directories(cli, tmp_path, make, reason):
    root = make_sysroot(tmp_path / "root")
    directory = make(root)
    run = cli("fix", "ldconfig", directory, "--sysroot", str(root), "--apply")
    assert run.returncode == 1
    assert reason in run.stderr
    assert not (root / "etc/ld.so.conf.d/gpusetup-cuda.conf").exists()


def _mode(path: Path, mode: int) -> str:
    path.mkdir(parents=True)
    path.chmod(mode)
    return "/" + str(path.relative_to(path.parents[1]))


def _owner(path: Path, uid: int) -> str:
    path.mkdir(parents=True)
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    os.chown(path, uid, uid)
    return "/" + str(path.relative_to(path.parents[1]))


def test_apply_without_root_explains_sudo_and_the_alternative(tmp_path):
    python, pythonpath = _nobody_python()
    world = Path(tempfile.mkdtemp(prefix="gpusetup-noroot-", dir="/tmp"))
    try:
        root = make_sysroot(world / "root")
        (root / "opt/cuda").mkdir(parents=True)
        for p in [world, *world.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        proc = _as_nobody(
            python, pythonpath, "fix", "ldconfig", "/opt/cuda", "--sysroot", str(root), "--apply"
        )
        assert proc.returncode == 1
        assert "This needs root" in proc.stderr and "sudo " in proc.stderr
        # the tree's directories mean nothing to this machine's environments: no hook
        assert "--user-env" not in proc.stderr
        assert not (root / "etc/ld.so.conf.d/gpusetup-cuda.conf").exists()
    finally:
        shutil.rmtree(world, ignore_errors=True)


def _cudnn_headers(include: Path, version: str) -> None:
    major, minor, patch = version.split(".")
    include.mkdir(parents=True, exist_ok=True)
    (include / "cudnn_version.h").write_text(
        f"#define CUDNN_MAJOR {major}\n#define CUDNN_MINOR {minor}\n"
        f"#define CUDNN_PATCHLEVEL {patch}\n"
    )


def test_two_cudnn_copies_and_mismatched_headers_warn_and_name_the_winner(cli, tmp_path):
    first, second = tmp_path / "a/lib", tmp_path / "b/lib"
    build_library(first, "libcudnn.so.9", filename="libcudnn.so.9.1.0")
    build_library(second, "libcudnn.so.9", filename="libcudnn.so.9.3.0")
    _cudnn_headers(tmp_path / "a/include", "9.3.0")  # headers of another release
    report = cli(*TF221, extra_lib_dirs=(first, second)).json()
    warnings = [f for f in report["findings"] if f["id"] == "libs.cudnn"]
    titles = " | ".join(f["title"] for f in warnings)
    assert "2 copies of libcudnn.so.9 on the search path" in titles
    assert "cuDNN headers (9.3.0) differ from the library that loads (9.1.0)" in titles
    copies = next(f for f in warnings if "copies" in f["title"])
    assert copies["detail"] == f"The loader takes {first}/libcudnn.so.9"
    assert rows(report)["libcudnn.so.9"]["loader"]["path"] == f"{first}/libcudnn.so.9"


def test_cudnn_8_where_9_is_needed_is_not_patched_with_a_symlink(cli, tmp_path):
    lib = tmp_path / "lib"
    build_library(lib, "libcudnn.so.8", filename="libcudnn.so.8.9.7")
    report = cli(*TF221, extra_lib_dirs=(lib,)).json()
    cudnn = finding(report, "libs.required", "libcudnn.so.9")
    assert "libcudnn.so.8" in cudnn["detail"] and "different major version" in cudnn["detail"]
    assert "nvidia-cudnn-cu12==9.*" in cudnn["fix"]
    assert "Never symlink" in cudnn["fix"]


def test_fast_elf_reader_agrees_with_pyelftools(tmp_path):
    """The struct-based reader for 64-bit little-endian files against pyelftools, on this
    machine's system libraries and on libraries with RPATH, RUNPATH and DT_NEEDED."""
    import glob

    from elftools.elf.elffile import ELFFile

    from gpusetup.probe.elf import _dynamic_elf64le

    build_library(tmp_path / "a", "libx.so.1", needed=["liby.so.2"], runpath="$ORIGIN/../lib")
    build_library(tmp_path / "b", "libz.so.3", rpath="/opt/z:/opt/w")
    files = [tmp_path / "a/libx.so.1", tmp_path / "b/libz.so.3"]
    files += [
        Path(f)
        for f in sorted(glob.glob("/usr/lib/x86_64-linux-gnu/*.so*"))[:150]
        if not os.path.islink(f)
    ]
    compared = 0
    for path in files:
        with path.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
            fh.seek(0)
            fast, _ = _dynamic_elf64le(fh)
            fh.seek(0)
            tags: dict[str, list[str]] = {"soname": [], "needed": [], "rpath": [], "runpath": []}
            for segment in ELFFile(fh).iter_segments():
                if segment["p_type"] != "PT_DYNAMIC":
                    continue
                for tag in segment.iter_tags():
                    kind = tag.entry.d_tag
                    if kind == "DT_SONAME":
                        tags["soname"].append(tag.soname)
                    elif kind == "DT_NEEDED":
                        tags["needed"].append(tag.needed)
                    elif kind == "DT_RPATH":
                        tags["rpath"] += [p for p in tag.rpath.split(":") if p]
                    elif kind == "DT_RUNPATH":
                        tags["runpath"] += [p for p in tag.runpath.split(":") if p]
                break
        assert fast is not None, path
        assert (fast.soname, fast.needed, fast.rpath, fast.runpath) == (
            (tags["soname"] or [None])[0],
            tags["needed"],
            tags["rpath"],
            tags["runpath"],
        ), path
        compared += 1
    assert compared >= 2


def test_fix_ldconfig_on_a_bare_tree_adds_the_include_it_needs(cli, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("applying to a system root runs ldconfig -r, which needs root")
    root = tmp_path / "image"
    lib = root / "opt/cuda/lib64"
    build_library(lib, "libcudart.so.12", filename="libcudart.so.12.5.82")
    run = cli(
        "fix",
        "ldconfig",
        "/opt/cuda/lib64",
        "--sysroot",
        str(root),
        "--apply",
        "--for",
        "tensorflow==2.21",
    )
    assert run.returncode == 0, run.stderr
    assert (root / "etc/ld.so.conf").read_text() == "include /etc/ld.so.conf.d/*.conf\n"
    after = cli("libs", "--json", "--for", "tensorflow==2.21", sysroot=root).json()
    assert rows(after)["libcudart.so.12"]["path"] == f"{lib}/libcudart.so.12"


def test_uncached_libraries_of_a_directory_listed_under_two_names(tmp_path):
    """Merged /usr: /lib is a link to usr/lib and ld.so.conf names both; the directory is
    read once, and what the cache lacks is listed under each name, as before."""
    from gpusetup.probe.ldconf import read_ld_so_conf
    from gpusetup.probe.libraries import find_uncached, read_cache

    root = tmp_path / "root"
    lib = root / "usr/lib/x86_64-linux-gnu"
    build_library(lib, "libcached.so.1", filename="libcached.so.1.0")
    (root / "etc").mkdir(parents=True)
    (root / "lib").symlink_to("usr/lib")
    (root / "etc/ld.so.conf").write_text("/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n")
    rebuild_cache(root)
    build_library(lib, "libnew.so.2", filename="libnew.so.2.0", link=False)  # after ldconfig
    build_library(lib, "libzeta.so.3", link=False)
    _, cache, error = read_cache(root)
    assert error is None and {e.soname for e in cache} == {"libcached.so.1"}
    uncached = find_uncached(root, read_ld_so_conf(root), cache)
    listed = ["libnew.so.2.0 (soname libnew.so.2)", "libzeta.so.3"]
    assert uncached == {f"{root}/lib/x86_64-linux-gnu": listed, str(lib): listed}

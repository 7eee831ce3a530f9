"""The NVIDIA driver: nouveau, the NVML library, NVML itself, and its version vs CUDA."""

from __future__ import annotations

import os

from gpusetup.diagnose import Context, Verdict, check, gpu_label, shown
from gpusetup.facts import Facts, NvmlFacts, PciDevice, normalise_bus_id
from gpusetup.findings import Finding, Status
from gpusetup.knowledge import (
    XID_LOG_COMMAND,
    Architecture,
    TensorFlowBuild,
    architecture_table,
    driver_at_least,
    driver_branch,
    first_driver,
    parse_cc,
    tensorflow_builds,
)

NOUVEAU_FIX = """\
Blacklist nouveau, rebuild the initramfs and reboot:
  printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' | \\
    sudo tee /etc/modprobe.d/blacklist-nouveau.conf
  sudo update-initramfs -u     # Fedora/RHEL: sudo dracut --force
  sudo reboot"""

INSTALL_DRIVER_FIX = """\
Install the NVIDIA driver for this GPU, then reboot:
  Ubuntu:      sudo ubuntu-drivers install
  Debian:      sudo apt install nvidia-driver
  RHEL/Rocky:  sudo dnf module install nvidia-driver
  otherwise:   the .run installer from NVIDIA's driver download page
In a container the driver comes from the host: docker run --gpus all ...
(NVIDIA Container Toolkit)."""


def _stub_loaded(ctx: Context) -> bool:
    nvml = ctx.facts.nvml
    return bool(nvml and nvml.library_path and "/stubs/" in nvml.library_path)


@check("driver.nouveau", "nouveau does not hold the GPU", needs=(shown("pci.driver"),))
def nouveau(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the open-source nouveau driver is bound to an NVIDIA GPU.

    Why it matters: a GPU bound to nouveau cannot be used by the NVIDIA driver, and while
    nouveau is loaded the nvidia module usually refuses to load ("NVIDIA driver is not
    loaded" / NVML Driver Not Loaded).

    Fix: blacklist nouveau in /etc/modprobe.d, rebuild the initramfs and reboot.
    """
    pci, kernel = ctx.facts.pci, ctx.facts.kernel
    if pci is None or not pci.sysfs_present:
        return [v.skip("The PCI bus could not be read.")]
    if not pci.gpus:
        return [v.skip("No NVIDIA GPU on the PCI bus.")]
    held = [d for d in pci.gpus if d.driver == "nouveau"]
    if held:
        return [
            v.fail(
                "The nouveau driver holds the NVIDIA GPU",
                detail="nouveau is bound to "
                + ", ".join(d.address for d in held)
                + "; the NVIDIA driver cannot use a GPU nouveau holds.",
                evidence={
                    "bound": {d.address: d.driver for d in pci.gpus},
                    "modules": kernel.modules if kernel else "not read",
                },
                fix=NOUVEAU_FIX,
            )
        ]
    return [
        v.passed(
            evidence={"bound": {d.address: d.driver or "none" for d in pci.gpus}},
        )
    ]


@check(
    "driver.nvml-stub",
    "The real NVML library is loaded, not the toolkit stub",
    needs=(shown("nvml.library"),),
)
def nvml_stub(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the libnvidia-ml.so.1 that loads is the CUDA toolkit's link-time stub
    (…/lib64/stubs/libnvidia-ml.so) instead of the driver's library.

    Why it matters: the stub only exists so programs can be linked on machines without a
    driver; it answers every call with an error. A `stubs` directory on LD_LIBRARY_PATH
    (or in ld.so.conf) makes every NVML user (nvidia-smi, TensorFlow, gpusetup) fail.

    Fix: remove the stubs directory from LD_LIBRARY_PATH and /etc/ld.so.conf.d, then run
    `sudo ldconfig`.
    """
    nvml = ctx.facts.nvml
    if nvml is None or not nvml.library_path:
        return [v.skip("No NVML library was loaded.")]
    if _stub_loaded(ctx):
        stub_dir = os.path.dirname(nvml.library_path)
        return [
            v.fail(
                "The CUDA toolkit's stub NVML library is loaded",
                detail=f"{nvml.library_path} is a link-time stub that answers every call with an "
                "error; the driver's libnvidia-ml.so.1 must be found first.",
                evidence={
                    "loaded": nvml.library_path,
                    "LD_LIBRARY_PATH": ctx.facts.env.ld_library_path if ctx.facts.env else None,
                },
                fix=f"Remove {stub_dir} from LD_LIBRARY_PATH (and from /etc/ld.so.conf.d/*.conf, "
                "then run `sudo ldconfig`).",
            )
        ]
    return [v.passed(evidence={"loaded": nvml.library_path})]


def _library_version(path: str | None) -> str | None:
    """libnvidia-ml.so.580.95.05 -> 580.95.05 (the driver release the library belongs to).

    The probe records the mapped file, which is the symlink chain's end, so it carries the
    full version.
    """
    if not path:
        return None
    real = os.path.basename(path)
    marker = ".so."
    return real.split(marker, 1)[1] if marker in real and real.count(".") > 3 else None


@check("driver.nvml", "The NVIDIA driver answers (NVML)", needs=(shown("nvml"),))
def nvml(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether NVML, the driver's management library that nvidia-smi uses, loads and
    initialises, and answers every call within the deadline.

    Why it matters: if NVML cannot talk to the driver, neither can CUDA or TensorFlow.
    The error says why: LibraryNotFound (driver not installed), DriverNotLoaded (kernel
    module not loaded; often nouveau or Secure Boot), LibRmVersionMismatch (the library
    and the kernel module come from different driver versions: an upgrade without a
    reboot), NoPermission (device nodes not accessible). A call that never returns
    usually means a GPU fell off the bus (Xid 79).

    Fix: as the finding says for its cause: install the driver, load the module, reboot
    after an upgrade, or fix device node permissions.
    """
    facts = ctx.facts
    info = facts.nvml
    kernel = facts.kernel
    if info is None:
        failure = facts.failures.get("nvml")
        return [
            v.fail(
                "The NVML probe failed",
                detail=failure.message if failure else "NVML was not probed.",
                fix=f"Look for Xid errors: {XID_LOG_COMMAND}",
            )
        ]
    unshown = "not shown" if facts.text is not None else "not loaded"
    evidence: dict[str, object] = {
        "library": info.library_path or unshown,
        "kernel module": kernel.driver_version if kernel and kernel.driver_version else unshown,
        **ctx.read_from("nvml.driver_version", "nvml.init_error", "kernel.driver_version"),
    }
    if info.hung_call:
        done = ", ".join(str(g.index) for g in info.gpus) or "none"
        return [
            v.fail(
                f"NVML call {info.hung_call} did not return within {info.timeout_s:g} s",
                detail="The driver stopped answering; this usually means a GPU fell off the bus or "
                f"the driver is wedged. GPUs fully queried before the hang: {done}.",
                evidence=evidence,
                fix=f"Check the kernel log for Xid errors: {XID_LOG_COMMAND}\n"
                "Xid 79 (fallen off the bus) needs a reboot; if it repeats, reseat or replace the "
                "GPU. Raise the deadline with GPUSETUP_NVML_TIMEOUT=SECONDS if the driver is "
                "only slow.",
            )
        ]
    err = info.init_error
    if err is None:
        evidence["driver"] = info.driver_version
        evidence["CUDA (driver)"] = info.cuda_driver_version_text
        if info.cuda_driver_version_error:
            evidence["CUDA (driver)"] = info.cuda_driver_version_error
            return [
                v.warn(
                    f"Driver {info.driver_version} answers, but not with its CUDA version",
                    detail=f"{info.cuda_driver_version_error}: the driver's libcuda did not "
                    "answer nvidia-smi, so CUDA programs (TensorFlow) are unlikely to find a "
                    "GPU. It happens where libcuda.so.1 is missing or is another driver's "
                    "(a container without the NVIDIA runtime, a shim layer, a vGPU host "
                    "driver without CUDA).",
                    evidence=evidence,
                    fix="Check that libcuda.so.1 comes from this driver: ldconfig -p | grep "
                    "libcuda; in a container run it with --gpus all (NVIDIA Container Toolkit).",
                )
            ]
        return [
            v.passed(
                _answers_title(info),
                evidence=evidence,
            )
        ]
    evidence["error"] = f"{err.error_class} ({err.code}): {err.message}"
    if _stub_loaded(ctx):
        return [v.skip("The stub library answered (see driver.nvml-stub).")]
    if err.error_class == "ImportError":
        return [
            v.fail(
                "The NVML Python binding is not installed",
                detail=err.message,
                evidence=evidence,
                fix="Reinstall gpusetup, or: python -m pip install nvidia-ml-py",
            )
        ]
    cls = err.error_class.removeprefix("NVMLError_")
    if cls == "LibraryNotFound":
        if not ctx.has_gpu:
            return [
                v.skip(
                    "No NVIDIA GPU and no NVIDIA driver library (see gpu.present).",
                )
            ]
        return [
            v.fail(
                "The NVIDIA driver is not installed",
                detail="libnvidia-ml.so.1, the driver's user-space library, was not found by the "
                "dynamic loader, so the GPU cannot be used.",
                evidence=evidence,
                fix=INSTALL_DRIVER_FIX,
            )
        ]
    if cls == "DriverNotLoaded":
        nouveau_held = [d.address for d in ctx.pci_gpus if d.driver == "nouveau"]
        detail = "The driver's library is installed but the nvidia kernel module is not loaded."
        fix = (
            "Load it and read why it failed if it does not:\n"
            "  sudo modprobe nvidia && nvidia-smi\n"
            "  sudo dmesg | grep -i -e nvidia -e nvrm\n"
            "With Secure Boot on (mokutil --sb-state) the module must be signed; if the "
            "kernel was upgraded, reinstall the driver (DKMS) for it."
        )
        if nouveau_held:
            detail += f" nouveau holds {', '.join(nouveau_held)}: fix driver.nouveau first."
            fix = NOUVEAU_FIX
        return [
            v.fail(
                "The NVIDIA kernel module is not loaded",
                detail=detail,
                evidence=evidence,
                fix=fix,
            )
        ]
    if cls == "LibRmVersionMismatch":
        lib_version = _library_version(info.library_path) or info.nvml_version
        module_version = (kernel.driver_version if kernel else None) or "of another version"
        library_part = f" and the library is {lib_version}" if lib_version else ""
        if lib_version:
            evidence["library version"] = lib_version
        return [
            v.fail(
                "Driver/library version mismatch: the kernel module and libnvidia-ml differ",
                detail=f"The loaded kernel module is {module_version}{library_part}; this happens "
                "after a driver upgrade without a reboot.",
                evidence=evidence,
                fix="Reboot. Without a reboot, stop everything using the GPU and reload the "
                "modules:\n"
                "  sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia && sudo modprobe nvidia",
            )
        ]
    if cls == "NoPermission":
        nodes = kernel.device_nodes + kernel.control_nodes if kernel else []
        denied = [n.path for n in nodes if not (n.readable and n.writable)]
        if denied:
            evidence["not accessible"] = denied
        return [
            v.fail(
                "No permission to talk to the NVIDIA driver",
                detail="NVML was refused access; this user cannot open the /dev/nvidia* device "
                "nodes.",
                evidence=evidence,
                fix="Check the nodes: ls -l /dev/nvidia*\nThey should be mode 0666 (the driver's "
                "default, NVreg_DeviceFileMode); or add this user to the group that owns them "
                "(sudo usermod -aG <group> $USER) and log in again.",
            )
        ]
    return [
        v.fail(
            f"NVML failed to initialise: {err.message}",
            detail=f"The driver answered {err.error_class} (code {err.code}).",
            evidence=evidence,
            fix=f"Check the kernel log: {XID_LOG_COMMAND}\n"
            "and what nvidia-smi says; a reboot clears most transient driver states.",
        )
    ]


def _answers_title(info: NvmlFacts) -> str:
    """``Driver 580.95.05 answers (CUDA 13.0, 2 GPU(s))``, saying only what is known."""
    parts = [
        f"CUDA {info.cuda_driver_version_text}" if info.cuda_driver_version_text else "",
        f"{info.device_count} GPU(s)" if info.device_count is not None else "",
    ]
    shown = ", ".join(p for p in parts if p)
    driver = f"Driver {info.driver_version}" if info.driver_version else "The driver"
    return f"{driver} answers" + (f" ({shown})" if shown else "")


def jetson(facts: Facts) -> str | None:
    """Why this machine is a Jetson (its GPU is part of the SoC, its driver and CUDA come
    with L4T/JetPack), or None.

    Signs, each seen on real Jetsons: /proc/driver/nvidia/version shows the L4T release
    (35.3.1) where a driver release stands; L4T kernels are named ``<version>-tegra``
    (4.9.140-tegra, 5.10.104-tegra); NVML on JetPack 6 names the GPU ``Orin (nvgpu)``.
    """
    kernel, host = facts.kernel, facts.host
    if kernel and kernel.l4t_release:
        return f"L4T {kernel.l4t_release} (/proc/driver/nvidia/version)"
    if host and host.kernel_release.endswith("-tegra"):
        return f"L4T kernel {host.kernel_release}"
    for gpu in facts.nvml.gpus if facts.nvml else []:
        if gpu.name and gpu.name.endswith("(nvgpu)"):
            return f"integrated GPU {gpu.name}"
    return None


def installed_driver(ctx: Context) -> str | None:
    """The driver release: NVML's answer, the kernel module's, else the version in the
    file name of the NVML library that was found (the module may not have loaded)."""
    nvml, kernel = ctx.facts.nvml, ctx.facts.kernel
    return (
        (nvml.driver_version if nvml else None)
        or (kernel.driver_version if kernel else None)
        or _library_version(nvml.library_path if nvml and not _stub_loaded(ctx) else None)
    )


def _architectures(ctx: Context) -> list[tuple[str, str, Architecture | None, str]]:
    """(subject, label, architecture, how it was identified) for every GPU: those NVML
    lists by compute capability (PCI device id if NVML gave none), then those only the
    PCI bus shows (a driver that no longer supports a GPU leaves it out of NVML)."""
    table = architecture_table()
    seen: set[str] = set()
    rows = []
    for gpu in ctx.nvml_gpus:
        if gpu.pci_bus_id:
            seen.add(normalise_bus_id(gpu.pci_bus_id))
        arch, how = None, "unknown"
        if gpu.compute_capability:
            arch, how = table.for_compute_capability(gpu.compute_capability), "compute capability"
            how += f" {gpu.cc_text}"
        if arch is None and gpu.pci_device_id:
            arch, how = table.for_pci_device(gpu.pci_device_id), f"PCI id {gpu.pci_device_id}"
        rows.append((f"GPU {gpu.index}", gpu_label(gpu), arch, how))
    for dev in ctx.pci_gpus:
        if normalise_bus_id(dev.address) in seen:
            continue
        label = f"PCI {dev.address} (device {dev.device_id}, not listed by NVML)"
        arch = table.for_pci_device(dev.device_id)
        rows.append((f"PCI {dev.address}", label, arch, f"PCI id {dev.device_id}"))
    return rows


@check("driver.branch", "The driver branch still supports every GPU")
def branch(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: each GPU's architecture (from its compute capability, or its PCI device id when
    the driver does not list it) against the last driver branch that supports it: Kepler
    ends with R470, Maxwell, Pascal and Volta with R580, Fermi with R390 (NVIDIA's CUDA
    Toolkit, Driver and Architecture Matrix; checks/data/architectures.toml).

    Why it matters: a driver from a later branch does not drive such a GPU: NVML and
    nvidia-smi leave it out, CUDA and TensorFlow never see it, and the kernel log says it
    is "supported through the NVIDIA 470.xx Legacy drivers ... The 510.47.03 NVIDIA
    driver will ignore this GPU" (then "No NVIDIA GPU found" when it was the only one).
    Upgrading the driver for a newer CUDA is then what broke the GPU.

    Fix: install the last driver of the branch that supports it (and the newest CUDA and
    TensorFlow that branch runs), or move the work to a newer GPU.
    """
    if where := jetson(ctx.facts):
        return [
            v.skip(
                f"This is a Jetson ({where}): its driver comes with L4T, not from a "
                "desktop driver branch.",
            )
        ]
    if ctx.gpu_unknown:
        return [v.skip("The NVIDIA driver did not answer (see driver.nvml).")]
    if not ctx.has_gpu:
        return [v.skip("No NVIDIA GPU (see gpu.present).")]
    driver = installed_driver(ctx)
    number = driver_branch(driver) if driver else None
    if number is None:
        return [v.skip("No driver version known (see driver.nvml).")]
    findings, known = [], []
    for subject, label, arch, how in _architectures(ctx):
        if arch is None:
            continue
        known.append(f"{label}: {arch.name} ({how})")
        last = arch.last_driver_branch
        if last is None or number <= last:
            continue
        unverified = " (unverified)" if arch.unverified else ""
        findings.append(
            v.finding(
                Status.WARN if arch.unverified else Status.FAIL,
                f"{label}: {arch.name} is supported only up to driver branch R{last}; "
                f"this driver is R{number} ({driver}){unverified}",
                detail=f"Driver branches after R{last} no longer support {arch.name} GPUs "
                f"(compute capability {', '.join(arch.compute_capabilities)}): the driver "
                "leaves this GPU out, so nvidia-smi, CUDA and TensorFlow do not see it.",
                evidence={
                    "architecture": f"{arch.name}, from its {how}",
                    "driver": driver,
                    "last supporting branch": f"R{last}",
                    "last CUDA for it": arch.last_cuda,
                    "source": arch.source,
                },
                fix=f"Install the last R{last} driver for this GPU (your distribution's "
                f"{last} driver package"
                + (f", e.g. {arch.driver_package}" if arch.driver_package else "")
                + f", or NVIDIA's {last}.xx "
                f"legacy driver download) and reboot; with it the newest CUDA is "
                f"{arch.last_cuda or 'the branch maximum'}. Or move this GPU's work to a "
                "newer GPU.",
                subject=subject,
            )
        )
    if findings:
        return findings
    if not known:
        return [v.skip("No GPU's architecture is known here.")]
    return [
        v.passed(
            f"Driver {driver} (R{number}) supports every GPU",
            evidence={"GPUs": known},
        )
    ]


def _unlisted(ctx: Context) -> list[PciDevice]:
    """GPUs on the PCI bus that NVML does not list (all of them when NVML did not answer).

    nvidia-smi -L shows no bus ids: where NVML lists GPUs without one, a count is all that
    is known, so every PCI GPU is a candidate unless NVML lists at least as many."""
    nvml = ctx.facts.nvml
    if nvml is None or nvml.init_error is not None:
        return list(ctx.pci_gpus)
    listed = {normalise_bus_id(g.pci_bus_id) for g in nvml.gpus if g.pci_bus_id}
    candidates = [d for d in ctx.pci_gpus if normalise_bus_id(d.address) not in listed]
    anonymous = [g for g in nvml.gpus if not g.pci_bus_id]
    if anonymous and len(candidates) <= len(anonymous):
        return []
    return candidates


def _pci_label(dev: PciDevice) -> str:
    """``GeForce RTX 5090 (10de:2b85) at 0000:01:00.0``; the pci.ids name where lspci gave it."""
    pci_id = f"10de:{dev.device_id.lower().removeprefix('0x')}"
    return f"{dev.name or 'NVIDIA GPU'} ({pci_id}) at {dev.address}"


OPEN_MODULES_FIX = (
    "the open kernel modules (Ubuntu: sudo apt install nvidia-driver-<branch>-open; "
    "Debian: nvidia-open-kernel-dkms; NVIDIA's runfile: --kernel-module-type=open), "
    "since the proprietary module does not drive Blackwell GPUs"
)


@check("driver.gpu-too-new", "The driver is new enough for every GPU on the PCI bus")
def gpu_too_new(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: each GPU on the PCI bus that NVML does not list, by its PCI device id (pci.ids:
    TU1xx Turing, GA1xx Ampere, AD1xx Ada, GH100 Hopper, GB1xx/GB2xx Blackwell), against
    the first driver branch of its architecture: the driver of the architecture's first
    CUDA release (Turing R410, Ampere R450, Ada and Hopper R520, Blackwell R570;
    checks/data/architectures.toml, from NVIDIA's CUDA Toolkit, Driver and Architecture
    Matrix and the CUDA release notes). Blackwell GPUs also need the open kernel modules.
    A GPU NVML lists is supported by this driver and is not judged.

    Why it matters: a driver older than the GPU does not bind it. nvidia-smi says "No
    devices were found" (or lists only the older GPUs), CUDA and TensorFlow see no GPU,
    while lspci shows the card; the kernel log says "NVRM: The NVIDIA GPU 0000:01:00.0
    (PCI ID: 10de:2b85) installed in this system is not supported by the NVIDIA 550.xx
    driver release". A Blackwell GPU on the proprietary module of a new enough driver
    fails the same way ("requires use of the NVIDIA open kernel modules").

    Fix: install a driver at or above the architecture's first branch (for Blackwell with
    the open kernel modules) and reboot. Where another GPU is supported only up to an older
    branch (a Kepler K80: R470), no driver drives both: move one of them.
    """
    if where := jetson(ctx.facts):
        return [v.skip(f"This is a Jetson ({where}): its GPU is not a PCI device.")]
    pci = ctx.facts.pci
    if pci is None or not pci.sysfs_present:
        return [v.skip("The PCI bus was not read (lspci -nn shows it).")]
    if not pci.gpus:
        return [v.skip("No NVIDIA GPU on the PCI bus.")]
    unlisted = _unlisted(ctx)
    if not unlisted:
        return [v.passed("The driver lists every GPU on the PCI bus")]
    driver = installed_driver(ctx)
    number = driver_branch(driver) if driver else None
    if driver is None or number is None:
        return [v.skip("No driver version known (see driver.nvml).")]
    kernel = ctx.facts.kernel
    module = kernel.kernel_module if kernel else None
    table = architecture_table()
    findings, judged = [], []
    for dev in unlisted:
        arch = table.for_pci_device(dev.device_id) if dev.device_id else None
        first = first_driver(arch) if arch else None
        if arch is None or first is None:
            continue
        first_cuda, first_version = first
        first_branch = driver_branch(first_version) or 0
        label = _pci_label(dev)
        judged.append(f"{label}: {arch.name}, first driver {first_version}")
        evidence = {
            "GPU": label,
            "architecture": f"{arch.name}, from its PCI id (pci.ids)",
            "driver": driver,
            "kernel module": module or "not known",
            "first supporting driver": f"{first_version} (R{first_branch}, CUDA {first_cuda})",
            "source": arch.source,
            **ctx.read_from(
                "nvml.driver_version",
                "kernel.driver_version",
                f"pci.nvidia_devices[{pci.nvidia_devices.index(dev)}]",
            ),
        }
        if number < first_branch:
            fix = f"Install NVIDIA driver {first_version} or newer (branch R{first_branch} or later"
            fix += f", with {OPEN_MODULES_FIX}" if arch.open_kernel_modules else ""
            fix += "), then reboot."
            older = [
                (other, a)
                for other, a in _branch_limits(ctx)
                if (a.last_driver_branch or 0) < first_branch
            ]
            if older:
                other, a = older[0]
                fix += (
                    f"\nNo driver drives both: {other} ({a.name}) is supported only up to "
                    f"R{a.last_driver_branch} (see driver.branch); move one of them to another "
                    "machine."
                )
            findings.append(
                v.fail(
                    f"{label}: {arch.name} needs driver branch R{first_branch} or newer; this "
                    f"driver is R{number} ({driver})",
                    detail=f"The first driver for {arch.name} GPUs is {first_version} (CUDA "
                    f"{first_cuda}); an older one does not bind this GPU: nvidia-smi and NVML "
                    'leave it out ("No devices were found" where it is the only GPU), so CUDA '
                    'and TensorFlow do not see it. The kernel log says it "is not supported by '
                    f'the NVIDIA {driver} driver release".',
                    evidence=evidence,
                    fix=fix,
                    subject=f"PCI {dev.address}",
                )
            )
        elif arch.open_kernel_modules and module != "open":
            known = module == "proprietary"
            loaded = "the proprietary one is loaded" if known else "which one loads is not known"
            findings.append(
                (v.fail if known else v.warn)(
                    f"{label}: {arch.name} GPUs need the open kernel modules; {loaded}",
                    detail=f"Driver {driver} supports {arch.name}, but only with the open kernel "
                    "modules: the proprietary module loads and does not initialise the GPU "
                    '(kernel log: "requires use of the NVIDIA open kernel modules"), so NVML '
                    "leaves it out."
                    + (
                        ""
                        if known
                        else " /proc/driver/nvidia/version names the module: 'Open Kernel "
                        "Module' is the open one."
                    ),
                    evidence=evidence,
                    fix=f"Install driver {driver} (or newer) with {OPEN_MODULES_FIX}, then "
                    "reboot. Check with: modinfo nvidia | grep license (Dual MIT/GPL: open).",
                    subject=f"PCI {dev.address}",
                )
            )
    if findings:
        return findings
    if not judged:
        return [v.skip("No unlisted GPU's architecture is known here.")]
    return [
        v.passed(
            f"Driver {driver} (R{number}) is new enough for every GPU on the PCI bus",
            evidence={"GPUs the driver does not list": judged},
        )
    ]


def _newest_tensorflow_for_driver(ctx: Context, driver: str) -> TensorFlowBuild | None:
    for build in tensorflow_builds():
        needed = ctx.cuda_table.min_driver_for(build.cuda)
        if needed and driver_at_least(driver, needed[1]) and ctx.runs_on_python(build):
            return build
    return None


def _newest_tensorflow_on_this_driver(ctx: Context, driver: str) -> TensorFlowBuild | None:
    """The newest release this driver runs at least through minor-version compatibility,
    for this Python, whose wheels reach every GPU's compute capability."""
    ccs = [g.compute_capability for g in ctx.nvml_gpus if g.compute_capability]
    for build in tensorflow_builds():
        floor = ctx.cuda_table.major_floor_driver.get(build.cuda_major)
        if (
            floor
            and driver_at_least(driver, floor)
            and ctx.runs_on_python(build)
            and all(tuple(cc) >= parse_cc(build.min_compute_capability) for cc in ccs)
        ):
            return build
    return None


def _branch_limits(ctx: Context) -> list[tuple[str, Architecture]]:
    """GPUs whose architecture caps the driver branch (Kepler: R470), with the cap."""
    return [
        (label, arch)
        for _, label, arch, _ in _architectures(ctx)
        if arch is not None and arch.last_driver_branch is not None and not arch.unverified
    ]


@check("driver.version", "The driver is new enough for the TensorFlow target's CUDA")
def driver_version(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the installed driver supports the CUDA version that the target
    TensorFlow release was built with (the profile's target.tensorflow, else the newest
    release for this Python). An update release has its own minimum (CUDA 12.5.1, which
    TensorFlow 2.18 and later are built with, needs 555.42.06).

    Why it matters: a CUDA X.Y build needs the driver listed for X.Y in NVIDIA's release
    notes. Under minor-version compatibility it still runs on any driver from the same
    CUDA major's floor (12.x: 525.60.13), with limited features and possible PTX JIT
    failures; below that floor CUDA reports "driver version is insufficient". A Jetson's
    driver and CUDA come with L4T (JetPack) and are not judged by these minimums.

    Fix: upgrade the driver to at least the version shown, or choose an older TensorFlow.
    Where a GPU is supported only up to an older driver branch (a Kepler K80: R470), the
    upgrade would drop that GPU: the older TensorFlow is the fix.
    """
    if where := jetson(ctx.facts):
        return [
            v.skip(
                f"This is a Jetson ({where}): its CUDA comes with JetPack, and desktop "
                "driver minimums do not apply.",
            )
        ]
    nvml = ctx.facts.nvml
    driver = installed_driver(ctx)
    if not driver:
        return [v.skip("No driver version known (see driver.nvml).")]
    tf = ctx.target
    if tf is None:
        return [v.skip(ctx.no_target_reason)]
    major = tf.cuda_major
    row = ctx.cuda_table.min_driver_for(tf.cuda)
    needed = row[1] if row else None
    floor = ctx.cuda_table.major_floor_driver.get(major)
    evidence = {
        "driver": driver,
        "TensorFlow target": ctx.target_words(tf),
        "built with CUDA": tf.cuda,
        f"CUDA {row[0] if row else tf.cuda} driver": needed,
        f"CUDA {major}.x floor": floor,
    }
    if nvml and nvml.cuda_driver_version_text:
        evidence["driver's CUDA"] = nvml.cuda_driver_version_text
    upgrade = f"Upgrade the NVIDIA driver to {needed} or newer, then reboot."
    capped = [
        (label, arch)
        for label, arch in _branch_limits(ctx)
        if needed and (driver_branch(needed) or 0) > (arch.last_driver_branch or 0)
    ]
    if capped:
        label, arch = capped[0]
        upgrade = (
            f"Upgrading the driver to {needed} would drop {label}: {arch.name} GPUs are "
            f"supported only up to R{arch.last_driver_branch} (see driver.branch)."
        )
        within = _newest_tensorflow_on_this_driver(ctx, driver)
        if within and within.version != tf.version:
            upgrade += (
                f"\nUse TensorFlow {within.version} (CUDA {within.cuda}): the newest release for "
                f"Python {ctx.python_shown} that driver {driver} runs (at least through "
                "minor-version compatibility) and whose wheels include every GPU here."
            )
    older = _newest_tensorflow_for_driver(ctx, driver)
    if older and older.version != tf.version:
        upgrade += (
            f"\nOr use TensorFlow {older.version} (CUDA {older.cuda}), the newest release "
            f"for Python {ctx.python_shown} that this driver runs fully."
        )
    evidence |= ctx.read_from("nvml.driver_version", "kernel.driver_version")
    if floor and not driver_at_least(driver, floor):
        # too old for a target the text does not name: a warning, not a verdict
        too_old = v.warn if ctx.target_assumed else v.fail
        return [
            too_old(
                f"Driver {driver} is too old for TensorFlow {tf.version} (CUDA {tf.cuda})",
                detail=f"CUDA {major}.x needs driver {floor} or newer; TensorFlow will fail with "
                "'CUDA driver version is insufficient for CUDA runtime version'.",
                evidence=evidence,
                fix=upgrade,
            )
        ]
    if needed and not driver_at_least(driver, needed):
        return [
            v.warn(
                f"Driver {driver} runs CUDA {tf.cuda} only through minor-version compatibility",
                detail=f"CUDA {tf.cuda} lists driver {needed}; from {floor} it runs with limited "
                "features, and JIT compilation of newer PTX can fail.",
                evidence=evidence,
                fix=upgrade,
            )
        ]
    return [
        v.passed(
            f"Driver {driver} supports CUDA {tf.cuda} (TensorFlow {tf.version})",
            evidence=evidence,
        )
    ]

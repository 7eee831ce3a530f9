"""The CUDA driver API: does cuInit work, and how does CUDA number the GPUs."""

from __future__ import annotations

from gpusetup.devices.map import build_map
from gpusetup.diagnose import NVML_GPUS, Context, Verdict, check, shown
from gpusetup.findings import Finding
from gpusetup.knowledge import XID_LOG_COMMAND, tensorflow_sonames

CUDA_ERROR_HINTS = {
    "CUDA_ERROR_NO_DEVICE": "CUDA sees no device",
    "CUDA_ERROR_INSUFFICIENT_DRIVER": "the driver is older than this libcuda needs",
    "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH": "libcuda and the kernel driver are different versions",
    "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE": "the forward-compatibility package does not "
    "support this GPU",
}


@check("cuda.init", "CUDA initialises (cuInit) and shows the GPUs", needs=(shown("cuda"),))
def cuda_init(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the driver's libcuda.so.1 loads, cuInit succeeds, and which devices CUDA
    shows under this environment (CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER); run in a child
    with a deadline, since cuInit can hang on a broken driver.

    Why it matters: TensorFlow gets exactly these devices. CUDA_ERROR_NO_DEVICE with GPUs
    installed usually means CUDA_VISIBLE_DEVICES hides them; CUDA_ERROR_INSUFFICIENT_DRIVER
    or CUDA_ERROR_SYSTEM_DRIVER_MISMATCH mean libcuda and the kernel driver disagree.

    Fix: as the finding says: unset or correct CUDA_VISIBLE_DEVICES, reinstall the driver
    so libcuda and the kernel module match, or reboot after a driver upgrade.
    """
    # a pasted CUDA listing stands on its own where no nvidia-smi output is beside it
    if ctx.facts.text is None or ctx.facts.nvml is not None:
        if skip := v.unless(ctx, NVML_GPUS):
            return [skip]
        if not ctx.nvml_ok:
            return [v.skip("The driver does not answer (see driver.nvml).")]
    cuda = ctx.facts.cuda
    if cuda is None:
        failure = ctx.facts.failures.get("cuda")
        return [
            v.fail(
                "The CUDA probe failed",
                detail=failure.message if failure else "CUDA was not probed.",
                fix=XID_LOG_COMMAND,
            )
        ]
    evidence: dict[str, object] = {
        "libcuda": cuda.library_path,
        "CUDA_VISIBLE_DEVICES": cuda.visible_devices,
        "CUDA_DEVICE_ORDER": cuda.device_order,
    }
    if cuda.load_error:
        return [
            v.skip(
                f"libcuda.so.1 does not load ({cuda.load_error}); see libs.required.",
            )
        ]
    if cuda.hung_call:
        return [
            v.fail(
                f"CUDA call {cuda.hung_call} did not return within {cuda.timeout_s:g} s",
                detail="The driver is wedged or a GPU fell off the bus.",
                evidence=evidence,
                fix=f"{XID_LOG_COMMAND}   # then reboot; Xid 79 means a GPU fell off the bus",
            )
        ]
    if cuda.init_error:
        name = cuda.init_error.name
        hidden = name == "CUDA_ERROR_NO_DEVICE" and cuda.visible_devices is not None
        hint = CUDA_ERROR_HINTS.get(name, "")
        fix = (
            "Unset CUDA_VISIBLE_DEVICES, or name GPUs that exist (nvidia-smi -L)."
            if hidden
            else "Reinstall the NVIDIA driver so libcuda.so.1 and the kernel module come "
            "from one release, then reboot."
        )
        return [
            v.fail(
                (name if ctx.facts.text is not None else f"cuInit failed: {name}")
                + (f" ({hint})" if hint else ""),
                detail=(
                    "CUDA_VISIBLE_DEVICES hides every GPU."
                    if hidden
                    else f"The CUDA driver API answered {name} ({cuda.init_error.code})."
                ),
                evidence=evidence,
                fix=fix,
            )
        ]
    evidence["devices"] = [f"{d.ordinal}: {d.name} ({d.pci_bus_id})" for d in cuda.devices]
    evidence |= ctx.read_from("cuda.devices[]")
    version = cuda.driver_version
    api = f" (driver API {version // 1000}.{(version % 1000) // 10})" if version else ""
    return [
        v.passed(
            f"CUDA shows {len(cuda.devices)} device(s){api}",
            evidence=evidence,
        )
    ]


@check(
    "gpu.device-order",
    "CUDA numbers GPUs as nvidia-smi does",
    needs=(shown("nvml.gpus"), shown("cuda")),
)
def device_order(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the CUDA ordinal of each GPU (what TensorFlow's /GPU:k and
    CUDA_VISIBLE_DEVICES=N count in) follows nvidia-smi's index.

    Why it matters: CUDA orders devices fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID;
    on a machine with mixed GPUs "GPU 0" in nvidia-smi is then not CUDA device 0, and
    jobs pinned by number train on the wrong card.

    Fix: export CUDA_DEVICE_ORDER=PCI_BUS_ID (in the job's environment), or select GPUs by
    UUID: `gpusetup map --select N` prints the line.
    """
    cuda = ctx.facts.cuda
    if not ctx.nvml_gpus or cuda is None or not cuda.ok:
        return [v.skip("Needs both NVML and CUDA (see driver.nvml, cuda.init).")]
    dmap = build_map(ctx.facts, None)
    pairs = [
        f"nvidia-smi {r.smi_index} = CUDA {r.cuda_ordinal}"
        for r in dmap.rows
        if r.smi_index is not None and r.cuda_ordinal is not None
    ]
    if dmap.orders_differ:
        return [
            v.warn(
                "CUDA device numbers differ from nvidia-smi's",
                detail="; ".join(pairs),
                evidence={"mapping": pairs},
                fix="export CUDA_DEVICE_ORDER=PCI_BUS_ID\n"
                "or select by UUID: gpusetup map --select <nvidia-smi index>",
            )
        ]
    return [v.passed(evidence={"mapping": pairs})]


def _driver_cuda(ctx: Context) -> tuple[int, int] | None:
    """The newest CUDA the driver runs (NVML, else the driver API), as (major, minor)."""
    nvml, cuda = ctx.facts.nvml, ctx.facts.cuda
    value = (nvml.cuda_driver_version if nvml else None) or (cuda.driver_version if cuda else None)
    return (value // 1000, (value % 1000) // 10) if value else None


def _ptxas_package(cuda_major: str) -> str:
    """The pip package with ptxas for a CUDA major (nvidia-cuda-nvcc-cu12; CUDA 13's has no
    suffix)."""
    packages = tensorflow_sonames().pip_packages.get(cuda_major, {})
    return packages.get("ptxas", f"nvidia-cuda-nvcc-cu{cuda_major}")


def _release(version: str) -> tuple[int, int] | None:
    major, _, rest = version.partition(".")
    minor = rest.split(".", 1)[0]
    return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else None


@check(
    "cuda.toolchain",
    "XLA finds ptxas and libdevice, no newer than the driver",
    needs=(shown("libs.toolchain"),),
)
def toolchain(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether ptxas and libdevice.10.bc, which XLA (TensorFlow's and JAX's compiler)
    uses to build GPU kernels at run time, are where it looks: beside a pip-installed
    framework (nvidia-cuda-nvcc), or under the CUDA toolkit (/usr/local/cuda); and whether
    the ptxas XLA would use (the first found, in its search order) is a CUDA release the
    driver supports.

    Why it matters: without them, jit-compiled models fail with "Couldn't get ptxas
    version" or "libdevice not found", or fall back to slower paths. A ptxas newer than
    the driver's CUDA version writes PTX the driver cannot JIT-compile
    (CUDA_ERROR_UNSUPPORTED_PTX_VERSION, "the provided PTX was compiled with an
    unsupported toolchain"); XLA then warns "The NVIDIA driver's CUDA version is X which
    is older than the ptxas CUDA version (Y)" and disables parallel compilation.

    Fix: `pip install nvidia-cuda-nvcc-cu12` in the framework's environment, or point XLA at
    a toolkit: XLA_FLAGS=--xla_gpu_cuda_data_dir=/usr/local/cuda. For a toolkit newer than
    the driver: upgrade the driver, or use a toolkit no newer than the driver's CUDA.
    """
    libs = ctx.facts.libs
    if not ctx.libraries_wanted:
        return [v.skip("No NVIDIA GPU (see gpu.present).")]
    if libs is None:
        failure = ctx.facts.failures.get("libs")
        why = failure.message if failure else "the library probe did not run"
        return [v.skip(f"No library facts: {why}.")]
    evidence: dict[str, object] = dict(libs.toolchain)
    if libs.toolchain_versions:
        evidence["versions"] = dict(libs.toolchain_versions)
    missing = [k for k in ("ptxas", "libdevice") if not libs.toolchain.get(k)]
    major = ctx.target.cuda_major if ctx.target else "12"
    if missing:
        return [
            v.warn(
                f"XLA cannot find {' and '.join(missing)}",
                detail="Models that XLA compiles for the GPU fail or run slower.",
                evidence=evidence,
                fix=f"python -m pip install {_ptxas_package(major)}\n"
                "or: export XLA_FLAGS=--xla_gpu_cuda_data_dir=/usr/local/cuda",
            )
        ]
    ptxas = libs.toolchain["ptxas"][0]
    version = libs.toolchain_versions.get(ptxas)
    toolkit = _release(version) if version else None
    driver = _driver_cuda(ctx)
    if toolkit and driver:
        evidence["driver's CUDA"] = f"{driver[0]}.{driver[1]}"
    if toolkit and driver and toolkit > driver:
        driver_text = f"{driver[0]}.{driver[1]}"
        toolkit_text = f"{toolkit[0]}.{toolkit[1]}"
        # ptxas carries its component version (13.0.88), not the toolkit update: X.Y's row
        floor = ctx.cuda_table.min_driver_for(toolkit_text)
        newer = f" (CUDA {floor[0]} needs driver {floor[1]} or newer)" if floor else ""
        return [
            v.warn(
                f"ptxas {version} is newer than the driver's CUDA {driver_text}",
                detail=f"{ptxas} is CUDA {toolkit_text}; the driver runs CUDA {driver_text}, so "
                'the PTX this toolkit writes cannot be JIT-compiled by the driver ("the '
                'provided PTX was compiled with an unsupported toolchain"); XLA disables '
                "parallel compilation and kernels built for newer GPUs fail to load.",
                evidence=evidence,
                fix=f"Either upgrade the NVIDIA driver to one for CUDA {toolkit_text}{newer}, "
                f"or use a CUDA toolkit no newer than {driver_text}: e.g. "
                f"python -m pip install '{_ptxas_package(str(driver[0]))}=={driver_text}.*' "
                "beside the framework, or "
                f"XLA_FLAGS=--xla_gpu_cuda_data_dir=/usr/local/cuda-{driver_text}.",
            )
        ]
    return [v.passed(evidence=evidence)]

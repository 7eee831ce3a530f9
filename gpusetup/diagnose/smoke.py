"""The smoke inference's finding ids, explained. The verdicts come from the smoke step
(``gpusetup.smoke.judge``), which runs the model after the checks; these entries make
``gpusetup explain`` know them like every other id."""

from __future__ import annotations

from gpusetup.diagnose import Context, check
from gpusetup.findings import Finding


@check("smoke.inference", "The smoke inference runs on every device", runs_in_diagnose=False)
def smoke_inference(ctx: Context) -> list[Finding]:
    """
    What: a small fixed convolutional model (weights from a fixed seed, nothing
    downloaded) run in a child process on the CPU and on every GPU the framework
    registers; each device's output is compared with the CPU's (|delta| <= 1e-4 +
    1e-3 * max|y|, TF32 off), and the warm latency per batch of 16 is measured. Run by
    `gpusetup smoke` and as the doctor's last step.

    Why it matters: the checks before it read the driver, the libraries and the
    environment; this is the proof that the framework really computes on each GPU. It
    catches what only running finds: out-of-memory, illegal memory accesses, cuDNN
    failures, kernels missing for the GPU's architecture, wrong results, and devices that
    stop answering (each device has a deadline: --timeout, default 120 s).

    Fix: as the finding says for its kind: free the GPU's memory, check the kernel log for
    Xid errors and gpu.health, fix the cuDNN the libs checks name, use a framework built
    for the architecture. A skip says why it did not run (no framework: the install
    command; no GPU or a CPU-only build: see gpu.present, libs.tensorflow-build).
    """
    return []


@check("smoke.gpu-visible", "The framework uses every GPU it should", runs_in_diagnose=False)
def smoke_gpu_visible(ctx: Context) -> list[Finding]:
    """
    What: how many GPUs the framework registered in the smoke run, against how many it
    should use here: the GPUs CUDA shows under CUDA_VISIBLE_DEVICES, less those below
    the framework's minimum compute capability and those lost to the driver. The finding
    names the GPUs left out and why.

    Why it matters: TensorFlow falls back to the CPU without an error when it cannot use
    a GPU (a library it cannot load, a CPU-only build); a job then runs tens of times
    slower and nobody is told.

    Fix: `gpusetup libs` for a library TensorFlow could not load, libs.tensorflow-build
    for a CPU-only build, `gpusetup map` for which GPUs CUDA_VISIBLE_DEVICES hides or
    TensorFlow ignores.
    """
    return []

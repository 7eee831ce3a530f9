"""What TensorFlow itself sees (named so it cannot shadow `import tensorflow` in the child,
which runs from this directory): its GPUs with their descriptions, the GPUs it ignores
and why, the libraries it could not load. Runs TensorFlow in a child with a deadline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from gpusetup.facts import TensorFlowRuntime, TfDlopenFailure, TfGpu, TfIgnoredGpu
from gpusetup.probe._deadline import run_script
from gpusetup.probe.modules import find_module
from gpusetup.serde import record

CHILD = Path(__file__).with_name("tensorflow_child.py")
TIMEOUT_S = 120.0


@record
class TfLog:
    """What TensorFlow's log says about its GPUs and libraries, as facts."""

    gpus: list[TfGpu] = field(default_factory=list)
    ignored: list[TfIgnoredGpu] = field(default_factory=list)
    dlopen_failures: list[TfDlopenFailure] = field(default_factory=list)
    #: "Cannot dlopen some GPU libraries": TensorFlow skipped registering its GPUs
    cannot_dlopen: bool = False


def read_tf_log(text: str) -> TfLog:
    """TensorFlow's log lines (read by gpusetup.parse.tf_log) as facts: each GPU it
    created a device for, each it ignored and why, each library it could not load."""
    from gpusetup.parse import tf_log

    reading = tf_log.read(text)
    gpus: list[TfGpu] = []
    ignored: list[TfIgnoredGpu] = []
    for gpu in reading.gpus:
        if gpu.index is None or gpu.name is None:
            continue
        if gpu.ignored:
            found = TfIgnoredGpu(
                gpu.index,
                gpu.name,
                gpu.bus_id or "",
                gpu.compute_capability or "",
                gpu.minimum_cc or "",
            )
            if found not in ignored:
                ignored.append(found)
        elif gpu.tf_device is not None:
            created = TfGpu(
                gpu.tf_device,
                gpu.index,
                gpu.name,
                gpu.bus_id or "",
                gpu.compute_capability,
                gpu.tf_memory_mb,
            )
            if created not in gpus:
                gpus.append(created)
    failures: list[TfDlopenFailure] = []
    for library in reading.libraries:
        if library.status is None or library.status == "opened":
            continue
        failure = TfDlopenFailure(library.name, library.status)
        if failure not in failures:
            failures.append(failure)
    cannot = "tf-dlopen-failed" in reading.problem_ids
    return TfLog(gpus, ignored, failures, cannot)


def parse_created(line: str) -> TfGpu | None:
    """The GPU a "Created device" line describes."""
    gpus = read_tf_log(line).gpus
    return gpus[0] if gpus else None


def parse_ignored(line: str) -> TfIgnoredGpu | None:
    """The GPU an "Ignoring visible gpu device" line describes."""
    ignored = read_tf_log(line).ignored
    return ignored[0] if ignored else None


def parse_dlopen_failure(line: str) -> TfDlopenFailure | None:
    """The library a "Could not load dynamic library" line names."""
    failures = read_tf_log(line).dlopen_failures
    return failures[0] if failures else None


def tensorflow_importable() -> bool:
    return find_module("tensorflow") is not None


def parse_tensorflow_run(stdout: str, stderr: str) -> TensorFlowRuntime:
    """The TensorFlow child's summary (stdout, JSON) and its log (stderr) as facts."""
    summary: dict = {}
    for line in stdout.splitlines():
        try:
            summary = json.loads(line)
        except json.JSONDecodeError:
            continue
    log = read_tf_log(stderr)
    return TensorFlowRuntime(
        installed=True,
        version=summary.get("version"),
        is_cuda_build=summary.get("is_cuda_build"),
        cuda_version=summary.get("cuda_version"),
        cudnn_version=summary.get("cudnn_version"),
        physical_gpus=len(summary.get("physical_gpus", [])),
        gpus=log.gpus,
        ignored=log.ignored,
        dlopen_failures=log.dlopen_failures,
        cannot_dlopen=log.cannot_dlopen,
        error=summary.get("import_error"),
    )


def probe_tensorflow(environ: Mapping[str, str], timeout_s: float = TIMEOUT_S) -> TensorFlowRuntime:
    """Run TensorFlow in a child under ``environ`` and read what it registered."""
    if not tensorflow_importable():
        return TensorFlowRuntime(installed=False)
    result = run_script(CHILD, (), timeout_s, env=environ)
    runtime = parse_tensorflow_run(result.stdout, result.stderr)
    if result.timed_out:
        return TensorFlowRuntime(
            installed=True,
            error=f"importing TensorFlow and listing its GPUs "
            f"did not finish within {timeout_s:g} s",
        )
    if result.returncode != 0 and runtime.version is None:
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        return TensorFlowRuntime(
            installed=True, error=f"TensorFlow exited with {result.returncode}: {tail}"
        )
    return runtime

"""What TensorFlow itself sees (named so it cannot shadow `import tensorflow` in the child,
which runs from this directory): its GPUs with their descriptions, the GPUs it ignores
and why, the libraries it could not load. Runs TensorFlow in a child with a deadline."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path

from gpusetup.facts import TensorFlowRuntime
from gpusetup.probe._deadline import run_script
from gpusetup.tflog import cannot_dlopen, parse_created, parse_dlopen_failure, parse_ignored

CHILD = Path(__file__).with_name("tensorflow_child.py")
TIMEOUT_S = 120.0


def tensorflow_importable() -> bool:
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def parse_tensorflow_run(stdout: str, stderr: str) -> TensorFlowRuntime:
    summary: dict = {}
    for line in stdout.splitlines():
        try:
            summary = json.loads(line)
        except json.JSONDecodeError:
            continue
    gpus, ignored, failures = [], [], []
    cannot = False
    for line in stderr.splitlines():
        if (gpu := parse_created(line)) and gpu not in gpus:
            gpus.append(gpu)
        elif (skip := parse_ignored(line)) and skip not in ignored:
            ignored.append(skip)
        elif (fail := parse_dlopen_failure(line)) and fail not in failures:
            failures.append(fail)
        cannot = cannot or cannot_dlopen(line)
    return TensorFlowRuntime(
        installed=True,
        version=summary.get("version"),
        is_cuda_build=summary.get("is_cuda_build"),
        cuda_version=summary.get("cuda_version"),
        cudnn_version=summary.get("cudnn_version"),
        physical_gpus=len(summary.get("physical_gpus", [])),
        gpus=gpus,
        ignored=ignored,
        dlopen_failures=failures,
        cannot_dlopen=cannot,
        error=summary.get("import_error"),
    )


def probe_tensorflow(environ: Mapping[str, str], timeout_s: float = TIMEOUT_S) -> TensorFlowRuntime:
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

"""Environment variables that decide which GPUs CUDA shows and how it behaves."""

from __future__ import annotations

from collections.abc import Mapping

from gpusetup.facts import RISKY_CUDA_VARIABLES, EnvFacts


def probe_env(environ: Mapping[str, str]) -> EnvFacts:
    return EnvFacts(
        cuda_visible_devices=environ.get("CUDA_VISIBLE_DEVICES"),
        cuda_device_order=environ.get("CUDA_DEVICE_ORDER"),
        ld_library_path=environ.get("LD_LIBRARY_PATH"),
        risky_variables={k: environ[k] for k in RISKY_CUDA_VARIABLES if k in environ},
    )

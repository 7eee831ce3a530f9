"""Checks: pure functions of (Facts, Profile) that return Findings.

No check opens a file or calls a library, so every check is tested with Facts alone. Each
check registers under a stable id; its docstring is the long explanation that
``gpusetup explain ID`` prints.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from gpusetup.facts import Facts, NvmlGpu
from gpusetup.findings import Finding, Status, bug_finding
from gpusetup.knowledge import (
    CudaTable,
    Profile,
    TensorFlowBuild,
    cuda_table,
    default_tensorflow_build,
    find_tensorflow_build,
)


@dataclass(frozen=True)
class Context:
    """What every check may read: the facts, the profile and the compatibility tables.
    Nothing else: a check never asks the machine that runs the diagnosis, so facts
    recorded on one machine get the same verdicts on any other."""

    facts: Facts
    profile: Profile
    cuda_table: CudaTable
    #: `gpusetup libs`: judge the libraries even on a machine without a GPU
    force_libraries: bool = False

    @cached_property
    def python_version(self) -> str | None:
        """The Python the facts were recorded with (None: the host was not probed)."""
        return self.facts.host.python_version if self.facts.host else None

    @property
    def python_shown(self) -> str:
        return self.python_version or "(not recorded)"

    def runs_on_python(self, build: TensorFlowBuild) -> bool | None:
        """Whether ``build`` ships wheels for the facts' Python (None: not recorded)."""
        if self.python_version is None:
            return None
        return build.supports_python(self.python_version)

    @cached_property
    def target(self) -> TensorFlowBuild | None:
        """The TensorFlow release (a row of checks/data/tensorflow.toml) the machine is
        judged against: the profile's target, else the newest for the facts' Python."""
        if self.profile.tensorflow:
            return find_tensorflow_build(self.profile.tensorflow)
        if self.python_version is None:
            return None
        return default_tensorflow_build(self.python_version)

    @property
    def min_compute_capability(self) -> str | None:
        """The compute capability TensorFlow needs here: the profile's, else the target's."""
        target = self.target
        return self.profile.min_compute_capability or (
            target.min_compute_capability if target else None
        )

    @property
    def nvml_ok(self) -> bool:
        return self.facts.nvml is not None and self.facts.nvml.ok

    @property
    def nvml_gpus(self) -> list[NvmlGpu]:
        """GPUs NVML reported (also the ones answered before a hang)."""
        return self.facts.nvml.gpus if self.facts.nvml else []

    @property
    def pci_gpus(self) -> list:
        return self.facts.pci.gpus if self.facts.pci else []

    @property
    def has_gpu(self) -> bool:
        nvml = self.facts.nvml
        return bool(self.pci_gpus) or bool(nvml and (nvml.device_count or nvml.gpus))

    @property
    def nvml_unanswered(self) -> str | None:
        """Why NVML could not say what GPUs there are (a call that hung, a probe that
        died), or None. A hung driver is not a missing GPU: it is its own verdict."""
        nvml = self.facts.nvml
        if nvml is None:
            failure = self.facts.failures.get("nvml")
            return f"the NVML probe failed: {failure.message}" if failure else None
        if nvml.hung_call and not nvml.gpus:
            return f"NVML call {nvml.hung_call} did not return within {nvml.timeout_s:g} s"
        return None

    @property
    def gpu_unknown(self) -> bool:
        """No GPU seen, and the driver could not be asked: whether there is one is unknown."""
        return not self.has_gpu and self.nvml_unanswered is not None

    @property
    def libraries_wanted(self) -> bool:
        return self.force_libraries or self.has_gpu or self.gpu_unknown

    def skip(self, check_id: str, title: str, reason: str) -> Finding:
        return Finding(id=check_id, status=Status.SKIP, title=title, detail=reason)

    def needs_nvml(self, check_id: str, title: str) -> Finding | None:
        """A skip finding when NVML gave no GPU data, naming the root cause."""
        if self.gpu_unknown:
            return self.skip(check_id, title, "The NVIDIA driver did not answer (see driver.nvml).")
        if not self.has_gpu:
            return self.skip(check_id, title, "No NVIDIA GPU on this machine (see gpu.present).")
        if not self.nvml_gpus:
            return self.skip(check_id, title, "NVML gave no GPU data (see driver.nvml).")
        return None


def tensorflow_minimum(facts: Facts, profile: Profile) -> str | None:
    """The compute capability TensorFlow needs on the machine of ``facts``."""
    return Context(facts=facts, profile=profile, cuda_table=cuda_table()).min_compute_capability


def gpu_label(gpu: NvmlGpu) -> str:
    parts = [p for p in (gpu.name, gpu.pci_bus_id_normalised) if p]
    return f"GPU {gpu.index}" + (f" ({', '.join(parts)})" if parts else "")


CheckFn = Callable[[Context], list[Finding]]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    explanation: str
    run: CheckFn
    #: False for an id whose verdict another step gives (the smoke inference): it is
    #: explained and listed, but ``diagnose`` does not run it
    runs_in_diagnose: bool = True
    #: the module that declares it (reports list modules in CHECK_MODULES' order)
    module: str = ""


CHECKS: dict[str, Check] = {}
CHECK_MODULES = (
    "presence",
    "driver",
    "gpu",
    "cuda",
    "libraries",
    "environment",
    "node",
    "smoke",
)


def check(check_id: str, title: str, runs_in_diagnose: bool = True) -> Callable[[CheckFn], CheckFn]:
    """Register a check; its docstring becomes its explanation."""

    def register(fn: CheckFn) -> CheckFn:
        if check_id in CHECKS:
            raise ValueError(f"duplicate check id {check_id}")
        CHECKS[check_id] = Check(
            check_id, title, inspect.cleandoc(fn.__doc__ or ""), fn, runs_in_diagnose, fn.__module__
        )
        return fn

    return register


def _load_checks() -> None:
    # importing a module registers its checks; reports list them in this order
    for module in CHECK_MODULES:
        importlib.import_module(f"gpusetup.diagnose.{module}")


def all_checks() -> dict[str, Check]:
    """Every check by id, in report order: CHECK_MODULES' order, then each module's (a
    module imported early, by a test or a library user, does not move its checks up)."""
    _load_checks()
    order = {f"gpusetup.diagnose.{name}": i for i, name in enumerate(CHECK_MODULES)}
    ranked = sorted(
        enumerate(CHECKS.values()),
        key=lambda item: (order.get(item[1].module, len(order)), item[0]),
    )
    if [chk.id for _, chk in ranked] != list(CHECKS):
        CHECKS.clear()
        CHECKS.update((chk.id, chk) for _, chk in ranked)
    return CHECKS


def diagnose(
    facts: Facts, profile: Profile, only_prefix: str | None = None, force_libraries: bool = False
) -> list[Finding]:
    ctx = Context(
        facts=facts, profile=profile, cuda_table=cuda_table(), force_libraries=force_libraries
    )
    findings: list[Finding] = []
    for chk in all_checks().values():
        if not chk.runs_in_diagnose or (only_prefix and not chk.id.startswith(only_prefix)):
            continue
        try:
            findings.extend(chk.run(ctx))
        except Exception as exc:  # noqa: BLE001 - a broken check must not hide the others
            findings.append(bug_finding(chk.id, chk.title, exc))
    return findings


__all__ = ["CHECKS", "Check", "Context", "all_checks", "check", "diagnose", "find_tensorflow_build"]

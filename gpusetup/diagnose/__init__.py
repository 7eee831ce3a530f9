"""Checks: pure functions of (Facts, Profile) that return Findings.

No check opens a file, calls a library or asks the platform, so every check is tested
with Facts alone and facts recorded on one machine are judged the same on any other.
``@check(id, title, needs=...)`` declares a check once: its stable id and title (bound in
the ``Verdict`` every finding of it is made with), the facts it needs (``Precondition``:
when one is missing the check is a skip that names the root cause) and, in its
docstring, the long explanation that ``gpusetup explain ID`` prints.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from functools import cached_property
from typing import Any

from gpusetup.facts import SHOWN_TOPICS, Facts, LibraryFacts, NvmlGpu
from gpusetup.findings import Finding, Status, bug_finding
from gpusetup.knowledge import (
    CudaTable,
    Profile,
    TensorFlowBuild,
    cuda_table,
    default_tensorflow_build,
    find_tensorflow_build,
    tensorflow_builds,
)
from gpusetup.serde import record


@record
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
        if self.target_assumed:
            return tensorflow_builds()[0]
        if self.python_version is None:
            return None
        return default_tensorflow_build(self.python_version)

    @property
    def target_assumed(self) -> bool:
        """Pasted text that shows no Python, judged without a profile target: the target is
        the newest release, and what it alone would fail is a warning, said as assumed."""
        return (
            self.facts.text is not None
            and not self.profile.tensorflow
            and self.python_version is None
            and bool(tensorflow_builds())
        )

    def target_words(self, build: TensorFlowBuild) -> str:
        """``TensorFlow 2.21``, with why it is the target when it is assumed."""
        if self.target_assumed:
            return (
                f"TensorFlow {build.version} (the newest release: the pasted text does not "
                "show which one is meant; name it with target.tensorflow in a profile)"
            )
        return f"TensorFlow {build.version}"

    @property
    def no_target_reason(self) -> str:
        """Why there is no TensorFlow release to judge against (``target`` is None)."""
        if self.facts.text is not None:
            return (
                "The pasted text does not show which Python or TensorFlow to judge against; "
                "name the release in a profile (target.tensorflow, --profile FILE)."
            )
        return (
            f"No TensorFlow release in gpusetup's table ships wheels for "
            f"Python {self.python_shown}."
        )

    def read_from(self, *facts: str) -> dict[str, object]:
        """Evidence: the pasted lines ``facts`` were read from (nothing for probed facts).
        A name ending in ``[]`` stands for every item of that list."""
        text = self.facts.text
        if text is None:
            return {}
        lines = []
        for name in facts:
            if name.endswith("[]"):
                stem = name[:-2] + "["
                lines += [v for k, v in text.lines.items() if k.startswith(stem) and "]." not in k]
            elif name in text.lines:
                lines.append(text.lines[name])
        return {"read from": list(dict.fromkeys(lines))} if lines else {}

    def outputs(self, *kinds: str) -> dict[str, object]:
        """Evidence: the pasted outputs of ``kinds`` (nothing for probed facts)."""
        text = self.facts.text
        found = [src.where for src in text.sources if src.kind in kinds] if text else []
        return {"read from": found} if found else {}

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
        return (
            bool(self.pci_gpus)
            or bool(nvml and (nvml.device_count or nvml.gpus))
            or bool(self.pasted_cuda_devices)
        )

    @property
    def pasted_cuda_devices(self) -> list:
        """CUDA's devices as a pasted listing (deviceQuery, a TensorFlow log) shows them.
        Probed CUDA devices are not evidence of a GPU on their own: where NVML hangs, the
        driver's state is the verdict (driver.nvml)."""
        cuda = self.facts.cuda
        return cuda.devices if self.facts.text is not None and cuda else []

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
        """Whether the libraries are judged: a GPU (or maybe one) here, `gpusetup libs`,
        or a library listing someone pasted (they are the question)."""
        return (
            self.force_libraries
            or self.has_gpu
            or self.gpu_unknown
            or (self.facts.text is not None and self.facts.libs is not None)
        )

    @property
    def libs(self) -> LibraryFacts:
        """The library facts, for a check that declares ``needs=(LIBRARIES,)``."""
        assert self.facts.libs is not None, "a check that reads libs must need LIBRARIES"
        return self.facts.libs


@record
class Precondition:
    """Facts a check needs: ``unmet`` says why they are missing (the skip's reason, naming
    the root cause), or None when they are there."""

    name: str
    unmet: Callable[[Context], str | None]


def _nvml_unmet(ctx: Context) -> str | None:
    if ctx.gpu_unknown:
        return "The NVIDIA driver did not answer (see driver.nvml)."
    if not ctx.has_gpu:
        return "No NVIDIA GPU on this machine (see gpu.present)."
    if not ctx.nvml_gpus:
        return "NVML gave no GPU data (see driver.nvml)."
    return None


def _libraries_unmet(ctx: Context) -> str | None:
    if ctx.facts.libs is None:
        failure = ctx.facts.failures.get("libs")
        return failure.message if failure else "Libraries were not probed."
    if not ctx.libraries_wanted:
        return (
            "No NVIDIA GPU on this machine (see gpu.present); "
            "`gpusetup libs` checks the libraries anyway."
        )
    return None


def shown(topic: str) -> Precondition:
    """The facts show ``topic`` (a key of gpusetup.facts.SHOWN_TOPICS): probed facts show
    everything; facts read from pasted text only what some output showed."""

    def unmet(ctx: Context) -> str | None:
        if ctx.facts.shows(topic):
            return None
        return f"Not shown in the pasted text: {SHOWN_TOPICS[topic]}."

    return Precondition(f"the facts show {topic}", unmet)


#: NVML answered with GPU data (a machine with a GPU whose driver answers)
NVML_GPUS = Precondition("NVML answered with GPUs", _nvml_unmet)
#: the library probe ran, and the libraries matter here (a GPU, or `gpusetup libs`)
LIBRARIES = Precondition("the libraries were probed", _libraries_unmet)


@record
class Verdict:
    """A check's id and title, bound once: every finding of the check is made here."""

    id: str
    title: str

    def finding(self, status: Status, title: str | None = None, **details: Any) -> Finding:
        return Finding(self.id, status, title or self.title, **details)

    def passed(self, title: str | None = None, **details: Any) -> Finding:
        return self.finding(Status.PASS, title, **details)

    def warn(self, title: str, **details: Any) -> Finding:
        return self.finding(Status.WARN, title, **details)

    def fail(self, title: str, **details: Any) -> Finding:
        return self.finding(Status.FAIL, title, **details)

    def skip(self, reason: str, title: str | None = None) -> Finding:
        return self.finding(Status.SKIP, title, detail=reason)

    def unless(self, ctx: Context, *needs: Precondition) -> Finding | None:
        """The skip for the first of ``needs`` that is unmet, or None (for a check whose
        other verdicts come before its preconditions)."""
        for need in needs:
            reason = need.unmet(ctx)
            if reason is not None:
                return self.skip(reason)
        return None


def tensorflow_minimum(facts: Facts, profile: Profile) -> str | None:
    """The compute capability TensorFlow needs on the machine of ``facts``."""
    return Context(facts=facts, profile=profile, cuda_table=cuda_table()).min_compute_capability


def gpu_label(gpu: NvmlGpu) -> str:
    parts = [p for p in (gpu.name, gpu.pci_bus_id_normalised) if p]
    return f"GPU {gpu.index}" + (f" ({', '.join(parts)})" if parts else "")


CheckFn = Callable[[Context], list[Finding]]
#: a check as written: ``def name(ctx, v)`` (or ``def name(ctx)``)
CheckBody = Callable[..., list[Finding]]


@record
class Check:
    id: str
    title: str
    explanation: str
    #: the check with its preconditions applied: facts in, findings out
    run: CheckFn
    #: False for an id whose verdict another step gives (the smoke inference): it is
    #: explained and listed, but ``diagnose`` does not run it
    runs_in_diagnose: bool = True
    #: the module that declares it (reports list modules in CHECK_MODULES' order)
    module: str = ""
    needs: tuple[Precondition, ...] = ()


CHECKS: dict[str, Check] = {}
CHECK_MODULES = (
    "presence",
    "driver",
    "gpu",
    "cuda",
    "libraries",
    "environment",
    "node",
    "inputs",
    "smoke",
)


def check(
    check_id: str,
    title: str,
    needs: tuple[Precondition, ...] = (),
    runs_in_diagnose: bool = True,
) -> Callable[[CheckBody], CheckBody]:
    """Register a check under ``check_id``: its findings come from the Verdict bound to
    the id and ``title`` (passed as the second argument), it is skipped with the reason
    when one of ``needs`` is unmet, and its docstring is its explanation."""
    verdict = Verdict(check_id, title)

    def register(fn: CheckBody) -> CheckBody:
        if check_id in CHECKS:
            raise ValueError(f"duplicate check id {check_id}")
        takes_verdict = len(inspect.signature(fn).parameters) > 1

        def run(ctx: Context) -> list[Finding]:
            skipped = verdict.unless(ctx, *needs)
            if skipped is not None:
                return [skipped]
            return fn(ctx, verdict) if takes_verdict else fn(ctx)

        explanation = inspect.cleandoc(fn.__doc__ or "")
        _VERDICTS[fn] = verdict
        CHECKS[check_id] = Check(
            check_id, title, explanation, run, runs_in_diagnose, fn.__module__, needs
        )
        return fn

    return register


_VERDICTS: dict[CheckBody, Verdict] = {}


def verdict_of(fn: CheckBody) -> Verdict:
    """The Verdict bound to the check ``fn`` (for a step outside ``diagnose`` that gives
    the check's findings, the smoke inference)."""
    return _VERDICTS[fn]


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
    """Every check's findings on ``facts`` under ``profile``, in report order (``only_prefix``:
    the checks whose id starts with it; ``force_libraries``: judge the libraries on a
    machine without a GPU too). A check that raises is a failing finding, not a crash."""
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


__all__ = [
    "CHECKS",
    "LIBRARIES",
    "NVML_GPUS",
    "Check",
    "Context",
    "Precondition",
    "Verdict",
    "all_checks",
    "check",
    "diagnose",
    "shown",
]

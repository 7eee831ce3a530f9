"""Installing TensorFlow as a task: the plan (which release file fits this Python,
platform, driver and GPUs, and why not the newer ones), then the download, checked
against the index's size and sha256, and pip. A local wheel is checked first, as
``wheel inspect`` checks it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import field
from pathlib import Path

from gpusetup.facts import Facts
from gpusetup.serde import record
from gpusetup.tasks.errors import BadInput, PipFailed
from gpusetup.wheels.archive import WheelInfo
from gpusetup.wheels.choose import Choice, MachineGpus
from gpusetup.wheels.compat import Interpreter, Verdict


def machine_gpus(facts: Facts) -> MachineGpus:
    """What the choice needs to know of the GPUs: the driver, each GPU's capability."""
    nvml = facts.nvml
    if nvml is None or not nvml.ok or not nvml.gpus:
        return MachineGpus()
    gpus = [(f"GPU {g.index} {g.name}", g.cc_text) for g in nvml.gpus if g.cc_text]
    return MachineGpus(nvml.driver_version, gpus)


def default_cache_dir() -> Path:
    from gpusetup.knowledge import user_cache_dir

    return user_cache_dir() / "wheels"


def interpreter(python: str | None = None) -> Interpreter:
    """This Python, or the one at ``python`` (BadInput when it does not answer as one)."""
    from gpusetup.probe.interpreter import InterpreterError, describe_interpreter

    try:
        return describe_interpreter(python)
    except InterpreterError as exc:
        raise BadInput(str(exc)) from exc


@record
class InstallPlan:
    python: Interpreter
    target_python: str  # the executable pip runs as
    choice: Choice
    #: the requirement pip is given (the file's name, with its extra); None: no fit
    requirement: str | None
    #: index entries skipped, and why
    notes: list[str] = field(default_factory=list)


def check_package(package: str | None) -> None:
    """``gpusetup install`` installs TensorFlow: BadInput for any other package."""
    from gpusetup.knowledge import tensorflow_distribution

    if package is None or tensorflow_distribution(package) != "tensorflow":
        raise BadInput(
            "gpusetup installs tensorflow (gpusetup install tensorflow [SPEC]) "
            "or a local wheel (--wheel PATH)"
        )


def plan_install(
    spec: str | None = None,
    *,
    python: str | None = None,
    index_url: str = "https://pypi.org",
    timeout_s: float | None = None,
    facts: Facts | None = None,
) -> InstallPlan:
    """Which TensorFlow file ``gpusetup install tensorflow [SPEC]`` would install for
    ``python`` (default: this one) on the machine of ``facts`` (default: probed here),
    from the index at ``index_url``. Raises IndexProblem when the index cannot be used."""
    from gpusetup.wheels.choose import choose_tensorflow
    from gpusetup.wheels.index import fetch_project, release_files

    interp = interpreter(python)
    if facts is None:
        from gpusetup.probe import collect_facts

        facts = collect_facts()
    files, notes = release_files(*fetch_project("tensorflow", index_url, timeout_s))
    choice = choose_tensorflow(files, interp, machine_gpus(facts), spec)
    requirement = None
    if choice.file is not None:
        requirement = choice.file.filename + (f"[{choice.extra}]" if choice.extra else "")
    return InstallPlan(interp, python or sys.executable, choice, requirement, notes)


#: (bytes done, bytes in all or None)
Progress = Callable[[int, int | None], None]


def apply_install(
    plan: InstallPlan,
    cache_dir: Path | None = None,
    verify: bool = True,
    timeout_s: float | None = None,
    progress: Progress | None = None,
) -> str:
    """Download the planned file (checked against the index) and install it with pip;
    the version installed. Raises CacheProblem, IndexProblem, PipFailed."""
    from gpusetup.fix.pip import pip_install
    from gpusetup.wheels.index import download

    chosen = plan.choice.file
    if chosen is None:
        raise BadInput("no TensorFlow release fits this machine")
    path = download(chosen, cache_dir or default_cache_dir(), progress, verify, timeout_s)
    wheel = str(path.absolute())
    extra = plan.choice.extra
    code, output = pip_install(plan.target_python, f"{wheel}[{extra}]" if extra else wheel)
    if code != 0:
        raise PipFailed(code, output)
    return chosen.version


@record
class LocalWheel:
    info: WheelInfo
    python: Interpreter
    verdict: Verdict
    #: the requirement pip is given: the absolute path (a file named like an option is
    #: still a file to pip)
    requirement: str
    target_python: str


def check_local_wheel(path: Path, python: str | None = None) -> LocalWheel:
    """A local wheel read and checked as ``wheel inspect`` does, judged for ``python``.
    Raises WheelError for a file that is not a usable wheel."""
    from gpusetup.wheels.archive import read_wheel
    from gpusetup.wheels.compat import judge

    interp = interpreter(python)
    info = read_wheel(path)
    return LocalWheel(
        info, interp, judge(info, interp), str(path.absolute()), python or sys.executable
    )


def install_local_wheel(wheel: LocalWheel) -> None:
    """pip installs the checked wheel. Raises PipFailed."""
    from gpusetup.fix.pip import pip_install

    code, output = pip_install(wheel.target_python, wheel.requirement)
    if code != 0:
        raise PipFailed(code, output)

"""Where a task's facts come from: probed on this machine, given as Facts, or read from
input files: a recorded facts file or report, or text pasted from nvidia-smi, deviceQuery,
a TensorFlow log, lspci, ldconfig, ``ls -l`` (each output recognised by its content, several
in one file). Every task that judges a machine takes its facts through here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gpusetup.serde import record
from gpusetup.tasks.errors import BadInput

if TYPE_CHECKING:  # imported once the probes run (start-up time)
    from gpusetup.facts import Facts
    from gpusetup.parse.pasted import PastedInput

    #: None: probe this machine; Facts: these; a path (``-``: stdin) or a sequence of
    #: paths: one recorded facts file or report, or any number of pasted-output files
    FactsSource = Facts | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


@record
class ProbeOptions:
    """What probing this machine looks for (ignored for given or recorded facts)."""

    environ: dict[str, str] | None = None  # default: this process's environment
    root: str | os.PathLike[str] | None = None  # default: GPUSETUP_SYSROOT, else /
    libs_for: str | None = None
    ask_loader: bool = False
    extra_libraries: tuple[str, ...] = ()


@record
class PendingFacts:
    """Facts on their way: ``result()`` waits for the probes (each has a deadline), so a
    caller can do its own start-up work while the NVML and CUDA children run."""

    result: Callable[[], Facts]
    #: True when the facts describe this machine now (probed), not a recording
    probed: bool
    #: where recorded facts came from, in words (None when probed)
    origin: str | None = None
    #: the pasted-output files the facts were read from, with what was found in each
    pasted: tuple[PastedInput, ...] = ()


def start_facts(source: FactsSource, options: ProbeOptions | None = None) -> PendingFacts:
    """Start probing, or read the given facts. Raises FactsFileError for a file that is
    not gpusetup facts, BadInput for inputs this version cannot read."""
    options = options or ProbeOptions()
    if source is None:
        from gpusetup.probe import start_collecting

        pending = start_collecting(
            options.root,
            options.environ,
            libs_for=options.libs_for,
            ask_loader=options.ask_loader,
            extra_libraries=options.extra_libraries,
        )
        return PendingFacts(pending.result, probed=True)
    from gpusetup.facts import Facts

    if isinstance(source, Facts):
        return PendingFacts(lambda: source, probed=False, origin="the given facts")
    paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not paths:
        raise BadInput("give a facts file, a report or pasted command output to read")
    if sum(1 for p in paths if os.fspath(p) == "-") > 1:
        raise BadInput("standard input (-) can be read only once")
    from gpusetup.probe.recorded import read_input_file

    inputs = [read_input_file(path) for path in paths]
    recorded = [i for i in inputs if i.facts is not None]
    if recorded:
        if len(inputs) > 1:
            raise BadInput(
                f"{recorded[0].shown} is a facts file or report: give it alone (several "
                "--from files are pasted command outputs of one machine)"
            )
        facts = recorded[0].facts
        return PendingFacts(lambda: facts, probed=False, origin=str(Path(paths[0])))
    pasted = _pasted(inputs)
    from datetime import datetime, timezone

    from gpusetup.parse.pasted import facts_from_pastes

    facts = facts_from_pastes(pasted, datetime.now(timezone.utc).isoformat(timespec="seconds"))
    origin = "the pasted text in " + ", ".join(item.path for item in pasted)
    return PendingFacts(lambda: facts, probed=False, origin=origin, pasted=tuple(pasted))


def _pasted(inputs: list) -> list[PastedInput]:  # noqa: ANN001 - probe.recorded.InputFile
    """Each text with the outputs found in it; BadInput for a file with none."""
    from gpusetup.parse.detect import KINDS, detect
    from gpusetup.parse.pasted import PastedInput

    out = []
    for item in inputs:
        text = item.text or ""
        if "\x00" in text[:65536]:
            raise BadInput(
                f"{item.shown} is not JSON (a facts file or report) but binary data, not "
                "text: recognised nothing in it (give a facts file from `gpusetup collect`, "
                "a report, or pasted command output)"
            )
        paste = detect(text)
        if not paste.blocks:
            what = f"not JSON ({item.json_error})" if item.json_error else "not JSON"
            raise BadInput(
                f"{item.shown}: recognised nothing in it. It is {what} (a facts file or "
                f"report), and holds none of the command outputs gpusetup reads: "
                f"{', '.join(KINDS)}"
            )
        out.append(PastedInput(item.shown, item.text or "", paste))
    return out


def get_facts(source: FactsSource, options: ProbeOptions | None = None) -> Facts:
    """The facts of ``source`` (see ``start_facts``), waiting for the probes."""
    return start_facts(source, options).result()

"""Where a task's facts come from: probed on this machine, given as Facts, or read from
input files. Every task that judges a machine takes its facts through here, so a new kind
of input (text pasted from nvidia-smi, deviceQuery, a TensorFlow log) is added in one place.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gpusetup.tasks.errors import BadInput

if TYPE_CHECKING:  # imported once the probes run (start-up time)
    from gpusetup.facts import Facts

    #: None: probe this machine; Facts: these; a path (``-``: stdin): a recorded facts
    #: file or report; a sequence of paths: input files (today one recorded facts file)
    FactsSource = Facts | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


@dataclass(frozen=True)
class ProbeOptions:
    """What probing this machine looks for (ignored for given or recorded facts)."""

    environ: dict[str, str] | None = None  # default: this process's environment
    root: str | os.PathLike[str] | None = None  # default: GPUSETUP_SYSROOT, else /
    libs_for: str | None = None
    ask_loader: bool = False
    extra_libraries: tuple[str, ...] = ()


@dataclass(frozen=True)
class PendingFacts:
    """Facts on their way: ``result()`` waits for the probes (each has a deadline), so a
    caller can do its own start-up work while the NVML and CUDA children run."""

    result: Callable[[], Facts]
    #: True when the facts describe this machine now (probed), not a recording
    probed: bool
    #: where recorded facts came from, in words (None when probed)
    origin: str | None = None


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
    if len(paths) != 1:
        raise BadInput(f"give one facts file, not {len(paths)}")
    from gpusetup.probe.recorded import load_facts

    facts = load_facts(paths[0])
    return PendingFacts(lambda: facts, probed=False, origin=str(Path(paths[0])))


def get_facts(source: FactsSource, options: ProbeOptions | None = None) -> Facts:
    """The facts of ``source`` (see ``start_facts``), waiting for the probes."""
    return start_facts(source, options).result()

"""The real-output corpus (tests/data/outputs/real) compared with what gpusetup.parse reads:
shared by tests/test_parse_corpus.py and bench/readers_accuracy.py.

Each expected field is one comparison: a top-level version, the problem set, the number of
GPUs / MIG devices, each key of each GPU and MIG device, each expected library. Beyond the
expectation, a reader must not state an identity or version the text does not show: those
keys, left out of an expectation, must read None ("never guessed").
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parent / "data" / "outputs" / "real"

TOP_KEYS = (
    "driver_version",
    "cuda_version",
    "runtime_version",
    "cudnn_version",
    "kernel_module",
    "l4t_release",
    "gpu_count",
)
#: GPU keys a reader may only fill from the text: absent from an expectation, they read None.
STRICT_GPU_KEYS = (
    "index",
    "name",
    "bus_id",
    "uuid",
    "compute_capability",
    "memory_mib",
    "mig",
    "serial",
    "minor_number",
    "driver_model",
    "pci_id",
)


@dataclass(frozen=True)
class Comparison:
    case: str
    kind: str
    field: str  # "driver_version", "gpu[1].bus_id", "problems", ...
    expected: object
    got: object

    @property
    def ok(self) -> bool:
        return self.expected == self.got


def cases() -> list[str]:
    return sorted(path.stem for path in CORPUS.glob("*.txt"))


def load(name: str) -> dict:
    return tomllib.loads((CORPUS / f"{name}.toml").read_text(encoding="utf-8"))


def text(name: str) -> str:
    return (CORPUS / f"{name}.txt").read_text(encoding="utf-8")


def pairs() -> list[dict]:
    return tomllib.loads((CORPUS / "pairs.toml").read_text(encoding="utf-8"))["pair"]


def compare(name: str, reading) -> tuple[list[Comparison], list[Comparison]]:  # noqa: ANN001
    """(comparisons of expected fields, values the reader gave that the text does not show)."""
    case = load(name)
    kind = case["kind"]
    expect = case["expect"]
    out: list[Comparison] = []
    guesses: list[Comparison] = []

    def add(field: str, expected: object, got: object) -> None:
        out.append(Comparison(name, kind, field, expected, got))

    for key in TOP_KEYS:
        got = getattr(reading, key)
        if key in expect:
            add(key, expect[key], got)
        elif got is not None:
            guesses.append(Comparison(name, kind, key, None, got))
    add("problems", sorted(expect["problems"]), reading.problem_ids)
    gpus = expect.get("gpu", [])
    if gpus or reading.gpus:
        add("gpu count", len(gpus), len(reading.gpus))
    for position, (want, got) in enumerate(zip(gpus, reading.gpus, strict=False)):
        for key, value in want.items():
            add(f"gpu[{position}].{key}", value, getattr(got, key))
        for key in STRICT_GPU_KEYS:
            if key not in want and getattr(got, key) is not None:
                guesses.append(
                    Comparison(name, kind, f"gpu[{position}].{key}", None, getattr(got, key))
                )
    migs = expect.get("mig_device", [])
    if migs or reading.mig_devices:
        add("mig_device count", len(migs), len(reading.mig_devices))
    for position, (want, got) in enumerate(zip(migs, reading.mig_devices, strict=False)):
        for key, value in want.items():
            add(f"mig_device[{position}].{key}", value, getattr(got, key))
    remaining = list(reading.libraries)
    for position, want in enumerate(expect.get("library", [])):
        match = next(
            (lib for lib in remaining if all(getattr(lib, k) == v for k, v in want.items())), None
        )
        if match is not None:
            remaining.remove(match)
        add(f"library[{position}]", want, {k: getattr(match, k) for k in want} if match else None)
    return out, guesses

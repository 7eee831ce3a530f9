"""The real command-output corpus (tests/data/outputs/real): every case is whole and consistent.

Each case is a verbatim output (NAME.txt) and what a careful reader gets from it
(NAME.toml, written by hand). These tests check the corpus itself, not a reader: the
files pair up, the keys and kinds are known, bus ids are normalised, and every value the
expectation names can be found in the text it claims to come from, so a slip in a
hand-written expectation fails here before it can mislead a reader's test.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parent / "data" / "outputs" / "real"

SMI_KINDS = frozenset({"nvidia-smi-table", "nvidia-smi-L", "nvidia-smi-q", "nvidia-smi-csv"})
CUDA_ORDER_KINDS = frozenset({"deviceQuery", "p2p", "tf-log", "tf-device-lib", "torch-devices"})
SYSTEM_KINDS = frozenset(
    {
        "lspci",
        "proc-version",
        "nvcc-version",
        "cudnn-header",
        "ldconfig-p",
        "ldconfig-v",
        "ls-l",
    }
)
KINDS = SMI_KINDS | CUDA_ORDER_KINDS | SYSTEM_KINDS
# Kinds whose real text holds tabs: ldconfig and lspci -k print them, p2p matrices and some
# pasted logs carry them. Anywhere else a tab means the copy was retyped.
TAB_KINDS = frozenset({"ldconfig-p", "ldconfig-v", "lspci", "p2p", "tf-log"})

CASE_KEYS = {"source": str, "kind": str, "cut": bool, "note": str, "expect": dict}
EXPECT_KEYS = {
    "driver_version": str,
    "cuda_version": str,
    "runtime_version": str,
    "cudnn_version": str,
    "kernel_module": str,
    "l4t_release": str,
    "gpu_count": int,
    "problems": list,
    "gpu": list,
    "mig_device": list,
    "library": list,
}
GPU_KEYS = {
    "index": int,
    "name": str,
    "bus_id": str,
    "uuid": str,
    "compute_capability": str,
    "memory_mib": int,
    "mig": bool,
    "minor_number": int,
    "serial": str,
    "persistence_mode": bool,
    "driver_model": str,
    "pci_id": str,
    "ignored": bool,
    "ecc_mode": bool,
    "retired_pages_pending": bool,
    "remapped_rows_pending": bool,
    "remap_failure": bool,
}
MIG_DEVICE_KEYS = {
    "gpu": int,
    "index": int,
    "gi": int,
    "ci": int,
    "name": str,
    "uuid": str,
    "memory_mib": int,
}
LIBRARY_KEYS = {"name": str, "path": str, "target": str, "arch": str}
KERNEL_MODULES = frozenset({"proprietary", "open", "l4t"})
# What [expect] problems may say (README.md explains each); a misspelt one fails here.
PROBLEMS = frozenset(
    {
        "driver-library-mismatch",
        "not-a-symlink",
        "two-cudnn",
        "two-libcuda",
        "cc-too-low",
        "ecc-errors",
        "retired-pages-pending",
        "remap-pending",
        "remap-failed",
        "gpu-lost",
        "gpu-unknown-error",
        "cuda-version-err",
        "cuda-version-na",
    }
)
DRIVER_MODELS = frozenset({"WDDM", "TCC"})

# A normalised PCI address: lower case, a 4-digit domain (longer only when the domain
# itself is wider, as Hyper-V gives Azure VMs), bus, device and function.
BUS_ID = re.compile(r"^(?:[0-9a-f]{4}|[1-9a-f][0-9a-f]{4,7}):[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
VERSION = re.compile(r"^\d+(?:\.\d+){1,3}$")

# How many cases the corpus promises, by family (the targets it was built to).
MINIMUM_TOTAL = 75
MINIMUM_BY_FAMILY = {
    "nvidia-smi default table": ({"nvidia-smi-table"}, 20),
    "nvidia-smi -L / -q / csv": ({"nvidia-smi-L", "nvidia-smi-q", "nvidia-smi-csv"}, 12),
    "CUDA-order listings": (CUDA_ORDER_KINDS, 15),
    "system listings": (SYSTEM_KINDS, 15),
}
MINIMUM_FOREIGN_DOMAINS = 3
MINIMUM_PAIRS = 6


def _cases() -> list[str]:
    return sorted(path.stem for path in CORPUS.glob("*.txt"))


def _load(name: str) -> dict:
    return tomllib.loads((CORPUS / f"{name}.toml").read_text(encoding="utf-8"))


def _text(name: str) -> str:
    return (CORPUS / f"{name}.txt").read_text(encoding="utf-8")


def _pairs() -> list[dict]:
    path = CORPUS / "pairs.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")).get("pair", []) if path.exists() else []


def _check_types(table: dict, allowed: dict[str, type], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    assert not unknown, f"{where}: unknown keys {unknown}"
    for key, value in table.items():
        assert isinstance(value, allowed[key]), f"{where}: {key} should be {allowed[key].__name__}"


def _bus_spellings(bus_id: str, kind: str) -> list[str]:
    """The ways a tool may print this normalised bus id (domain width, case, decimal)."""
    domain, bus, rest = bus_id.split(":")
    device = rest.split(".")[0]
    spellings = [f"{domain}:{bus}:{rest}", f"{int(domain, 16):08x}:{bus}:{rest}"]
    if kind == "deviceQuery":
        # "Device PCI Domain ID / Bus ID / location ID:   0 / 24 / 0" (decimal).
        spellings.append(f"{int(domain, 16)} / {int(bus, 16)} / {int(device, 16)}")
    if kind == "p2p":
        # "pciBusID: 1b, pciDeviceID: 0, pciDomainID:0" (hex, no leading zeros).
        spellings.append(
            f"pciBusID: {int(bus, 16):x}, pciDeviceID: {int(device, 16):x}, "
            f"pciDomainID:{int(domain, 16):x}"
        )
    if kind == "lspci":
        # lspci without -D prints no domain (it is 0000).
        spellings.append(f"\n{bus}:{rest} " if domain == "0000" else spellings[0])
    return spellings


def test_corpus_is_not_empty_and_every_output_has_its_expectation():
    outputs = {path.stem for path in CORPUS.glob("*.txt")}
    expectations = {path.stem for path in CORPUS.glob("*.toml")} - {"pairs"}
    assert outputs, "no outputs in the corpus"
    assert sorted(outputs - expectations) == [], "outputs without a .toml"
    assert sorted(expectations - outputs) == [], ".toml files without an output"


@pytest.mark.parametrize("name", _cases())
def test_case_has_required_keys_known_kind_and_https_source(name):
    case = _load(name)
    _check_types(case, CASE_KEYS, name)
    for key in ("source", "kind", "cut", "expect"):
        assert key in case, f"{name}: missing {key}"
    assert case["source"].startswith("https://"), f"{name}: source must be an https:// URL"
    assert case["kind"] in KINDS, f"{name}: unknown kind {case['kind']!r}"
    expect = case["expect"]
    _check_types(expect, EXPECT_KEYS, f"{name} [expect]")
    assert "problems" in expect, f"{name}: [expect] must say problems (empty when none)"
    unknown = sorted(set(expect["problems"]) - PROBLEMS)
    assert not unknown, f"{name}: unknown problems {unknown}"
    if "kernel_module" in expect:
        assert expect["kernel_module"] in KERNEL_MODULES
    for key in ("driver_version", "cuda_version", "runtime_version", "cudnn_version"):
        if key in expect:
            assert VERSION.match(expect[key]), f"{name}: {key} {expect[key]!r}"


@pytest.mark.parametrize("name", _cases())
def test_output_text_is_a_clean_verbatim_copy(name):
    raw = (CORPUS / f"{name}.txt").read_bytes()
    assert raw.strip(), f"{name}: empty output"
    raw.decode("utf-8")
    assert raw.endswith(b"\n"), f"{name}: an output ends at a line boundary"
    assert b"\t" not in raw or _load(name)["kind"] in TAB_KINDS, f"{name}: a tab crept in"


@pytest.mark.parametrize("name", _cases())
def test_gpus_are_normalised_and_found_in_the_text(name):
    case = _load(name)
    text = _text(name)
    lowered = "\n" + text.lower()  # so a listing's first line also starts after a newline
    expect = case["expect"]
    for position, gpu in enumerate(expect.get("gpu", [])):
        where = f"{name} gpu[{position}]"
        _check_types(gpu, GPU_KEYS, where)
        if "bus_id" in gpu:
            assert BUS_ID.match(gpu["bus_id"]), f"{where}: bus id {gpu['bus_id']!r} not normalised"
            assert any(s.lower() in lowered for s in _bus_spellings(gpu["bus_id"], case["kind"])), (
                f"{where}: bus id {gpu['bus_id']} not in the text"
            )
        if "name" in gpu:
            assert gpu["name"] in text, f"{where}: name {gpu['name']!r} not in the text"
        if "uuid" in gpu:
            assert gpu["uuid"] in text, f"{where}: uuid not in the text"
        if "serial" in gpu:
            assert gpu["serial"] in text, f"{where}: serial not in the text"
        if "compute_capability" in gpu:
            assert re.fullmatch(r"\d+\.\d+", gpu["compute_capability"]), where
        if "memory_mib" in gpu:
            assert str(gpu["memory_mib"]) in text, f"{where}: memory {gpu['memory_mib']} not shown"
        if "driver_model" in gpu:
            assert gpu["driver_model"] in DRIVER_MODELS and gpu["driver_model"] in text, where
        if "pci_id" in gpu:
            assert re.fullmatch(r"10de:[0-9a-f]{4}", gpu["pci_id"]), where
            assert gpu["pci_id"] in lowered, f"{where}: pci id not in the text"
    indices = [gpu["index"] for gpu in expect.get("gpu", []) if "index" in gpu]
    assert len(indices) == len(set(indices)), f"{name}: a GPU index is listed twice"


@pytest.mark.parametrize("name", _cases())
def test_versions_mig_devices_and_libraries_are_found_in_the_text(name):
    case = _load(name)
    text = _text(name)
    expect = case["expect"]
    for key in ("driver_version", "cuda_version", "runtime_version", "l4t_release"):
        if key in expect:
            assert expect[key] in text, f"{name}: {key} {expect[key]} not in the text"
    for position, device in enumerate(expect.get("mig_device", [])):
        _check_types(device, MIG_DEVICE_KEYS, f"{name} mig_device[{position}]")
        assert "uuid" not in device or device["uuid"] in text
        assert "name" not in device or device["name"] in text
    for position, library in enumerate(expect.get("library", [])):
        where = f"{name} library[{position}]"
        _check_types(library, LIBRARY_KEYS, where)
        for key in ("name", "path", "target", "arch"):
            if key in library:
                assert library[key] in text, f"{where}: {key} {library[key]!r} not in the text"


def test_pairs_name_existing_outputs_and_map_by_identity():
    pairs = _pairs()
    assert pairs, "pairs.toml lists no pair"
    for pair in pairs:
        assert set(pair) <= {"smi", "cuda", "source", "mapping", "note"}, pair
        assert pair["source"].startswith("https://")
        smi_name, cuda_name = (pair[key].removesuffix(".txt") for key in ("smi", "cuda"))
        assert (CORPUS / pair["smi"]).is_file() and (CORPUS / pair["cuda"]).is_file(), pair
        smi, cuda = _load(smi_name), _load(cuda_name)
        assert smi["kind"] in SMI_KINDS, pair["smi"]
        assert cuda["kind"] in CUDA_ORDER_KINDS, pair["cuda"]
        smi_gpus = {gpu["index"]: gpu for gpu in smi["expect"].get("gpu", []) if "index" in gpu}
        cuda_gpus = {gpu["index"]: gpu for gpu in cuda["expect"].get("gpu", []) if "index" in gpu}
        mapping = pair["mapping"]
        assert mapping, pair
        assert len(set(mapping.values())) == len(mapping), f"{pair['smi']}: ordinal used twice"
        for smi_index, cuda_index in mapping.items():
            a, b = smi_gpus[int(smi_index)], cuda_gpus[cuda_index]
            shared = [key for key in ("bus_id", "uuid") if key in a and key in b]
            assert shared, f"{pair['smi']}: GPU {smi_index} and {cuda_index} share no identity"
            for key in shared:
                assert a[key] == b[key], f"{pair['smi']}: {smi_index} -> {cuda_index} by {key}"


def test_corpus_reaches_its_coverage_and_reports_counts(capsys):
    kinds = Counter(_load(name)["kind"] for name in _cases())
    foreign = sorted(
        name
        for name in _cases()
        if any(
            not gpu.get("bus_id", "0000:").startswith("0000:")
            for gpu in _load(name)["expect"].get("gpu", [])
        )
    )
    with capsys.disabled():
        print(f"\noutput corpus: {sum(kinds.values())} cases, {len(_pairs())} pairs")
        for kind, count in sorted(kinds.items()):
            print(f"  {kind:18} {count}")
        print(f"  PCI domain other than 0000: {', '.join(foreign)}")
    assert sum(kinds.values()) >= MINIMUM_TOTAL
    for family, (members, minimum) in MINIMUM_BY_FAMILY.items():
        assert sum(kinds[kind] for kind in members) >= minimum, family
    assert len(foreign) >= MINIMUM_FOREIGN_DOMAINS
    assert len(_pairs()) >= MINIMUM_PAIRS

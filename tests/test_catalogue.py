"""The message catalogue (checks/data/messages/) is valid data, independent of any engine.

Each entry must load with tomllib, name a known family and role, cite a source, carry a
regular expression that compiles and whose named groups cover its templates, needles that
every possible match contains, and examples that its own expression matches. The CUDA and
NVML tables are checked against the real libraries and headers where this machine has
them. A report counts the real user logs of the corpus that the catalogue recognises.
"""

from __future__ import annotations

import ctypes
import os
import re
import string
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gpusetup.parse.log import straight_quotes

if sys.version_info >= (3, 11):
    import re._parser as sre_parse

    import tomllib
else:  # pragma: no cover - Python 3.10
    import sre_parse

    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "checks" / "data" / "messages"
FAMILIES_README = REPO / "tests" / "data" / "logs" / "real" / "README.md"
LIBCUDART = Path("/usr/local/cuda/lib64/libcudart.so.13")
CUDA_INCLUDE = Path("/usr/local/cuda/include")

ROLES = {"cause", "symptom", "benign"}
READ_METHODS = {"git", "read_file", "strings", "ctypes", "docs", "thread"}
GROUPS = {
    "soname", "dll", "path", "dlerror", "version", "found", "built", "loaded", "driver",
    "kernel", "client", "code", "name", "error", "status", "reason", "cc", "min_cc", "sm",
    "sm_list", "gpu", "bus_id", "ordinal", "count", "min_count", "xid", "pid", "detail",
    "size", "bytes", "requirement", "wheel", "package", "extra", "python", "symbol",
    "module", "value", "capabilities", "driver_name", "condition", "library", "pci_id",
    "process", "branch", "wanted_cudnn", "wanted_cuda", "cc_major", "cc_minor", "max_cc",
    "arch", "compiled",
}  # fmt: skip
FRAMEWORKS = {
    "tensorflow", "pytorch", "jax", "ctranslate2", "onnxruntime", "paddle", "nccl", "pip",
    "llamacpp", "ollama",
}  # fmt: skip
PLATFORMS = {
    "linux", "windows", "wsl", "container", "conda", "colab", "kubernetes", "macos", "jetson",
}  # fmt: skip
ENTRY_KEYS = {
    "id", "family", "role", "needle", "regex", "lines", "generic", "explained_by",
    "frameworks", "upstream", "diagnosis", "notes", "examples", "source", "fix",
    "cuda_error", "alone_of", "benign_beside",
}  # fmt: skip
REQUIRED_KEYS = {
    "id", "family", "role", "needle", "regex", "upstream", "diagnosis", "examples", "source",
}  # fmt: skip
SOURCE_KEYS = {"repo", "package", "path", "era", "url", "read"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@cache
def families() -> frozenset[str]:
    """The root-cause families, read from the corpus README's table (one source of truth)."""
    rows = re.findall(r"^\| `([a-z-]+)` \|", FAMILIES_README.read_text(), re.M)
    assert len(rows) >= 20, f"no family table in {FAMILIES_README}"
    return frozenset(rows)


@cache
def catalogue_files() -> tuple[Path, ...]:
    return tuple(sorted(p for p in CATALOGUE.glob("*.toml") if p.name != "facts.toml"))


@cache
def entries() -> tuple[dict[str, Any], ...]:
    out = []
    for path in catalogue_files():
        with path.open("rb") as f:
            data = tomllib.load(f)
        assert set(data) == {"message"}, f"{path.name}: only [[message]] tables belong here"
        for entry in data["message"]:
            out.append({**entry, "_file": path.name})
    return tuple(out)


@cache
def facts() -> dict[str, Any]:
    with (CATALOGUE / "facts.toml").open("rb") as f:
        return tomllib.load(f)


def ids() -> list[str]:
    return [e["id"] for e in entries()]


def entry(entry_id: str) -> dict[str, Any]:
    return next(e for e in entries() if e["id"] == entry_id)


def needles(e: dict[str, Any]) -> list[str]:
    return [e["needle"]] if isinstance(e["needle"], str) else list(e["needle"])


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def templates(e: dict[str, Any]) -> list[str]:
    return [e["diagnosis"], *e.get("fix", {}).values()]


def literal_variants(pattern: Any, ignorecase: bool = False) -> list[list[str | None]]:
    """Every way through a parsed regex as literal characters; None where anything else
    (a class, a repeat, a case-insensitive part) may stand. A needle inside one of the
    literal runs of every variant is in every string the regex can match."""
    variants: list[list[str | None]] = [[]]
    for op, av in pattern:
        name = str(op)
        if name == "LITERAL" and not ignorecase:
            step = [[chr(av)]]
        elif name == "AT":
            continue
        elif name == "SUBPATTERN":
            add_flags = av[1]
            step = (
                [[None]]
                if ignorecase or add_flags & re.IGNORECASE
                else literal_variants(av[3], ignorecase)
            )
        elif name == "BRANCH":
            step = [v for option in av[1] for v in literal_variants(option, ignorecase)]
        else:
            step = [[None]]
        variants = [v + s for v in variants for s in step]
        assert len(variants) <= 4096, "regex too branchy to check its needles"
    return variants


def literal_runs(variant: list[str | None]) -> list[str]:
    return [run for run in "".join(c if c is not None else "\0" for c in variant).split("\0")]


def search(e: dict[str, Any], text: str) -> re.Match[str] | None:
    """The entry's match in ``text`` as the engine finds it: exact, else without regard to
    case (a message retyped or worded in another case)."""
    text = straight_quotes(ANSI.sub("", text).encode()).decode()
    return re.compile(e["regex"]).search(text) or re.compile(e["regex"], re.I).search(text)


# ---------------------------------------------------------------- structure


def test_catalogue_loads_and_ids_are_unique_and_well_formed() -> None:
    assert len(entries()) >= 100
    seen: dict[str, str] = {}
    for e in entries():
        assert re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)+", e["id"]), e["id"]
        assert e["id"] not in seen, f"{e['id']} in {e['_file']} and {seen.get(e['id'])}"
        seen[e["id"]] = e["_file"]


@pytest.mark.parametrize("entry_id", ids())
def test_entry_has_known_keys_family_role_and_source(entry_id: str) -> None:
    e = entry(entry_id)
    keys = set(e) - {"_file"}
    assert keys >= REQUIRED_KEYS, f"missing {REQUIRED_KEYS - keys}"
    assert keys <= ENTRY_KEYS, f"unknown keys {keys - ENTRY_KEYS}"
    assert e["family"] in families()
    assert e["role"] in ROLES
    assert (e["family"] == "healthy") == (e["role"] == "benign"), "benign lines are 'healthy'"
    assert e["upstream"] and all(isinstance(u, str) and u for u in e["upstream"])
    assert e["diagnosis"].strip()
    assert set(e.get("frameworks", [])) <= FRAMEWORKS
    assert isinstance(e.get("lines", 1), int) and 1 <= e.get("lines", 1) <= 6
    assert e["source"], "cite at least one source"
    for source in e["source"]:
        assert set(source) <= SOURCE_KEYS, set(source) - SOURCE_KEYS
        assert ("repo" in source) != ("package" in source), "a source is a repo or a package"
        assert source.get("path") and source.get("era"), "a source names its path and era"
        assert source.get("read") in READ_METHODS
        assert "url" not in source or source["url"].startswith("https://")
    for key in e.get("fix", {}):
        framework, _, platform = key.partition("/")
        if platform:
            assert framework in FRAMEWORKS and platform in PLATFORMS, key
        else:
            assert key == "generic" or key in FRAMEWORKS | PLATFORMS, key
    if e["role"] != "benign":
        assert e.get("fix"), "a cause or symptom says what to do"


@pytest.mark.parametrize("entry_id", ids())
def test_regex_compiles_and_groups_cover_the_templates(entry_id: str) -> None:
    e = entry(entry_id)
    rx = re.compile(e["regex"])
    groups = set(rx.groupindex)
    assert groups <= GROUPS, f"groups outside the vocabulary: {groups - GROUPS}"
    for template in templates(e):
        unknown = placeholders(template) - groups
        assert not unknown, f"{template!r} uses {unknown}"


@pytest.mark.parametrize("entry_id", ids())
def test_needles_are_literal_parts_of_every_match(entry_id: str) -> None:
    e = entry(entry_id)
    assert needles(e) and all(isinstance(n, str) and n for n in needles(e))
    for variant in literal_variants(sre_parse.parse(e["regex"])):
        runs = literal_runs(variant)
        assert any(n in run for n in needles(e) for run in runs), (
            f"a match of {e['regex']!r} can miss every needle (literal runs {runs})"
        )


@pytest.mark.parametrize("entry_id", ids())
def test_needles_come_from_upstream_or_real_lines(entry_id: str) -> None:
    e = entry(entry_id)
    text = "\n".join([*e["upstream"], *(x["line"] for x in e["examples"])])
    # The CUDA entries also match the error's name and number (facts.toml's tables).
    text = straight_quotes(text.encode()).decode()
    assert any(n.lower() in text.lower() for n in needles(e)) or "cuda_error" in e, (
        f"no needle of {e['id']} occurs in its upstream wording or its examples"
    )


@pytest.mark.parametrize("entry_id", ids())
def test_examples_match_their_own_entry_and_fill_its_templates(entry_id: str) -> None:
    e = entry(entry_id)
    used = set().union(*(placeholders(t) for t in templates(e)))
    for example in e["examples"]:
        assert set(example) == {"line", "url"}, example
        assert example["url"].startswith("https://")
        lines = straight_quotes(example["line"].encode()).decode().split("\n")
        assert len(lines) <= e.get("lines", 1), "an example spans at most `lines` lines"
        # an NVRM message is read from its own first line whichever of its lines holds it
        nvrm = all(u.startswith("NVRM:") for u in e["upstream"])
        where = "\n".join(lines) if nvrm else lines[0]
        assert any(n.lower() in where.lower() for n in needles(e)), (
            "the needle is in the first line (in any case)"
        )
        m = search(e, example["line"])
        assert m, f"{example['line']!r} does not match {e['regex']!r}"
        missing = {g for g in used if m.group(g) is None and not optional(e, g)}
        assert not missing, f"{example['line']!r} leaves {missing} empty"


def optional(e: dict, name: str) -> bool:
    """A fact every template shows only in a parenthesis of its own (explain.fill leaves
    such a parenthesis out when the log lacks the fact: "GPU 0, K80 (PCI bus {bus_id})")."""
    alone = re.compile(r"\([^(){}]*\{" + name + r"\}[^(){}]*\)")
    return all(alone.sub("", t).count("{" + name + "}") == 0 for t in templates(e))


def test_explained_by_names_existing_causes() -> None:
    known = set(ids())
    for e in entries():
        for other in e.get("explained_by", []):
            assert other in known, f"{e['id']}: unknown {other}"
            assert e["role"] == "symptom", f"{e['id']}: only symptoms are explained"


def test_alone_of_names_a_benign_entry_on_the_same_needle() -> None:
    known = {e["id"]: e for e in entries()}
    alone = [e for e in entries() if e.get("alone_of")]
    assert alone
    for e in alone:
        other = known[e["alone_of"]]
        assert other["role"] == "benign" and e["role"] != "benign", e["id"]
        assert set(needles(e)) == set(needles(other)), e["id"]


def test_benign_beside_names_benign_entries_from_a_cause() -> None:
    known = {e["id"]: e for e in entries()}
    beside = [e for e in entries() if e.get("benign_beside")]
    assert beside
    for e in beside:
        assert e["role"] == "cause", e["id"]
        assert all(known[b]["role"] == "benign" for b in e["benign_beside"]), e["id"]


def test_every_family_but_healthy_has_a_cause() -> None:
    causes = {e["family"] for e in entries() if e["role"] == "cause"}
    assert families() - {"healthy"} <= causes, families() - {"healthy"} - causes


def test_generic_entries_have_a_specific_sibling_or_stand_alone_by_design() -> None:
    # A generic entry is tried only where no other entry matched; its examples must still
    # be its own, and a specific entry on the same needle must not be generic too.
    for e in entries():
        if not e.get("generic"):
            continue
        siblings = [o for o in entries() if o is not e and set(needles(o)) & set(needles(e))]
        assert all(not o.get("generic") for o in siblings), e["id"]


# ---------------------------------------------------------------- CUDA and NVML tables


def runtime_errors() -> list[dict[str, Any]]:
    return facts()["cuda_runtime_error"]


# Texts too common to match on their own; their entries need the name or a prefix.
BARE_TOO_COMMON = {"unknown error", "initialization error", "out of memory"}


@pytest.mark.parametrize("entry_id", [e["id"] for e in entries() if "cuda_error" in e])
def test_cuda_entries_quote_and_match_the_table(entry_id: str) -> None:
    e = entry(entry_id)
    row = next(r for r in runtime_errors() if r["code"] == e["cuda_error"])
    assert row["string"] in e["upstream"]
    assert search(e, row["string"]) or row["string"] in BARE_TOO_COMMON
    assert search(e, row["name"]), f"does not match {row['name']}"
    driver = [r for r in facts()["cuda_driver_error"] if r["code"] == e["cuda_error"]]
    assert all(search(e, r["name"]) for r in driver), f"does not match {driver}"


@pytest.mark.skipif(not LIBCUDART.exists(), reason=f"no CUDA runtime at {LIBCUDART}")
@pytest.mark.parametrize("code", [row["code"] for row in facts()["cuda_runtime_error"]])
def test_runtime_error_table_matches_the_real_libcudart(code: int) -> None:
    lib = ctypes.CDLL(str(LIBCUDART))
    lib.cudaGetErrorName.restype = ctypes.c_char_p
    lib.cudaGetErrorString.restype = ctypes.c_char_p
    row = next(r for r in runtime_errors() if r["code"] == code)
    assert lib.cudaGetErrorName(code).decode() == row["name"]
    assert lib.cudaGetErrorString(code).decode() == row["string"]


def enum_values(header: Path, prefix: str) -> dict[str, int]:
    return {
        name: int(value)
        for name, value in re.findall(rf"^\s*({prefix}\w+)\s*=\s*(\d+)", header.read_text(), re.M)
    }


@pytest.mark.skipif(not (CUDA_INCLUDE / "cuda.h").exists(), reason="no CUDA headers")
def test_error_codes_match_the_cuda_headers() -> None:
    driver = enum_values(CUDA_INCLUDE / "cuda.h", "CUDA_ERROR_")
    for row in facts()["cuda_driver_error"]:
        assert driver[row["name"]] == row["code"], row
    assert "CUDA_ERROR_INSUFFICIENT_DRIVER" not in driver
    runtime = enum_values(CUDA_INCLUDE / "driver_types.h", "cudaError")
    for row in runtime_errors():
        assert runtime[row["name"]] == row["code"], row
    driver_strings = {row["code"]: row["string"] for row in facts()["cuda_driver_error"]}
    for row in runtime_errors():
        if row["code"] in driver_strings:
            assert driver_strings[row["code"]] == row["string"], row


def test_nvml_table_matches_the_binding() -> None:
    pynvml = pytest.importorskip("pynvml")
    for code, row in facts()["nvml_error"].items():
        if code == "source":
            continue
        assert getattr(pynvml, f"NVML_ERROR_{row['name']}") == int(code), row


def test_version_formulas_decode_their_examples() -> None:
    for number, version in facts()["cuda_version"]["examples"].items():
        n = int(number)
        assert f"{n // 1000}.{(n % 1000) // 10}" == version
    for number, version in facts()["cudnn_version"]["examples"].items():
        n = int(number)
        major = n // 10000 if n >= 10000 else n // 1000
        rest = n % 10000 if n >= 10000 else n % 1000
        assert f"{major}.{rest // 100}.{rest % 100}" == version


def test_xid_table_has_the_common_numbers() -> None:
    xid = facts()["xid"]
    for number in ("13", "31", "43", "48", "63", "64", "74", "79", "92", "94", "95", "119"):
        assert {"mnemonic", "meaning", "blame", "action"} <= set(xid[number]), number
        assert xid[number]["blame"] in {"app", "driver", "hw"}


# ---------------------------------------------------------------- the real-log corpus


def real_logs_dir() -> Path:
    return Path(os.environ.get("GPUSETUP_REAL_LOGS", REPO / "tests" / "data" / "logs" / "real"))


@cache
def _scannable() -> tuple[tuple[str, re.Pattern[str], tuple[str, ...], int], ...]:
    return tuple(
        (e["id"], re.compile(e["regex"]), tuple(needles(e)), e.get("lines", 1))
        for e in entries()
        if e["role"] != "benign"
    )


def matches_in(text: str) -> set[str]:
    """Ids of the non-benign entries that match some line (the streaming scan, simply)."""
    text = ANSI.sub("", text)
    lines = text.splitlines()
    found = set()
    for entry_id, rx, wanted, span in _scannable():
        # a needle absent from the whole text is absent from every line
        if not any(n in text for n in wanted):
            continue
        for i, line in enumerate(lines):
            if any(n in line for n in wanted) and rx.search("\n".join(lines[i : i + span])):
                found.add(entry_id)
                break
    return found


def test_report_real_logs_recognised(capsys: pytest.CaptureFixture[str]) -> None:
    logs = sorted(real_logs_dir().glob("*.log"))
    if not logs:
        pytest.skip(f"no real logs in {real_logs_dir()} (set GPUSETUP_REAL_LOGS)")
    matched = agree = healthy = healthy_flagged = 0
    for log in logs:
        found = matches_in(log.read_text(errors="replace"))
        meta_path = log.with_suffix(".toml")
        family = tomllib.loads(meta_path.read_text()).get("family") if meta_path.exists() else None
        if family == "healthy":
            healthy += 1
            healthy_flagged += bool(found)
            continue
        matched += bool(found)
        agree += family in {entry(i)["family"] for i in found}
    problems = len(logs) - healthy
    with capsys.disabled():
        print(
            f"\ncatalogue on {len(logs)} real logs: {matched}/{problems} problem logs have a line "
            f"matched by a non-benign entry, {agree}/{problems} by an entry of the log's family; "
            f"{healthy_flagged}/{healthy} healthy logs have a non-benign match"
        )
    assert matched <= problems

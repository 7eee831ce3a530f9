"""The real-log corpus: every case is complete, classified, sourced, and counted once."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # the tomli backport is a dependency on 3.10
    import tomli as tomllib

REAL = Path(__file__).resolve().parent / "data" / "logs" / "real"
REQUIRED = ("source", "family", "framework", "platform", "era", "cause", "fix", "mentions")
FRAMEWORKS = {
    "tensorflow",
    "pytorch",
    "jax",
    "ctranslate2",
    "onnxruntime",
    "paddle",
    "mxnet",
    "caffe",
    "cupy",
    "nvidia-smi",
    "pip",
    "docker",
    "kubernetes",
    "kernel",
    "llamacpp",
    "ollama",
    "vllm",
    "other",
}
PLATFORMS = {
    "linux",
    "windows",
    "wsl",
    "container",
    "kubernetes",
    "colab",
    "jetson",
    "macos",
    "unknown",
}


def families() -> set[str]:
    """The families are the rows of the README's table, so the README stays the reference."""
    text = (REAL / "README.md").read_text(encoding="utf-8")
    section = text.split("## Families", 1)[1]
    return set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE))


def cases() -> list[Path]:
    return sorted(REAL.glob("*.log"))


def meta(log: Path) -> dict:
    return tomllib.loads(log.with_suffix(".toml").read_text(encoding="utf-8"))


def test_readme_lists_the_families():
    assert {"healthy", "cudnn-missing", "driver-mismatch", "library-symlink"} <= families()


@pytest.mark.parametrize("log", cases(), ids=lambda p: p.stem)
def test_case_is_complete_and_classified(log: Path):
    toml = log.with_suffix(".toml")
    assert toml.is_file(), f"{log.name} has no {toml.name}"
    data = meta(log)
    missing = [key for key in REQUIRED if key not in data]
    assert not missing, f"{toml.name} lacks {missing}"
    unknown = sorted(set(data) - set(REQUIRED))
    assert not unknown, f"{toml.name} has keys the README does not define: {unknown}"
    assert all(isinstance(data[key], str) for key in REQUIRED if key != "mentions")
    assert data["family"] in families(), data["family"]
    assert data["framework"] in FRAMEWORKS, data["framework"]
    assert data["platform"] in PLATFORMS, data["platform"]
    assert data["source"].startswith("https://"), data["source"]
    assert data["cause"].strip() and data["fix"].strip()
    text = log.read_text(encoding="utf-8")
    assert text.strip(), f"{log.name} is empty"
    assert isinstance(data["mentions"], list)
    assert all(isinstance(fact, str) and fact for fact in data["mentions"])
    if data["family"] != "healthy":
        assert data["mentions"], f"{toml.name}: a failure names at least one fact of its log"
    for fact in data["mentions"]:
        assert fact in text, f"{toml.name}: {fact!r} is not in the log"


def test_every_toml_has_its_log():
    orphans = [t.name for t in REAL.glob("*.toml") if not t.with_suffix(".log").is_file()]
    assert not orphans


def test_no_log_is_in_the_corpus_twice():
    seen: dict[str, str] = {}
    for log in cases():
        key = " ".join(log.read_text(encoding="utf-8").split())
        assert key not in seen, f"{log.name} repeats {seen.get(key)}"
        seen[key] = log.name


def test_every_family_has_cases_and_counts_are_reported():
    per_family = Counter(meta(log)["family"] for log in cases())
    print("\nper family:", dict(sorted(per_family.items())))
    print("per framework:", dict(sorted(Counter(meta(p)["framework"] for p in cases()).items())))
    print("per platform:", dict(sorted(Counter(meta(p)["platform"] for p in cases()).items())))
    assert sum(per_family.values()) == len(cases())
    empty = sorted(families() - set(per_family))
    assert not empty, f"families without a real case: {empty}"
    # The accuracy table is only meaningful on a corpus of this size; guard against losing cases.
    healthy = per_family["healthy"]
    assert len(cases()) - healthy >= 160, "fewer than 160 failure logs"
    assert healthy >= 35, "fewer than 35 healthy logs"

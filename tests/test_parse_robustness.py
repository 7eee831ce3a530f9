"""The readers on damaged real outputs (property tests): cut anywhere, CRLF, quoted, prose
inserted, random characters. No exception ever leaves a reader; a cut text gives what is
complete, nothing wrong, and a "cut" note where the format shows its end; the work grows
linearly with the paste.
"""

from __future__ import annotations

import time
from dataclasses import fields

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readers_corpus import cases, load, text

from gpusetup.parse import read
from gpusetup.parse.detect import READERS, detect
from gpusetup.parse.model import Clocks

NAMES = cases()
SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: Kinds whose output shows where it ends (a closing border, "Result =", "Test passed",
#: "]", "#endif", "Versions of relevant libraries", a Processes section).
END_VISIBLE = {
    "nvidia-smi-table",
    "nvidia-smi-q",
    "deviceQuery",
    "p2p",
    "tf-device-lib",
    "cudnn-header",
}


def _every_reader(damaged: str) -> None:
    for reader_kind in READERS:
        read(reader_kind, damaged)
    detect(damaged)


@SETTINGS
@given(name=st.sampled_from(NAMES), data=st.data())
def test_no_reader_raises_on_a_text_cut_anywhere(name, data):
    original = text(name)
    at = data.draw(st.integers(0, len(original)))
    _every_reader(original[:at])


@SETTINGS
@given(
    name=st.sampled_from(NAMES),
    data=st.data(),
    noise=st.text(
        alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FFF), min_size=1, max_size=40
    ),
)
def test_no_reader_raises_on_random_characters_or_prose_anywhere(name, data, noise):
    original = text(name)
    at = data.draw(st.integers(0, len(original)))
    _every_reader(original[:at] + noise + original[at:])
    lines = original.split("\n")
    where = data.draw(st.integers(0, len(lines)))
    prose = data.draw(st.sampled_from(["Any idea?", "> quoted", "$ ", "```", "|", ":", noise]))
    _every_reader("\n".join(lines[:where] + [prose] + lines[where:]))


@SETTINGS
@given(bytes_=st.binary(max_size=300))
def test_no_reader_raises_on_random_bytes(bytes_):
    _every_reader(bytes_.decode("latin-1"))
    _every_reader(bytes_.decode("utf-8", errors="replace"))


def _same(reading):  # noqa: ANN001, ANN202
    return (
        reading.gpus,
        reading.mig_devices,
        reading.libraries,
        reading.problem_ids,
        reading.driver_version,
        reading.cuda_version,
    )


@pytest.mark.parametrize("name", NAMES)
def test_crlf_and_a_markdown_quote_read_the_same(name):
    kind = load(name)["kind"]
    original = text(name)
    plain = read(kind, original)
    assert _same(read(kind, original.replace("\n", "\r\n"))) == _same(plain)
    quoted = "\n".join("> " + line for line in original.split("\n"))
    assert _same(read(kind, quoted)) == _same(plain)


def _subset(part: object, whole: object) -> bool:
    """Every field the cut text gave is the whole text's (nested records field by field)."""
    for f in fields(part):  # type: ignore[arg-type]
        mine, theirs = getattr(part, f.name), getattr(whole, f.name)
        if mine is None or f.name == "ecc_uncorrectable":  # the largest count shown so far
            continue
        if isinstance(mine, Clocks):
            if not (isinstance(theirs, Clocks) and _subset(mine, theirs)):
                return False
        elif mine != theirs:
            return False
    return True


@pytest.mark.parametrize("name", NAMES)
def test_a_text_cut_at_any_line_gives_what_is_complete(name):
    kind = load(name)["kind"]
    original = text(name)
    whole = read(kind, original)
    lines = original.rstrip("\n").split("\n")
    last = max(i for i, line in enumerate(lines) if line.strip())
    # an nvidia-smi error line alone ("GPU is lost") has no end to miss
    end_visible = kind in END_VISIBLE and (kind != "nvidia-smi-table" or "|" in original)
    for keep in range(last):
        part = read(kind, "\n".join(lines[: keep + 1]) + "\n")
        assert len(part.gpus) <= len(whole.gpus), (name, keep)
        for got, full in zip(part.gpus, whole.gpus, strict=False):
            assert got.line == full.line and _subset(got, full), (name, keep, got, full)
        shown = part.gpus or part.mig_devices or part.driver_version or part.cudnn_version
        if end_visible and not load(name)["cut"] and not whole.cut and shown:
            assert part.cut, f"{name} cut after line {keep + 1}: no cut note"


def test_the_work_grows_linearly_with_the_paste():
    """Read 1 MB and 4 MB pastes of the whole corpus: four times the text may take at most
    about four times as long (allowance for a noisy shared machine: 7x)."""
    unit = "\n\nHere is another one:\n\n".join(text(name) for name in NAMES)

    def seconds(megabytes: float) -> float:
        paste = "\n\nand again:\n\n".join([unit] * max(1, round(megabytes * 2**20 / len(unit))))
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            detect(paste)
            best = min(best, time.perf_counter() - start)
        return best

    small, large = seconds(1), seconds(4)
    assert large < 7 * small, f"1 MB: {small:.2f} s, 4 MB: {large:.2f} s"


def test_a_long_line_of_blanks_or_separators_is_read_in_linear_time():
    """Lines that make backtracking patterns quadratic: 64 KiB each, read in well under a
    second by every reader."""
    for line in ("|   0" + " " * 65000 + "|", "GPU 0:" + " " * 65000, ", " * 32000, "0" * 65000):
        start = time.perf_counter()
        _every_reader(line)
        assert time.perf_counter() - start < 5, repr(line[:10])


def test_a_line_longer_than_the_readers_look_at_is_noted():
    uuid = "GPU-e1924eea-b9bb-d537-39f2-b345087fa145"
    paste = "GPU 0: " + "x" * 70000 + f" (UUID: {uuid})\nGPU 1: NVIDIA A40 (UUID: {uuid})\n"
    for reading in (read("nvidia-smi-L", paste), detect(paste).blocks[0].reading):
        assert [g.index for g in reading.gpus] == [1]  # line 1's end (its UUID) is not read
        assert any(n.kind == "long-line" and n.line == 1 for n in reading.notes)


def test_readers_are_pure():
    """No reader opens a file, runs a process or asks the platform: text in, data out.
    (join.py reuses gpusetup.devices.map's rules and is checked by its own tests.)"""
    import ast
    from pathlib import Path

    import gpusetup.parse as package

    banned = {"os", "io", "pathlib", "subprocess", "shutil", "platform", "socket", "ctypes"}
    for path in sorted(Path(package.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & banned, path.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in banned, path.name
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("open", "exec", "eval", "__import__"), path.name


def test_err_cells_of_a_failing_gpu_are_a_problem_not_a_name():
    """nvidia-smi fills a failing GPU's cells with ERR! (constructed from that format: the
    corpus holds the "GPU is lost" lines, not such a row)."""
    table = (
        "| NVIDIA-SMI 470.82.01    Driver Version: 470.82.01    CUDA Version: 11.4     |\n"
        "|   0  NVIDIA A100-SXM...  On   | 00000000:07:00.0 Off |                    0 |\n"
        "| N/A   30C    P0    60W / 400W |      0MiB / 40536MiB |      0%      Default |\n"
        "|   1  ERR!                ERR! | ERR!            ERR! |                 ERR! |\n"
        "|ERR!  ERR! ERR!    ERR! / ERR! |   ERR! /  ERR!       |    ERR!      ERR! |\n"
    )
    reading = read("nvidia-smi-table", table)
    assert [(g.index, g.name, g.bus_id) for g in reading.gpus] == [
        (0, "NVIDIA A100-SXM...", "0000:07:00.0"),
        (1, None, None),
    ]
    assert "gpu-err" in reading.problem_ids

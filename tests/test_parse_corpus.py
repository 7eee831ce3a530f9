"""Every text reader on every real output of its kind (tests/data/outputs/real): each field
of the hand-written expectation read exactly, nothing stated that the text does not show,
the kind recognised from the content alone, and the line each GPU and fact came from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields

import pytest
from readers_corpus import STRICT_GPU_KEYS, cases, compare, load, text

from gpusetup.parse import read
from gpusetup.parse.detect import detect, detect_kind
from gpusetup.parse.model import GpuRecord


@pytest.mark.parametrize("name", cases())
def test_reader_reads_every_expected_field_and_guesses_nothing(name):
    case = load(name)
    reading = read(case["kind"], text(name))
    comparisons, guesses = compare(name, reading)
    wrong = [f"{c.field}: expected {c.expected!r}, read {c.got!r}" for c in comparisons if not c.ok]
    assert not wrong, f"{name}: " + "; ".join(wrong)
    assert not guesses, f"{name}: read what the text does not show: " + "; ".join(
        f"{g.field}={g.got!r}" for g in guesses
    )


@pytest.mark.parametrize("name", cases())
def test_kind_is_recognised_by_content_as_one_block(name):
    case = load(name)
    paste = detect(text(name))
    assert paste.kinds == [case["kind"]], name
    assert detect_kind(text(name)) == case["kind"]


@pytest.mark.parametrize("name", cases())
def test_detected_block_reads_what_the_reader_reads(name):
    case = load(name)
    direct = read(case["kind"], text(name))
    (block,) = detect(text(name)).blocks
    assert block.reading.gpus == direct.gpus
    assert block.reading.mig_devices == direct.mig_devices
    assert block.reading.libraries == direct.libraries
    assert block.reading.problem_ids == direct.problem_ids
    for key in ("driver_version", "cuda_version", "runtime_version", "cudnn_version"):
        assert getattr(block.reading, key) == getattr(direct, key)


@pytest.mark.parametrize("name", cases())
def test_each_gpu_and_fact_names_the_line_it_came_from(name):
    case = load(name)
    lines = text(name).split("\n")
    reading = read(case["kind"], text(name))
    for gpu in reading.gpus:
        assert 1 <= gpu.line <= len(lines), f"{name}: GPU line {gpu.line}"
        # the record's line, or the few after it that its block spans (-q, Found device)
        window = "\n".join(lines[gpu.line - 1 : gpu.line + 5]).lower()
        shown = [gpu.name, gpu.uuid]
        if gpu.bus_id and case["kind"] not in ("deviceQuery", "p2p"):  # decimal / hex there
            shown.append(gpu.bus_id[-7:])
        shown = [s.lower() for s in shown if s]
        assert not shown or any(s in window for s in shown), (name, gpu.line, shown)
    # versions printed as they are (a header's cuDNN version is made of three lines)
    verbatim = {"driver_version", "cuda_version", "runtime_version", "l4t_release"}
    if case["kind"] != "cudnn-header":
        verbatim.add("cudnn_version")
    for fact, line in reading.fact_lines:
        value = getattr(reading, fact) if fact in verbatim else None
        if value is not None:
            assert value in lines[line - 1], f"{name}: {fact} {value!r} not on line {line}"


@pytest.mark.parametrize("name", [n for n in cases() if not load(n)["cut"]])
def test_a_whole_output_is_never_called_cut(name):
    reading = read(load(name)["kind"], text(name))
    assert not reading.cut, f"{name}: {[n.text for n in reading.notes]}"


def test_accuracy_over_the_corpus_is_complete(capsys):
    """Every expected field of every case, counted per kind (printed as the accuracy
    report), and the agreement of the readers' cut notes with the corpus' cut flags."""
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    cut_agree = cut_total = 0
    unread = []
    for name in cases():
        case = load(name)
        reading = read(case["kind"], text(name))
        comparisons, guesses = compare(name, reading)
        for comparison in comparisons:
            totals[case["kind"]] += 1
            right[case["kind"]] += comparison.ok
        if guesses or any(not c.ok for c in comparisons):
            unread.append(name)
        cut_total += 1
        cut_agree += reading.cut == case["cut"]
    with capsys.disabled():
        print(f"\nreaders on the corpus: {sum(right.values())}/{sum(totals.values())} fields")
        for kind in sorted(totals):
            print(f"  {kind:18} {right[kind]:4}/{totals[kind]:<4} fields")
        print(f"  cut flag agrees on {cut_agree}/{cut_total} cases (the rest end where the")
        print("  output could end: a log, a listing, an excerpt that starts mid-way)")
    assert sum(right.values()) == sum(totals.values()), unread
    assert not unread


def test_strict_keys_are_gpu_fields():
    names = {f.name for f in fields(GpuRecord)}
    assert set(STRICT_GPU_KEYS) <= names

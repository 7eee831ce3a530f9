"""The bounded input reader and the terminal-safe text every view uses, on their own."""

from __future__ import annotations

import json
import os
import stat

import pytest

from gpusetup.probe.inputs import (
    InputChunks,
    InputError,
    describe_size,
    open_input,
    read_input,
)
from gpusetup.render.text import printable
from gpusetup.serde import MAX_JSON_DEPTH, JsonDocumentError, load_json_document


def test_a_device_is_refused_by_its_kind_before_any_open(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    node = tmp_path / "watchdog"
    # major 240 has no driver: an open() would fail with ENXIO, so the message shows that
    # the refusal came from looking at the node, not from opening it
    os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(240, 0))
    with pytest.raises(InputError, match="it is a character device, not a regular file"):
        read_input(node, 100)


def test_open_input_gives_a_stream_over_a_regular_file_only(tmp_path):
    path = tmp_path / "wheel.whl"
    path.write_bytes(b"PK\x03\x04")
    with open_input(path) as stream:
        assert stream.read() == b"PK\x03\x04"
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(InputError, match="it is a FIFO"):
        open_input(tmp_path / "fifo")


@pytest.mark.parametrize(("size", "cut"), [(0, False), (99, False), (100, False), (101, True)])
def test_the_limit_is_exact(tmp_path, size, cut):
    path = tmp_path / "f"
    path.write_bytes(b"x" * size)
    chunks = InputChunks(path, 100)
    data = b"".join(chunks)
    assert chunks.cut is cut and len(data) == min(size, 100) == chunks.size
    if cut:
        with pytest.raises(InputError, match="larger than the 100 bytes gpusetup reads for a"):
            read_input(path, 100, "a test")
    else:
        assert read_input(path, 100) == data


def test_a_big_file_is_read_in_chunks_up_to_the_limit(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(os.urandom(3 << 20))
    chunks = InputChunks(path, (2 << 20) + 5)
    parts = list(chunks)
    assert chunks.cut and sum(map(len, parts)) == (2 << 20) + 5 and len(parts) == 3


@pytest.mark.parametrize(
    ("size", "words"),
    [(32 << 20, "32 MiB"), (1 << 20, "1 MiB"), (8192, "8 KiB"), (1000, "1000 bytes")],
)
def test_sizes_are_said_in_the_unit_a_person_reads(size, words):
    assert describe_size(size) == words


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("caf\u00e9, \u4e2d\u6587, 80GB HBM3", "caf\u00e9, \u4e2d\u6587, 80GB HBM3"),
        ("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"),
        ("nul\x00 del\x7f csi\x9b", "nul\\x00 del\\x7f csi\\x9b"),
        ("bidi \u202eevil\u202c \u2066iso\u2069", "bidi \\u202eevil\\u202c \\u2066iso\\u2069"),
        ("zero\u200bwidth \ufeffbom", "zero\\u200bwidth \\ufeffbom"),
        ("line\u2028sep\u2029para", "line\\u2028sep\\u2029para"),
        ("bytes \udcff\udcfe", "bytes \\udcff\\udcfe"),
        ("tab\tkept, cr\r, nl\n", "tab\tkept, cr\\x0d, nl\\x0a"),
        ("no-break\u00a0space", "no-break\u00a0space"),
    ],
    ids=["printable", "escape-sequences", "c0-c1", "bidi", "zero-width", "separators",
         "surrogates", "whitespace", "nbsp"],
)  # fmt: skip
def test_printable_escapes_what_could_drive_a_terminal(text, shown):
    assert printable(text) == shown


def test_printable_can_keep_line_breaks_for_multi_line_text():
    assert printable("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "nested more than 64"),
        (b"[" * 200_000, "nested more than 64"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1e400}', "is not finite"),
        (b'{"a": 18446744073709551616}', "does not fit in 64 bits"),
        (b'{"a": ' + b"1" * 30 + b"}", "too many digits"),
        (b"\xef\xbb\xbf\xff", r"not UTF-8 text \(byte 0xff at offset 3\)"),
        ('{"a": 1}'.encode("utf-16-le").join([b"\xff\xfe", b""]), "UTF-16"),
    ],
    ids=["one-too-deep", "unclosed-deep", "nan", "minus-infinity", "float-overflow",
         "int-2-64", "int-30-digits", "not-utf8-after-bom", "utf16"],
)  # fmt: skip
def test_json_documents_outside_the_bounds_are_refused(raw, message):
    with pytest.raises(JsonDocumentError, match=message):
        load_json_document(raw)


def test_json_documents_inside_the_bounds_are_read():
    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    edge = {"max": 2**64 - 1, "min": -(2**63), "f": 1.5e308, "s": "\u00e9"}
    assert load_json_document(deepest.encode()) is not None
    assert load_json_document(b"\xef\xbb\xbf" + json.dumps(edge).encode()) == edge

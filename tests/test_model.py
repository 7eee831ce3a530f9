"""Facts and reports: exact JSON round trip, bus id normalisation, bad facts files."""

from __future__ import annotations

import json

import pytest

from gpusetup.devices.visibility import resolve_visible_devices
from gpusetup.facts import Facts, normalise_bus_id
from gpusetup.probe import collect_facts
from gpusetup.probe.kernel import parse_driver_version
from gpusetup.probe.recorded import FactsFileError, load_facts


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("00000000:3B:00.0", "0000:3b:00.0"),
        ("0000:3b:00.0", "0000:3b:00.0"),
        ("00000001:AF:00.0", "0001:af:00.0"),
        ("3B:00.0", "0000:3b:00.0"),
    ],
)
def test_bus_id_normalised_to_tensorflows_form(raw, normalised):
    assert normalise_bus_id(raw) == normalised


def test_facts_of_this_machine_round_trip_exactly():
    facts = collect_facts()
    text = json.dumps(facts.to_json())
    assert Facts.from_json(json.loads(text)) == facts


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json {", "is not JSON"),
        ('{"schema": "other/1"}', "expected 'gpusetup.facts/1'"),
        ("[1, 2]", "expected a JSON object"),
        (b"\xff\xfe\x00garbage", "is not JSON"),
        ('{"schema": "gpusetup.facts/1", "collected_at": 5}', "expected str"),
    ],
)
def test_bad_facts_files_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "facts.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(FactsFileError, match=message.replace("(", r"\(")):
        load_facts(path)


def test_kernel_driver_version_line():
    line = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Tue Sep 23 09:47:17 UTC 2025"
    assert parse_driver_version(line) == "580.95.05"
    open_line = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.133.20  Release"
    assert parse_driver_version(open_line) == "570.133.20"


@pytest.mark.parametrize(
    ("value", "visible", "invalid", "ignored"),
    [
        ("1,0", [1, 0], None, []),
        ("", [], None, []),
        ("-1", [], "-1", []),
        ("0,7,1", [0], "7", ["1"]),
        ("GPU-aa", [0], None, []),
        ("GPU-a", [], "GPU-a", []),
        ("0, 0", [0], "0", []),
        ("MIG-1234,1", [1], None, []),
    ],
)
def test_cuda_visible_devices_semantics(value, visible, invalid, ignored):
    vis = resolve_visible_devices(value, ["GPU-aa11", "GPU-ab22", "GPU-cc33"])
    assert (vis.visible, vis.invalid_entry, vis.ignored) == (visible, invalid, ignored)

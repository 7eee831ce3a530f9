"""Which nvidia-smi GPU is which CUDA device, from pasted listings: the same-machine pairs
of the corpus (pairs.toml) joined exactly as written by hand, CUDA's FASTEST_FIRST order
predicted from nvidia-smi alone where the listing allows it, and the environment line that
makes a chosen GPU device 0.
"""

from __future__ import annotations

import pytest
from readers_corpus import load, pairs, text

from gpusetup.devices.listings import join, mapping, predict_cuda_order, visible_devices_line
from gpusetup.devices.map import SelectionError, select_line
from gpusetup.parse import read
from gpusetup.parse.model import GpuRecord, Reading


def _reading(name: str) -> Reading:
    name = name.removesuffix(".txt")
    return read(load(name)["kind"], text(name))


@pytest.mark.parametrize("pair", pairs(), ids=lambda p: p["smi"])
def test_each_same_machine_pair_joins_to_its_hand_written_mapping(pair):
    device_map = join(_reading(pair["smi"]), _reading(pair["cuda"]))
    expected = {int(k): v for k, v in pair["mapping"].items()}
    assert mapping(device_map) == expected
    assert device_map.orders_differ == (list(expected.values()) != sorted(expected.values()))
    for row in device_map.rows:
        if row.smi_index in expected:
            assert "joined by bus id" in row.notes


def test_a_join_never_uses_the_index():
    """simpleP2P prints no bus ids: GPU 0 of a table and CUDA device 0 stay unjoined."""
    device_map = join(_reading("smi-table-550-l40s"), _reading("p2p-simplep2p-l4x2-passed"))
    assert mapping(device_map) == {}
    smi_row = next(r for r in device_map.rows if r.smi_index == 0)
    assert smi_row.cuda_ordinal is None and "does not show it" in " ".join(smi_row.notes)


def test_a_uuid_joins_when_both_listings_print_it():
    uuid = "GPU-e1924eea-b9bb-d537-39f2-b345087fa145"
    smi = _reading("smi-L-3090x4-prompt")  # -L: UUIDs, no bus ids
    cuda = Reading(
        kind="torch-devices",
        gpus=(GpuRecord(line=1, index=3, name="NVIDIA GeForce RTX 3090", uuid=uuid),),
    )
    device_map = join(smi, cuda)
    assert mapping(device_map) == {0: 3}
    assert "joined by UUID" in next(r for r in device_map.rows if r.smi_index == 0).notes


def test_a_cut_cuda_listing_says_a_gpu_may_be_further_on():
    device_map = join(_reading("smi-table-555-a100x4"), _reading("dq-k40c-first-of-two"))
    notes = " ".join(n for r in device_map.rows if r.smi_index is not None for n in r.notes)
    assert "cut: it may be further on" in notes


@pytest.mark.parametrize(
    "name",
    ["smi-table-565-h100x8", "smi-table-555-a100x4", "smi-table-560-3090x2", "smi-table-550-l40s"],
)
def test_identical_gpus_keep_pci_order_as_their_deviceQuery_shows(name):
    prediction = predict_cuda_order(_reading(name))
    pair = next(p for p in pairs() if p["smi"] == f"{name}.txt")
    assert prediction.certain
    assert list(prediction.order) == [pair["mapping"][str(i)] for i in range(len(pair["mapping"]))]


@pytest.mark.parametrize(
    ("name", "order"),
    [
        # the thread shows CUDA numbering the GTX 780 Ti 0 and the Fermi GTX 460 1
        ("smi-table-367-gtx460-780ti", (1, 0)),
        # the poster finds CUDA numbers the TITAN before the 8400 GS
        ("smi-table-331-8400gs-titan", (1, 0)),
        # llama.cpp (CUDA order) lists the RTX 3090 before the GTX 1660 SUPER
        ("smi-csv-noheader-name-mem-index", (1, 0)),
    ],
)
def test_a_much_faster_gpu_is_predicted_first_as_the_threads_saw(name, order):
    prediction = predict_cuda_order(_reading(name))
    assert prediction.order == order and prediction.certain


@pytest.mark.parametrize(
    "name",
    ["smi-table-580-5090-4090-mixed", "smi-table-610-mixed9-kmd", "smi-table-430-p1000-titanrtx"],
)
def test_a_cut_listing_predicts_nothing_and_says_what_would_confirm(name):
    prediction = predict_cuda_order(_reading(name))
    assert prediction.order is None and not prediction.certain
    assert "cut" in prediction.reasons[0]
    assert "deviceQuery" in prediction.confirm_with


def test_close_models_are_an_uncertain_prediction():
    """An RTX 5090 and an RTX 4090 are within 1.5x of each other by the estimate; on the
    machine of smi-table-580-5090-4090-mixed CUDA in fact put the 4090 first."""
    smi = Reading(
        kind="nvidia-smi-table",
        gpus=(
            GpuRecord(line=1, index=0, name="NVIDIA GeForce RTX 5090", bus_id="0000:01:00.0"),
            GpuRecord(line=4, index=1, name="NVIDIA GeForce RTX 4090", bus_id="0000:02:00.0"),
        ),
    )
    prediction = predict_cuda_order(smi)
    assert not prediction.certain
    assert any("close in speed" in reason for reason in prediction.reasons)


def test_an_unknown_or_truncated_name_predicts_nothing():
    prediction = predict_cuda_order(_reading("smi-table-rtxpro6000-domain1-mig"))
    assert prediction.order is None and not prediction.certain


def test_the_uuid_line_is_device_maps_own():
    smi = _reading("smi-L-3090x4-prompt")
    line = visible_devices_line(smi, 2)
    assert line == "export CUDA_VISIBLE_DEVICES=GPU-acd314e9-4c7a-4824-eb0f-b6e38b1ec38c"
    from gpusetup.devices.listings import _smi_only_map

    assert line == select_line(_smi_only_map(smi, None), 2)


def test_without_uuids_a_whole_table_selects_by_pci_position():
    smi = _reading("smi-table-565-h100x8")
    assert visible_devices_line(smi, 5) == (
        "export CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=5"
    )


def test_a_cut_table_selects_by_the_joined_cuda_ordinal():
    smi, cuda = _reading("smi-table-610-mixed9-kmd"), _reading("p2p-mixed9-r610")
    assert visible_devices_line(smi, 0, cuda) == (
        "export CUDA_DEVICE_ORDER=FASTEST_FIRST CUDA_VISIBLE_DEVICES=7"
    )
    with pytest.raises(SelectionError, match="no UUID"):
        visible_devices_line(smi, 0)  # the table alone: cut, no UUID, no ordinal


def test_a_listing_taken_under_cuda_visible_devices_gives_no_ordinal_line():
    smi, cuda = _reading("smi-table-580-5090-4090-mixed"), _reading("p2p-4090x2-visible-matrix")
    with pytest.raises(SelectionError):
        visible_devices_line(smi, 1, cuda)


def test_a_gpu_below_the_minimum_is_refused_as_device_map_refuses_it():
    smi, cuda = _reading("smi-table-550-l40s"), _reading("dq-l40s")
    with pytest.raises(SelectionError, match="compute capability 8.9"):
        visible_devices_line(smi, 0, cuda, tf_minimum="9.0")
    with pytest.raises(SelectionError, match="there is no nvidia-smi GPU 3"):
        visible_devices_line(smi, 3, cuda)


def test_collect_env_says_its_gpu_numbers_are_nvidia_smis():
    """torch.utils.collect_env prints nvidia-smi -L without the UUIDs (its get_gpu_info)."""
    reading = _reading("torch-collect-env-111-two-cudnn")
    assert any("nvidia-smi's, not CUDA's" in note.text for note in reading.notes)

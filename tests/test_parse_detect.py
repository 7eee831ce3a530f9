"""Splitting a whole paste: several real outputs one after another with a poster's prose
between them, markdown fences and quotes, CRLF, shell prompts. Each output comes back as
one block of its kind, read as its reader reads it alone, with the paste's line numbers.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from readers_corpus import cases, load, text

from gpusetup.parse import read
from gpusetup.parse.detect import _JOINABLE, detect

PROSE = [
    "Here is what I get on the second machine:",
    "Any idea what is wrong here?",
    "I also ran this, in case it helps",
    "Thanks in advance!",
    "Edit - forgot the rest, see below",
]
# Outputs that are one block whatever stands next to them: an nvidia-smi error alone
# joins a neighbouring /proc version (they are judged together); logs join logs.
_LONE_NVML = {"proc-version-580-mismatch"}


def _shifted(reading, offset: int):
    return [replace(g, line=g.line + offset) for g in reading.gpus]


def _paste(names: list[str], rng: random.Random, *, fence: bool, quote: bool, crlf: bool):
    """The paste and, per output, the line number its first line gets."""
    parts: list[str] = []
    starts: list[int] = []
    line = 1
    for name in names:
        for _ in range(rng.randint(1, 2)):
            parts.append(rng.choice(PROSE))
            line += 1
        parts.append("")
        line += 1
        body = text(name).rstrip("\n").split("\n")
        if quote:
            body = ["> " + b for b in body]
        if fence:
            parts.append("```")
            line += 1
        starts.append(line)
        parts.extend(body)
        line += len(body)
        if fence:
            parts.append("```")
            line += 1
        parts.append("")
        line += 1
    paste = "\n".join(parts) + "\n"
    return (paste.replace("\n", "\r\n") if crlf else paste), starts


def _sequences(count: int, seed: int) -> list[list[str]]:
    """Runs of 2-4 corpus outputs whose neighbours differ in kind."""
    rng = random.Random(seed)
    names = [n for n in cases() if n not in _LONE_NVML]
    out = []
    while len(out) < count:
        run = rng.sample(names, rng.randint(2, 4))
        kinds = [load(n)["kind"] for n in run]
        if all(a != b for a, b in zip(kinds, kinds[1:], strict=False)):
            out.append(run)
    return out


@pytest.mark.parametrize("seed", range(int(__import__("os").environ.get("SEEDS", "60"))))
def test_outputs_one_after_another_with_prose_are_split_and_read(seed):
    rng = random.Random(seed)
    names = _sequences(1, seed)[0]
    paste, starts = _paste(
        names, rng, fence=rng.random() < 0.4, quote=rng.random() < 0.3, crlf=rng.random() < 0.3
    )
    blocks = detect(paste).blocks
    assert [b.kind for b in blocks] == [load(n)["kind"] for n in names], names
    for block, name, start in zip(blocks, names, starts, strict=True):
        alone = read(load(name)["kind"], text(name))
        assert list(block.reading.gpus) == _shifted(alone, start - 1), name
        assert block.reading.problem_ids == alone.problem_ids, name
        assert block.reading.driver_version == alone.driver_version, name
        assert block.first_line >= start - 1  # a prompt line may lead it


def test_a_github_comment_with_prompts_and_prose_between_three_outputs():
    paste = (
        "I have two GPUs but TensorFlow only uses one.\r\n"
        "\r\n"
        "```\r\n"
        "user@host:~$ nvidia-smi -L\r\n"
        "GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-e1924eea-b9bb-d537-39f2-b345087fa145)\r\n"
        "GPU 1: NVIDIA GeForce RTX 3090 (UUID: GPU-899c71bf-27be-b6a0-ae8f-d8afe5ba0f85)\r\n"
        "user@host:~$ cat /proc/driver/nvidia/version\r\n"
        + text("proc-version-open-565").replace("\n", "\r\n")
        + "```\r\n"
        "and the cuDNN header says\r\n"
        "> #define CUDNN_MAJOR 8\r\n"
        "> #define CUDNN_MINOR 9\r\n"
        "> #define CUDNN_PATCHLEVEL 7\r\n"
    )
    paste_kinds = detect(paste).kinds
    assert paste_kinds == ["nvidia-smi-L", "proc-version", "cudnn-header"]
    blocks = detect(paste).blocks
    assert [g.uuid[:12] for g in blocks[0].reading.gpus] == ["GPU-e1924eea", "GPU-899c71bf"]
    assert blocks[0].reading.gpus[0].line == 5
    assert blocks[1].reading.driver_version == "565.57.01"
    assert blocks[2].reading.cudnn_version == "8.9.7"


def test_a_csv_after_its_command_uses_the_command_columns():
    paste = (
        "$ nvidia-smi --query-gpu=memory.total,index,name --format=csv,noheader\n"
        "24576 MiB, 1, NVIDIA GeForce RTX 3090\n"
        "6144 MiB, 0, NVIDIA GeForce GTX 1660 SUPER\n"
    )
    (block,) = detect(paste).blocks
    assert block.kind == "nvidia-smi-csv"
    assert [(g.index, g.name, g.memory_mib) for g in block.reading.gpus] == [
        (1, "NVIDIA GeForce RTX 3090", 24576),
        (0, "NVIDIA GeForce GTX 1660 SUPER", 6144),
    ]
    assert any("--query-gpu command" in n.text for n in block.reading.notes)


def test_two_tables_of_two_machines_are_two_blocks():
    table = text("smi-table-560-3090x2")
    paste = table + "\nand the other box:\n" + text("smi-table-550-l40s")
    blocks = detect(paste).blocks
    assert [b.kind for b in blocks] == ["nvidia-smi-table", "nvidia-smi-table"]
    assert [len(b.reading.gpus) for b in blocks] == [2, 1]
    assert [b.reading.driver_version for b in blocks] == ["560.35.03", "550.127.05"]


def test_the_same_kind_twice_in_a_row_is_two_whole_blocks():
    paste = text("dq-5090x2-cc120") + "\nHere is another one:\n" + text("dq-a100x4")
    blocks = detect(paste).blocks
    assert [b.kind for b in blocks] == ["deviceQuery", "deviceQuery"]
    assert [b.reading.gpu_count for b in blocks] == [2, 4]
    assert blocks[1].reading.runtime_version == "12.4"


def test_the_whole_corpus_in_one_paste_is_one_block_per_output():
    """Every case one after another, same kinds side by side too: one block each (logs and
    PyTorch one-liners next to each other may be one output: they are compared collapsed)."""
    names = cases()
    paste = "\n\nHere is another one:\n\n".join(text(name) for name in names)
    blocks = detect(paste).blocks

    def collapsed(kinds: list[str]) -> list[str]:
        out: list[str] = []
        for kind in kinds:
            if not (out and out[-1] == kind and kind in _JOINABLE):
                out.append(kind)
        return out

    assert collapsed([b.kind for b in blocks]) == collapsed([load(n)["kind"] for n in names])
    whole = [b for b in blocks if b.kind not in _JOINABLE]
    alone = [read(load(n)["kind"], text(n)) for n in names if load(n)["kind"] not in _JOINABLE]
    assert [len(b.reading.gpus) for b in whole] == [len(r.gpus) for r in alone]
    assert [b.reading.driver_version for b in whole] == [r.driver_version for r in alone]


def test_nothing_recognisable_gives_no_block():
    assert detect("Hello,\nmy GPU does not work. Any idea?\n").blocks == ()
    assert detect("").blocks == ()


def test_elided_rows_keep_a_table_and_a_listing_one_block_and_are_noted():
    """A poster's ``...`` for left-out rows is part of the output around it."""
    for name, kind in (
        ("smi-table-390-tesla-m2070-elided", "nvidia-smi-table"),
        ("ls-la-cuda100-stubs-elided", "ls-l"),
    ):
        (block,) = detect(text(name)).blocks
        assert block.kind == kind
        assert any(note.kind == "elided" for note in block.reading.notes), name
    (block,) = detect(text("ls-la-cuda100-stubs-elided")).blocks
    assert [lib.name for lib in block.reading.libraries] == ["libcuda.so", "libnvidia-ml.so"]
    assert block.first_line == 1  # the docker command that printed it travels with it


def test_an_elided_nvidia_smi_table_predicts_no_cuda_order():
    """GPUs 0-6 were left out: they take part in CUDA's order, so none is predicted."""
    from gpusetup.devices.listings import predict_cuda_order

    (block,) = detect(text("smi-table-390-tesla-m2070-elided")).blocks
    assert predict_cuda_order(block.reading).order is None


def test_csv_rows_in_backticks_after_a_backticked_command_in_prose():
    paste = (
        "`nvidia-smi --query-gpu=gpu_name,gpu_bus_id --format=csv` gives me the same order:\n"
        "\n"
        "`GeForce GTX 750, 00000000:01:00.0`\n"
        "`GeForce GTX 750 Ti, 00000000:02:00.0`\n"
    )
    (block,) = detect(paste).blocks
    assert block.kind == "nvidia-smi-csv"
    assert [(g.name, g.bus_id) for g in block.reading.gpus] == [
        ("GeForce GTX 750", "0000:01:00.0"),
        ("GeForce GTX 750 Ti", "0000:02:00.0"),
    ]
    assert any("--query-gpu command" in n.text for n in block.reading.notes)


def test_a_gpu_line_right_above_the_version_line_is_one_output_but_a_command_splits_them():
    lspci_line = (
        "01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA102 [GeForce RTX 3080]"
        " [10de:2206] (rev a1)\n"
    )
    version = (
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n"
    )
    assert detect(lspci_line + version).kinds == ["proc-version"]
    assert detect("$ lspci -nn | grep NVIDIA\n" + lspci_line + version).kinds == [
        "lspci",
        "proc-version",
    ]
    assert detect(lspci_line + "$ cat /proc/driver/nvidia/version\n" + version).kinds == [
        "lspci",
        "proc-version",
    ]

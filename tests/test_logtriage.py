"""The log-triage engine without the machine: line cleaning (parse.log), the byte prefilter,
every catalogue example through the engine, the root-cause rules, the facts a diagnosis
takes from the log, and hostile input. The real-log corpus has its own test
(test_triage_corpus.py); lines written here are for the rules' edge cases only."""

from __future__ import annotations

import os
import random
import re

import pytest

from gpusetup.logtriage import SCHEMA, item_json, triage_chunks, triage_text
from gpusetup.logtriage.catalogue import anchor_hits, catalogue, fold
from gpusetup.logtriage.scan import scan_chunks
from gpusetup.parse.log import (
    iter_chunks,
    nvrm_message,
    split_lines,
    strip_decorations,
    traceback_finals,
    unwrapped,
)

# ---------------------------------------------------------------- parse.log


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "[ 1843.308145] NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.",
            "NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.",
        ),
        ("[Mon Jan  1 00:00:00 2024] NVRM: API mismatch", "NVRM: API mismatch"),
        (
            "Jan 18 10:05:01 gpu7 kernel: NVRM: GPU at PCI:0000:01:00: GPU-1",
            "NVRM: GPU at PCI:0000:01:00: GPU-1",
        ),
        (
            "2023-10-19T11:11:54.957587844+08:00 stderr F 2023/10/19 03:11:54 Loading NVML",
            "2023/10/19 03:11:54 Loading NVML",
        ),
        ("\x1b[31mRuntimeError: CUDA error\x1b[0m\r", "RuntimeError: CUDA error"),
        ("> > `Torch not compiled with CUDA enabled`", "Torch not compiled with CUDA enabled"),
        (
            "**ImportError: libcudnn.so.8: cannot open shared object file**",
            "ImportError: libcudnn.so.8: cannot open shared object file",
        ),
        ("```bash", ""),
        (
            "dalle-backend-1  | nvidia-container-cli: initialization error",
            "nvidia-container-cli: initialization error",
        ),
        ("50%|#####     |\r100%|##########| done\x00", "50%|#####     | 100%|##########| done"),
    ],
)
def test_decorations_come_off_and_the_message_stays(raw: str, message: str) -> None:
    assert strip_decorations(raw) == message


def test_nvrm_continuation_lines_make_one_message() -> None:
    # the kernel's layout (dmesg indents continuation lines without a timestamp)
    lines = split_lines(
        "[ 1843.308145] NVRM: The NVIDIA GPU 0000:b3:00.0\n"
        "               NVRM: (PCI ID: 10de:26b5) installed in this system has\n"
        "               NVRM: fallen off the bus and is not responding to commands.\n"
        "[ 1843.439662] NVRM: The NVIDIA probe routine failed for 1 device(s).\n"
    )
    first, text = nvrm_message(lines, 2)
    assert first == 0
    assert text == (
        "NVRM: The NVIDIA GPU 0000:b3:00.0 (PCI ID: 10de:26b5) installed in this system has "
        "fallen off the bus and is not responding to commands."
    )
    assert nvrm_message(lines, 3) == (3, lines[3].text)


def test_consecutive_xid_lines_stay_apart() -> None:
    lines = split_lines(
        "NVRM: Xid (PCI:0000:3d:00): 43, pid=1, Ch 8\nNVRM: Xid "
        "(PCI:0000:3d:00): 31, pid=2, MMU Fault\n"
    )
    assert nvrm_message(lines, 1) == (1, lines[1].text)


def test_a_wrapped_line_is_joined_with_its_continuation() -> None:
    lines = split_lines(
        "tensorflow_gpu-1.1.0-cp35-cp35m-win_amd64.whl is not a supported "
        "wheel on this p\nlatform.\n"
    )
    assert unwrapped(lines, 0) == (
        "tensorflow_gpu-1.1.0-cp35-cp35m-win_amd64.whl is not a supported wheel on this platform."
    )
    assert unwrapped(split_lines("short\nline\n"), 0) is None


def test_the_final_line_of_a_traceback_is_found() -> None:
    lines = split_lines(
        'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n'
        "    import torch\nOSError: libcudnn.so.8: cannot open shared object file\nnext\n"
    )
    assert traceback_finals(lines) == [3]


def test_pieces_end_at_line_ends_and_count_lines_across_any_read_size() -> None:
    text = b"".join(b"line %d\n" % i for i in range(5000))
    reads = [text[i : i + 777] for i in range(0, len(text), 777)]
    pieces = list(iter_chunks(reads, min_size=4096))
    assert b"".join(p for p, _ in pieces) == text
    assert all(p.endswith(b"\n") for p, _ in pieces)
    before = 0
    for piece, lines_before in pieces:
        assert lines_before == before
        before += piece.count(b"\n")


def test_a_line_longer_than_the_cap_is_cut_and_the_next_line_still_read() -> None:
    pieces = list(iter_chunks([b"x" * 100_000, b"y" * 100_000 + b"\nnext\n"]))
    data = b"".join(p for p, _ in pieces)
    assert data.split(b"\n")[1] == b"next"
    assert len(data) < 20_000


def test_a_utf16_log_is_read_as_text() -> None:
    log = "\ufeffTorch not compiled with CUDA enabled\r\n".encode("utf-16-le")
    result = triage_chunks([log[:7], log[7:]])
    assert [i.id for i in result.root_causes] == ["torch.not-compiled-with-cuda"]


# ---------------------------------------------------------------- the catalogue


def test_the_prefilter_finds_every_needle_anywhere_in_a_line_in_any_case() -> None:
    cat = catalogue()
    rng = random.Random(7)
    for group, (_, needles) in enumerate(cat.prefilter):
        for needle in needles:
            filler = "".join(rng.choice("abc XYZ 019:/.") for _ in range(rng.randint(0, 40)))
            for shown in (needle, needle.upper(), needle.title()):
                line = f"{filler}{shown}{filler}\n".encode()
                assert group in {g for _, g in anchor_hits(line.lower())}, shown
    every = {fold(n) for e in cat.entries for n in e.needles}
    assert every == {n for _, needles in cat.prefilter for n in needles}


def _examples() -> list:
    return [
        pytest.param(e.id, ex["line"], id=f"{e.id}#{i}")
        for e in catalogue().entries
        for i, ex in enumerate(_raw_examples(e.id))
    ]


def _raw_examples(entry_id: str) -> list[dict]:
    from gpusetup.knowledge import checks_dir, read_toml

    for path in sorted((checks_dir() / "data" / "messages").glob("*.toml")):
        for row in read_toml(path).get("message", []):
            if row.get("id") == entry_id:
                return row.get("examples", [])
    return []


@pytest.mark.parametrize(("entry_id", "line"), _examples())
def test_every_catalogue_example_is_read_by_the_engine(entry_id: str, line: str) -> None:
    result = triage_text(line + "\n")
    entry = catalogue().by_id[entry_id]
    found = [i.id for i in result.items]
    if entry_id not in found:
        # one line, several readings: a specific entry beats a generic one, a cause a
        # symptom, and the message that starts first one quoted inside it
        others = [catalogue().by_id[i] for i in found]
        assert others, f"nothing read from {line!r}"
        rank = {"cause": 0, "symptom": 1, "benign": 2}

        def key(e):  # type: ignore[no-untyped-def]
            return (rank[e.role], e.regex.search(line).start())

        assert entry.generic or any(o.regex.search(line) and key(o) < key(entry) for o in others), (
            found
        )
        return
    item = next(i for i in result.items if i.id == entry_id)
    if entry.role == "benign":
        assert not item.root_cause
    else:
        assert item.diagnosis and item.fix
        assert item.source.get("catalogue", "").startswith("checks/data/messages/")


# ---------------------------------------------------------------- rules


def ids(text: str) -> list[str]:
    return [i.id for i in triage_text(text).root_causes]


def test_a_missing_dependency_decides_the_family() -> None:
    first = triage_text(
        "Could not load library libcudnn_cnn_infer.so.8. Error: libnvrtc.so: "
        "cannot open shared object file: No such file or directory\n"
    ).root_causes[0]
    assert (first.family, first.facts["dependency"]) == ("library-missing", "libnvrtc.so")
    assert "libnvrtc.so" in first.fix


TRT = (
    "W tensorflow/compiler/xla/stream_executor/platform/default/dso_loader.cc:64] Could not load "
    "dynamic library 'libnvinfer.so.7'; dlerror: libnvinfer.so.7: cannot open shared object "
    "file: No such file or directory\n"
)


def test_tensorrt_alone_is_the_missing_library_and_beside_anything_else_not_the_problem() -> None:
    alone = triage_text(TRT).root_causes
    assert [(i.id, i.family) for i in alone] == [
        ("tf.dso.dlopen-failed.tensorrt", "library-missing")
    ]
    assert alone[0].fix.startswith("Nothing to do unless the program uses TF-TRT")
    works = (
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1418] Created TensorFlow device "
        "(/job:localhost/replica:0/task:0/device:GPU:0 with 3469 MB memory) -> physical GPU "
        "(device: 0, name: NVIDIA GeForce RTX 3060, pci bus id: 0000:01:00.0, compute "
        "capability: 8.6)\n"
    )
    assert triage_text(TRT + works).root_causes == ()
    oom = "RuntimeError: CUDA error: out of memory\n"
    result = triage_text(TRT + oom)
    assert [i.id for i in result.root_causes] == ["cuda.err.out-of-memory"]
    assert next(i for i in result.items if i.id == "tf.dso.dlopen-failed.tensorrt").role == "benign"


def test_tensorflow_after_2_10_on_native_windows_is_a_cpu_only_build() -> None:
    log = "C:\\Users\\me> python train.py\nTensorFlow version: 2.12.0\nNum GPUs Available:  0\n"
    first = triage_text(log).root_causes[0]
    assert (first.id, first.family, first.platform) == (
        "tf.user.no-gpu",
        "cpu-only-build",
        "windows",
    )
    assert "WSL2" in first.fix


def test_nvidia_smi_without_a_driver_in_a_container_is_the_container() -> None:
    smi = (
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
        "driver. Make sure that the latest NVIDIA driver is installed and "
        "running.\n"
    )
    assert triage_text(smi).root_causes[0].family == "kernel-module"
    inside = triage_text("$ docker run --rm -it ubuntu nvidia-smi\n" + smi).root_causes[0]
    assert (inside.family, inside.platform) == ("container", "container")
    assert "--gpus all" in inside.fix


def test_tensorflows_cuda_diagnostics_explain_the_cuinit_error() -> None:
    log = (
        "E tensorflow/stream_executor/cuda/cuda_driver.cc:351] failed call to "
        "cuInit: CUDA_ERROR_NO_DEVICE\n"
        "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:163] kernel "
        "driver does not appear to be running on this host (node3): "
        "/proc/driver/nvidia/version does not exist\n"
    )
    result = triage_text(log)
    assert [i.id for i in result.root_causes] == ["tf.cuda-diagnostics.kernel-driver-not-running"]
    no_device = next(i for i in result.items if i.id == "cuda.err.no-device")
    assert no_device.explained_by == ("tf.cuda-diagnostics.kernel-driver-not-running",)


def test_a_symptom_alone_stands_as_the_root_cause_and_is_linked_when_a_cause_is_there() -> None:
    cannot = (
        "W tensorflow/core/common_runtime/gpu/gpu_device.cc:2256] Cannot "
        "dlopen some GPU libraries. Please make sure the missing libraries "
        "mentioned above are installed properly if you would like to use GPU.\n"
    )
    assert ids(cannot) == ["tf.gpu.cannot-dlopen"]
    with_cause = (
        "W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could "
        "not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: "
        "cannot open shared object file: No such file or directory\n"
    ) + cannot
    result = triage_text(with_cause)
    assert [i.id for i in result.root_causes] == ["tf.dso.dlopen-failed.cudnn"]
    symptom = next(i for i in result.items if i.id == "tf.gpu.cannot-dlopen")
    assert symptom.explained_by == ("tf.dso.dlopen-failed.cudnn",)
    assert "Related: line 2" in result.root_causes[0].diagnosis


def test_a_healthy_start_has_no_root_cause() -> None:
    log = (
        "I tensorflow/core/platform/cpu_feature_guard.cc:182] This TensorFlow "
        "binary is optimized to use available CPU instructions in "
        "performance-critical operations.\n"
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1418] Created "
        "TensorFlow device (/job:localhost/replica:0/task:0/device:GPU:0 with "
        "3469 MB memory) -> physical GPU (device: 0, name: NVIDIA GeForce RTX "
        "3060 Laptop GPU, pci bus id: 0000:01:00.0, compute capability: 8.6)\n"
    )
    result = triage_text(log)
    assert result.root_causes == ()
    assert {i.role for i in result.items} == {"benign"}


# ---------------------------------------------------------------- facts in the words


def test_pytorchs_driver_number_is_decoded_and_the_pasted_smi_driver_named() -> None:
    log = (
        "| NVIDIA-SMI 470.82.01    Driver Version: 470.82.01    CUDA Version: 11.4     |\n"
        "AssertionError: The NVIDIA driver on your system is too old (found "
        "version 11040). Please update your GPU driver\n"
    )
    first = triage_text(log).root_causes[0]
    assert first.family == "driver-too-old"
    assert "CUDA up to 11.4" in first.diagnosis
    assert "driver 470.82.01" in first.diagnosis


def test_an_xid_is_explained_from_the_table_and_each_other_xid_is_shown() -> None:
    log = (
        "NVRM: Xid (PCI:0000:3d:00): 43, pid=1, Ch 8\nNVRM: Xid "
        "(PCI:0000:3d:00): 43, pid=2, Ch 8\nNVRM: Xid (PCI:0000:db:00): 31, "
        "pid=3, MMU Fault\n"
    )
    first = triage_text(log).root_causes[0]
    assert "Xid 43 (ROBUST_CHANNEL_RESETCHANNEL_VERIF_ERROR)" in first.diagnosis
    assert "Xid (PCI:0000:db:00): 31" in first.diagnosis
    assert first.count == 3


def test_a_pasted_ldconfig_listing_shows_cudnn_9_where_8_is_wanted() -> None:
    log = (
        "Could not load library libcudnn_ops_infer.so.8. Error: "
        "libcudnn_ops_infer.so.8: cannot open shared object file: No such file "
        "or directory\n"
        "$ ldconfig -p | grep cudnn\n"
        "\tlibcudnn_ops.so.9 (libc6,x86-64) => /lib/x86_64-linux-gnu/libcudnn_ops.so.9\n"
        "\tlibcudnn.so.9 (libc6,x86-64) => /lib/x86_64-linux-gnu/libcudnn.so.9\n"
    )
    first = triage_text(log).root_causes[0]
    assert first.family == "cudnn-missing"
    assert "cuDNN 9 installed, not cuDNN 8" in first.diagnosis


def test_the_wheel_is_judged_for_the_python_the_log_shows() -> None:
    log = (
        "$ python --version\nPython 3.5.1\n$ pip install "
        "tensorflow-0.6.0-cp34-none-linux_x86_64.whl\ntensorflow-0.6.0-cp34-none-linux_x86_64.whl "
        "is not a supported wheel on this platform.\n"
    )
    first = triage_text(log).root_causes[0]
    assert "CPython 3.4" in first.diagnosis and "Python 3.5.1" in first.diagnosis


def test_what_was_inferred_is_said_with_its_evidence() -> None:
    log = (
        'File "C:\\Users\\me\\venv\\lib\\site-packages\\torch\\__init__.py", line 1\n'
        "OSError: [WinError 126] The specified module could not be found. "
        "Error loading "
        '"C:\\Users\\me\\venv\\lib\\site-packages\\torch\\lib\\cudnn_cnn_infer64_8.dll" '
        "or one of its dependencies.\n"
    )
    first = triage_text(log).root_causes[0]
    assert (first.platform, first.framework) == ("windows", "pytorch")
    assert "Inferred from the log: native Windows (line 1" in first.diagnosis


def test_the_json_item_has_the_documented_fields() -> None:
    first = triage_text("RuntimeError: Torch not compiled with CUDA enabled\n").root_causes[0]
    row = item_json(first)
    assert SCHEMA == "gpusetup.triage/2"
    assert {"diagnosis", "fix", "facts", "platform", "framework", "source"} <= set(row)
    assert row["source"]["upstream"].startswith("pytorch/pytorch")


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "data",
    [
        b"",
        os.urandom(1 << 20),
        b"\x00" * 100_000,
        b"\xff\xfe" * 50_000 + b"\n" * 10,
        b"\r" * 100_000,
        b"\n" * 100_000,
        b"NVRM: " * 50_000,
        ("Could not load dynamic library '" * 3000).encode(),
        bytes(range(256)) * 4000,
    ],
    ids=[
        "empty",
        "random",
        "nul",
        "utf16-junk",
        "cr",
        "newlines",
        "nvrm-repeated",
        "needle-repeated",
        "all-bytes",
    ],
)
def test_hostile_input_never_crashes_and_names_no_root_cause(data: bytes) -> None:
    result = triage_chunks([data])
    assert result.root_causes == ()


def test_a_needle_split_between_two_reads_is_still_found() -> None:
    log = b"x" * 5000 + b"\nRuntimeError: Torch not compiled with CUDA enabled\n"
    cut = log.index(b"compiled") + 3
    assert [m.entry.id for m in scan_chunks([log[:cut], log[cut:]]).matches] == [
        "torch.not-compiled-with-cuda"
    ]


def test_random_text_with_real_messages_inside_finds_them_all() -> None:
    rng = random.Random(3)
    words = [
        "the",
        "model",
        "step",
        "loss",
        "epoch",
        "done",
        "GPU",
        "cuda",
        "nvidia",
        "driver",
        "library",
        "error",
        "failed",
        "not",
        "found",
    ]
    messages = [
        "RuntimeError: CUDA error: an illegal memory access was encountered",
        "Failed to initialize NVML: Driver/library version mismatch",
    ]
    lines = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(20_000)]
    lines[7000], lines[15000] = messages
    found = {m.entry.id for m in scan_chunks([("\n".join(lines) + "\n").encode()]).matches}
    assert {"cuda.err.illegal-address", "nvml.version-mismatch"} <= found
    assert not any(re.match(r"tf\.|torch\.", i) for i in found)


@pytest.mark.parametrize(
    ("text", "entry_id", "family"),
    [
        (
            "docker: Error response from daemon: Unknown runtime specified nvidia.",
            "docker.unknown-runtime",
            "container",
        ),
        (
            "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
            "k8s.insufficient-gpu",
            "container",
        ),
        (
            "nvcc fatal   : Unsupported gpu architecture 'compute_86'",
            "nvcc.unsupported-arch",
            "toolchain",
        ),
        (
            "RuntimeError: CUDA error: CUDA-capable device(s) is/are busy or unavailable",
            "cuda.err.devices-unavailable",
            "permission",
        ),
        (
            "RuntimeError: Library libcudnn_ops.so.9 is not found or cannot be loaded",
            "ctranslate2.library-not-found.cudnn",
            "cudnn-missing",
        ),
        (
            (
                "OSError: CUDA_HOME environment variable is not set. Please set it to "
                "your CUDA install root."
            ),
            "torch.cpp-extension.no-cuda-home",
            "toolchain",
        ),
        (
            "RuntimeError:\nThe detected CUDA version (11.8) mismatches the "
            "version that was used to compile\n"
            "PyTorch (12.1). Please make sure to use the same CUDA versions.",
            "torch.cpp-extension.cuda-mismatch",
            "toolchain",
        ),
        (
            "WARNING:jax._src.xla_bridge:CUDA backend failed to initialize: Unable "
            "to load cuDNN. (Set "
            "TF_CPP_MIN_LOG_LEVEL=0 and rerun for more info.)",
            "jax.unable-to-load.cudnn",
            "cudnn-missing",
        ),
        (
            "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus.",
            "nvrm.xid",
            "gpu-fault",
        ),
    ],
)
def test_formats_without_a_real_example_are_read(text: str, entry_id: str, family: str) -> None:
    first = triage_text(text + "\n").root_causes[0]
    assert (first.id, first.family) == (entry_id, family)
    assert first.diagnosis and first.fix

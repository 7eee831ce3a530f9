"""The log-triage engine without the machine: line cleaning (parse.log), the byte prefilter,
every catalogue example through the engine, the root-cause rules, the facts a diagnosis
takes from the log, and hostile input. The real-log corpus has its own test
(test_triage_corpus.py); lines written here are for the rules' edge cases only."""

from __future__ import annotations

import os
import random
import re
import string

import pytest
from conftest import ROOT

from gpusetup.logtriage import SCHEMA, item_json, triage_chunks, triage_text
from gpusetup.logtriage.catalogue import anchor_hits, catalogue, fold
from gpusetup.logtriage.scan import scan_chunks
from gpusetup.parse.log import (
    continued,
    iter_chunks,
    nvrm_message,
    split_lines,
    straight_quotes,
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
        # dmesg -H as posted (NVIDIA/open-gpu-kernel-modules#393)
        (
            "[  +0.000012] NVRM: The NVIDIA probe routine failed for 1 device(s).",
            "NVRM: The NVIDIA probe routine failed for 1 device(s).",
        ),
        # talosctl dmesg as posted (siderolabs/talos#8764)
        (
            "kern: warning: [2024-05-20T02:46:53.859954762Z]: NVRM: No NVIDIA GPU found.",
            "NVRM: No NVIDIA GPU found.",
        ),
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


def test_a_hard_wrapped_line_is_joined_with_the_lines_that_continue_its_sentence() -> None:
    lines = split_lines(
        " error: #error -- unsupported GNU version! gcc versions later than 12 are\n"
        " not supported! The nvcc flag '-allow-unsupported-compiler' can be used to\n"
        " override this version check; however, using an unsupported host compiler\n"
    )
    assert continued(lines, 0) == [
        "error: #error -- unsupported GNU version! gcc versions later than 12 are not "
        "supported! The nvcc flag '-allow-unsupported-compiler' can be used to",
        "error: #error -- unsupported GNU version! gcc versions later than 12 are not "
        "supported! The nvcc flag '-allow-unsupported-compiler' can be used to override "
        "this version check; however, using an unsupported host compiler",
    ]
    # a finished sentence, a log-prefixed next line or a gap ends the message
    assert continued(split_lines("one sentence.\nanother\n"), 0) == []
    assert continued(split_lines("cut here\n2024-01-01 next\n[x] y\n"), 0) == []


@pytest.mark.parametrize(
    "log",
    [
        # nvcc's host_config.h check as a forum wraps it (CUDA 12.0, GCC 14)
        "/usr/local/cuda/bin/../targets/x86_64-linux/include/crt/host_config.h:132:2:\n"
        " error: #error -- unsupported GNU version! gcc versions later than 12 are\n"
        " not supported! The nvcc flag '-allow-unsupported-compiler' can be used to\n",
    ],
)
def test_a_message_hard_wrapped_at_a_word_is_read_whole(log: str) -> None:
    assert triage_text(log).root_causes, log


def test_a_terminal_wrap_inside_a_number_is_joined_where_the_needle_stands_whole() -> None:
    # synthetic: XLA's warning (asm_compiler.cc's wording) cut by a 150-column terminal
    # between "11." and "0"; the needle stands whole on the second line, which alone does
    # not read (the real paste is the corpus case colabfold-jax-driver-cuda110-...)
    log = (
        "W external/xla/xla/service/gpu/nvptx_compiler.cc:497] The NVIDIA driver's CUDA "
        "version is 11.\n0 which is older than the ptxas CUDA version (11.6.124). Because "
        "the driver is older than the ptxas version, XLA is disabling parallel compilation\n"
    )
    (first,) = triage_text(log).root_causes
    assert first.family == "driver-too-old"
    assert "11.0" in first.diagnosis and "11.6.124" in first.diagnosis


#: TensorFlow 1.x's "Found device" block as posted (tensorflow/tensorflow#27840)
_FOUND_K4200 = (
    "2019-10-23 18:52:56.918140: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1618] "
    "Found device 0 with properties:\n"
    "name: Quadro K4200 major: 3 minor: 0 memoryClockRate(GHz): 0.784\n"
    "pciBusID: 0000:03:00.0\n"
)


def test_a_gpu_older_than_every_prebuilt_tensorflow_is_the_cause_where_no_device_is_made() -> None:
    (first,) = triage_text(_FOUND_K4200).root_causes
    assert first.family == "compute-capability"
    assert "3.0" in first.diagnosis and "3.5" in first.diagnosis and "3.0" in first.fix
    # synthetic: the same GPU with a device created on it (a source build made for 3.0)
    created = _FOUND_K4200 + (
        "2019-10-23 18:52:57.1: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1304] "
        "Created TensorFlow device (/job:localhost/replica:0/task:0/device:GPU:0 with 3500 MB "
        "memory) -> physical GPU (device: 0, name: Quadro K4200, pci bus id: 0000:03:00.0, "
        "compute capability: 3.0)\n"
    )
    assert triage_text(created).root_causes == ()
    # TF 0.x-1.4's wording of the same line (tensorflow/tensorflow#6698: a GT 750M, 3.0, on
    # the macOS GPU build, which ran it)
    creating = _FOUND_K4200 + (
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:975] Creating TensorFlow device "
        "(/gpu:0) -> (device: 0, name: Quadro K4200, pci bus id: 0000:03:00.0)\n"
    )
    assert triage_text(creating).root_causes == ()
    # synthetic: a GPU every prebuilt release supports
    assert (
        triage_text(_FOUND_K4200.replace("major: 3 minor: 0", "major: 6 minor: 1")).root_causes
        == ()
    )


def test_a_device_created_on_a_gpu_newer_than_the_builds_cuda_is_the_cause() -> None:
    # synthetic, from the lines of DeepLabCut/DeepLabCut#944 (TF 1.x on CUDA 10.0, RTX 3090)
    opened = (
        "I tensorflow/stream_executor/platform/default/dso_loader.cc:44] Successfully opened "
        "dynamic library {}\n"
    )
    created = (
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1325] Created TensorFlow device "
        "(/job:localhost/replica:0/task:0/device:GPU:0 with 22071 MB memory) -> physical GPU "
        "(device: 0, name: GeForce RTX 3090, pci bus id: 0000:08:00.0, compute capability: 8.6)\n"
    )
    (first,) = triage_text(opened.format("cusolver64_100.dll") + created).root_causes
    assert first.family == "compute-capability"
    assert "CUDA 10.0" in first.diagnosis and "11.1" in first.diagnosis
    # CUDA 11's names: a build that knows Ampere
    assert triage_text(opened.format("cudart64_110.dll") + created).root_causes == ()


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


_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def _ascii_title(text: str) -> str:
    return re.sub(r"\b[a-z]", lambda m: m.group().upper(), text)


def test_the_prefilter_finds_every_needle_anywhere_in_a_line_in_any_case() -> None:
    cat = catalogue()
    rng = random.Random(7)
    for _, needles in cat.prefilter:
        for needle in needles:
            filler = "".join(rng.choice("abc XYZ 019:/.") for _ in range(rng.randint(0, 40)))
            # the prefilter folds ASCII letters (bytes.lower): a needle in another script
            # is found in any case of its ASCII letters
            for shown in (needle, needle.translate(_ASCII_UPPER), _ascii_title(needle)):
                line = f"{filler}{shown}{filler}\n".encode()
                found = {n for _, a in anchor_hits(line.lower()) for n in cat.anchors[a]}
                assert needle in found, shown
    every = {fold(n) for e in cat.entries for n in e.needles}
    assert every == {n for _, needles in cat.prefilter for n in needles}
    assert every == {n for needles in cat.anchors for n in needles}


def test_overlapping_anchors_are_all_found() -> None:
    # each needle's anchor is found even where another anchor of its expression overlaps it
    cat = catalogue()
    for _, needles in cat.prefilter:
        line = "".join(needles).encode()
        found = {n for _, a in anchor_hits(line) for n in cat.anchors[a]}
        assert set(needles) <= found


def test_anchor_hits_are_the_expressions_own_past_the_one_by_one_tries() -> None:
    # a character the block holds more often than _FIND_TRIES is left to the regular
    # expression engine midway: the hits are still every one the expressions find
    from gpusetup.logtriage.catalogue import _FIND_TRIES

    cat = catalogue()
    rng = random.Random(11)
    needles = [n for _, group in cat.prefilter for n in group]
    words = [n.encode() for n in rng.sample(needles, 40)]
    noise = b"".join(cat.prefilter_chars) + b" abc 019:/."
    parts = []
    for _ in range(3 * _FIND_TRIES):
        parts.append(bytes(rng.choice(noise) for _ in range(rng.randint(0, 30))))
        if rng.random() < 0.2:
            parts.append(rng.choice(words))
    block = b"".join(parts)
    want = sorted(
        (m.start(), cat.anchor_ids[group, m.group(1)])
        for group, (expression, _) in enumerate(cat.prefilter)
        for m in expression.finditer(block)
    )
    assert want
    assert max(block.count(ch) for ch in cat.prefilter_chars) > 2 * _FIND_TRIES
    assert anchor_hits(block) == want


#: passes of the prefilter over each piece of a log (one per anchor character): a healthy
#: log pays each, so a needle that brings a new one should be longer or rarer instead. 18:
#: glibc's translations of "cannot open shared object file" brought five characters of other
#: scripts (Cyrillic, CJK, Hangul, Vietnamese), whose lead bytes an ASCII log lacks (a memchr
#: pass each); the 50 MB no-match command measured 0.67-0.87 s with them and 0.62-0.91 s
#: without, one after the other on the same machine
MAX_PASSES = 18
#: of those, passes for characters ordinary logs are full of (the regular expression engine
#: walks the whole piece for each; a rare character costs a tenth of that). 8: "Training on
#: 0 GPU" brought "g" (no other anchor of it is rare); the whole 50 MB command stayed at
#: 0.43-0.45 s with it
MAX_FREQUENT_PASSES = 8


def test_the_prefilter_makes_a_bounded_number_of_passes() -> None:
    from gpusetup.logtriage.catalogue import _rank

    cat = catalogue()
    # each expression starts with its anchor character (a multi-byte one in another script)
    chars = [
        re.sub(rb"\\(.)", rb"\1", p.pattern.split(b"(?=")[0]).decode() for p, _ in cat.prefilter
    ]
    assert all(len(ch) == 1 for ch in chars), chars
    assert len(chars) == len(set(chars))
    assert len(chars) <= MAX_PASSES, chars
    frequent = [ch for ch in chars if 0 < _rank(ch) <= 30]
    assert len(frequent) <= MAX_FREQUENT_PASSES, frequent


def test_the_pass_count_grows_with_needles_that_need_new_characters() -> None:
    # what the bound above guards against: needles whose every anchor starts at a character
    # no other needle's does add a pass each
    from gpusetup.logtriage.catalogue import _prefilter

    needles = sorted(catalogue().by_needle)
    base = len(_prefilter(needles)[0])
    used = set("".join(needles))
    fresh = [ch * 4 for ch in "qjkz#@~^" if ch not in used][:3]
    assert len(fresh) == 3
    assert len(_prefilter([*needles, *fresh])[0]) == base + 3


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


def test_tensorrt_is_the_problem_only_where_the_log_shows_tf_trt_used() -> None:
    # every TF 2.1-2.15 start-up without TensorRT warns about libnvinfer: alone, or beside a
    # GPU that works, it is not the problem
    assert triage_text(TRT).root_causes == ()
    assert (
        next(i for i in triage_text(TRT).items if i.id == "tf.dso.dlopen-failed.tensorrt").role
        == "benign"
    )
    works = (
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1418] Created TensorFlow device "
        "(/job:localhost/replica:0/task:0/device:GPU:0 with 3469 MB memory) -> physical GPU "
        "(device: 0, name: NVIDIA GeForce RTX 3060, pci bus id: 0000:01:00.0, compute "
        "capability: 8.6)\n"
    )
    assert triage_text(TRT + works).root_causes == ()
    # a TF-TRT conversion needs it
    used = "from tensorflow.python.compiler.tensorrt import trt_convert as trt\n"
    for log in (used + TRT, TRT + works + used):
        roots = triage_text(log).root_causes
        assert [(i.id, i.family) for i in roots] == [
            ("tf.dso.dlopen-failed.tensorrt", "library-missing")
        ]
        assert roots[0].fix.startswith("Nothing to do unless the program uses TF-TRT")
    oom = "RuntimeError: CUDA error: out of memory\n"
    result = triage_text(used + TRT + oom)
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


#: ollama's NVML "driver not loaded" (https://github.com/ollama/ollama/issues/1898)
NVML_9 = "Jan 08 19:28:33 XDFAF ollama[178990]: 2024/01/08 19:28:33 gpu.go:39: CUDA not detected: nvml vram init failure: 9\n"  # noqa: E501


def test_nvml_driver_not_loaded_is_the_kernel_module_and_under_wsl_the_shadowed_library() -> None:
    assert triage_text(NVML_9).root_causes[0].family == "kernel-module"
    wsl = "$ ldconfig -p | grep libnvidia-ml\n\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/wsl/lib/libnvidia-ml.so.1\n"  # noqa: E501
    first = triage_text(wsl + NVML_9).root_causes[0]
    assert (first.id, first.family, first.platform) == (
        "ollama.nvml-init.driver-not-loaded",
        "library-symlink",
        "wsl",
    )
    assert "/usr/lib/wsl/lib" in first.fix


def test_ollama_and_ggml_finding_no_device_under_wsl_is_the_windows_driver() -> None:
    for line in (
        'level=INFO source=gpu.go:602 msg="no nvidia devices detected by library /usr/lib/wsl/lib/libcuda.so.1"\n',  # noqa: E501
        "ggml_cuda_init: no CUDA devices found, CUDA will be disabled\n",
    ):
        assert (
            triage_text(line.replace("/usr/lib/wsl/lib", "/usr/lib64")).root_causes[0].family
            == "visibility"
        )
        assert (
            triage_text("Linux host 5.15.153.1-microsoft-standard-WSL2\n" + line)
            .root_causes[0]
            .family
            == "driver-missing"
        )


#: deviceQuery's error 35 (https://github.com/NVIDIA/nvidia-docker/issues/498)
ERROR_35 = (
    "cudaGetDeviceProperties returned 35\n"
    "-> CUDA driver version is insufficient for CUDA runtime version\n"
)


@pytest.mark.parametrize(
    "evidence",
    [
        # https://github.com/xmake-io/xmake/issues/4686
        "看日志是 LD_LIBRARY_PATH 引用到了 /usr/local/cuda/lib64/stubs，\n",
        "export LD_LIBRARY_PATH=/usr/local/cuda-10.2/targets/aarch64-linux/lib/stubs:"
        "$LD_LIBRARY_PATH\n",
        # an ldd line naming the stub (https://github.com/numba/numba/issues/9732)
        "                /usr/local/cuda-11.8/targets/x86_64-linux/lib/stubs/libcuda.so\n",
    ],
)
def test_the_stub_on_the_loader_path_explains_error_35(evidence: str) -> None:
    assert [(i.id, i.family) for i in triage_text(ERROR_35).root_causes] == [
        ("cuda.err.insufficient-driver", "driver-too-old")
    ]
    for log in (evidence + ERROR_35, ERROR_35 + evidence):
        result = triage_text(log)
        assert [i.family for i in result.root_causes] == ["stub-library"]
        insufficient = next(i for i in result.items if i.id == "cuda.err.insufficient-driver")
        assert not insufficient.root_cause and insufficient.explained_by
    # stubs for the linker alone (LIBRARY_PATH, -L) are not the loader's path
    linker = "export LIBRARY_PATH=/usr/local/cuda/lib64/stubs\n"
    assert [i.family for i in triage_text(linker + ERROR_35).root_causes] == ["driver-too-old"]


#: https://github.com/dusty-nv/jetson-containers/issues/159
L4T_CUBLAS = (
    "FROM dustynv/l4t-ml:r32.6.1-py3\n"
    "ImportError: libcublas.so.10: cannot open shared object file: No such file or directory\n"
)


def test_a_cuda_library_missing_in_an_l4t_image_is_the_container_runtime() -> None:
    first = triage_text(L4T_CUBLAS).root_causes[0]
    assert (first.family, first.facts["soname"]) == ("container", "libcublas.so.10")
    assert "--runtime nvidia" in first.fix and "dustynv/l4t-ml:r32.6.1-py3" in first.diagnosis
    # the same line without the image: a library missing on the host
    alone = triage_text(L4T_CUBLAS.split("\n", 1)[1]).root_causes[0]
    assert alone.family == "library-missing"
    # a library the image itself ships (not one the runtime mounts) stays missing
    own = L4T_CUBLAS.replace("libcublas.so.10", "libopenblas.so.0")
    assert triage_text(own).root_causes[0].family == "library-missing"


@pytest.mark.parametrize(
    ("line", "soname"),
    [
        # https://github.com/rust-nvml/nvml-wrapper/issues/47
        (
            'report this:Error: LibloadingError(DlOpen { desc: "libnvidia-ml.so: cannot open '
            'shared object file: No such file or directory" });',
            "libnvidia-ml.so",
        ),
        (
            "OSError: libnvidia-ptxjitcompiler.so: cannot open shared object file: No such file "
            "or directory",
            "libnvidia-ptxjitcompiler.so",
        ),
    ],
)
def test_an_unversioned_driver_library_asked_for_by_name_is_the_missing_symlink(
    line: str, soname: str
) -> None:
    first = triage_text(line + "\n").root_causes[0]
    assert (first.family, first.facts["soname"]) == ("library-symlink", soname)
    assert f"ln -s {soname}.1" in first.fix
    # the versioned name is the driver's own: missing, it is not a symlink problem
    versioned = triage_text(line.replace(soname, soname + ".1") + "\n").root_causes[0]
    assert versioned.family != "library-symlink"


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
    # another major installed: the version is wrong (tests/data/logs/real/README.md)
    assert first.family == "cudnn-version"
    assert "cuDNN 9 is installed, this build needs cuDNN 8" in first.diagnosis
    assert "nvidia-cudnn-cu12==8.*" in first.fix and "libcudnn8" in first.fix


@pytest.mark.parametrize(
    ("shown", "platform_words"),
    [
        ("nvidia-cudnn-cu12         9.1.0.70", "LD_LIBRARY_PATH"),  # pip list
        ("#define CUDNN_MAJOR 9", "LD_LIBRARY_PATH"),  # cudnn_version.h
        ("ii  libcudnn9-cuda-12  9.3.0.75-1  amd64  cuDNN runtime libraries", "libcudnn8"),
        ("cudnn                     9.1.1.17             h6c5c0b4_1", "conda install cudnn=8"),
        ("-rwxr-xr-x 1 root root 1.2M libcudnn.so.9.1.0", "libcudnn8"),
    ],
)
def test_cudnn_of_another_major_installed_is_cudnn_version(shown: str, platform_words: str) -> None:
    log = (
        ("$ conda activate whisper\n" if "conda install" in platform_words else "")
        + shown
        + "\nCould not load library libcudnn_ops_infer.so.8. Error: libcudnn_ops_infer.so.8: "
        "cannot open shared object file: No such file or directory\n"
    )
    first = triage_text(log).root_causes[0]
    assert first.family == "cudnn-version", first.id
    assert "cuDNN 9 is installed, this build needs cuDNN 8" in first.diagnosis
    assert platform_words in first.fix


def test_the_wanted_cudnn_alone_or_its_own_major_listed_stays_cudnn_missing() -> None:
    failure = (
        "Unable to load any of {libcudnn_ops.so.9.1.0, libcudnn_ops.so.9.1, libcudnn_ops.so.9, "
        "libcudnn_ops.so}\n"
    )
    assert triage_text(failure).root_causes[0].family == "cudnn-missing"
    both = "libcudnn.so.8.9.7\nlibcudnn.so.9.1.0\n" + failure
    assert triage_text(both).root_causes[0].family == "cudnn-missing"


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


# ---------------------------------------------------------------- wordings that vary
# Each class of variation with a real line (the thread it was posted in beside it).


def first_root(text: str):  # type: ignore[no-untyped-def]
    roots = triage_text(text).root_causes
    assert roots, f"no root cause in {text!r}"
    return roots[0]


def test_a_message_in_another_case_is_read() -> None:
    # https://github.com/rajeshroy402/DeepStream-dGPU-Installation/issues/5
    first = first_root("Failed to initialize NVML: Driver/Library version mismatch\n")
    assert (first.id, first.family) == ("nvml.version-mismatch", "driver-mismatch")
    # the exact case still reads the same way, and the facts keep the log's own case
    assert first_root("Failed to initialize NVML: Driver/library version mismatch\n").id == (
        "nvml.version-mismatch"
    )
    assert first.facts["error"] == "Driver/Library version mismatch"


def test_a_glibc_version_with_straight_quotes_and_without_required_by_is_read() -> None:
    # https://github.com/ghostplant/tensorflow-wheel-collections/issues/1
    first = first_root("`ImportError: /usr/lib64/libm.so.6: version 'GLIBC_2.23' not found`\n")
    assert (first.family, first.facts["version"]) == ("glibc-abi", "GLIBC_2.23")
    assert "GLIBC_2.23" in first.diagnosis and "/usr/lib64/libm.so.6" in first.diagnosis
    # https://github.com/conda-forge/tensorflow-feedstock/issues/67: the path wrapped
    wrapped = first_root(
        "ImportError: /lib64/libc.so.6: version 'GLIBC_2.16' not found (required by \n"
        "/opt/conda/.../tensorflow/python/_pywrap_tensorflow_internal.so)\n"
    )
    assert wrapped.id == "loader.glibc-version"
    assert wrapped.facts["path"].endswith("_pywrap_tensorflow_internal.so")


def test_a_line_without_the_programs_prefix_is_read() -> None:
    # https://github.com/brokeDude2901/dxgkrnl_ubuntu/issues/21 (no "ldconfig: " before it)
    first = first_root("libcuda.so.1 is not a symbolic link\n")
    assert (first.family, first.facts["soname"]) == ("library-symlink", "libcuda.so.1")
    # a driver library is a plain file on WSL's share; another library was copied
    assert first.id == "wsl.libcuda-not-symlink.bare" and "WSL" in first.diagnosis
    other = first_root("libcudnn.so.8 is not a symbolic link\n")
    assert (other.id, other.facts["path"]) == ("ldconfig.not-symlink", "libcudnn.so.8")


def test_an_nvrm_message_is_read_whatever_line_of_it_holds_the_needle() -> None:
    # https://github.com/flatcar/Flatcar/issues/1283 (dmesg indents the continuation)
    first = first_root(
        "[130852.530546] NVRM: The NVIDIA GPU 0000:02:00.0 (PCI ID: 10de:1b38)\n"
        "                NVRM: installed in this system is not supported by the\n"
        "                NVRM: NVIDIA 535.104.05 driver release.\n"
    )
    assert first.id == "nvrm.unsupported-gpu" and first.line == 1
    assert (first.facts["pci_id"], first.facts["driver"]) == ("10de:1b38", "535.104.05")
    # https://github.com/negativo17/nvidia-driver/issues/158 (journalctl -k)
    gsp = first_root(
        "kernel: NVRM: The NVIDIA GPU 0000:09:00.0 (PCI ID: 10de:1d01)\n"
        "             NVRM: installed in this system is not supported by open\n"
        "             NVRM: nvidia.ko because it does not include the required GPU\n"
        "             NVRM: System Processor (GSP).\n"
    )
    assert (gsp.id, gsp.facts["bus_id"]) == ("nvrm.open-module-needs-gsp", "0000:09:00.0")


def test_a_long_line_is_joined_with_the_next_only_for_a_needle_across_the_join() -> None:
    # https://github.com/bitsandbytes-foundation/bitsandbytes/issues/236: the long warning
    # above the loader's line is not part of it
    result = triage_text(
        "CUDA_SETUP: WARNING! libcudart.so not found in any environmental path. "
        "Searching /usr/local/cuda/lib64...\n"
        "ERROR: /workspaces/XXX/.venv/bin/python: undefined symbol: cudaRuntimeGetVersion\n"
    )
    first = result.root_causes[0]
    assert (first.line, first.text) == (
        2,
        "ERROR: /workspaces/XXX/.venv/bin/python: undefined symbol: cudaRuntimeGetVersion",
    )
    assert first.family == "library-missing"
    # a line holding another needle is still joined when the message spans the join
    wrapped = first_root(
        "tensorflow_gpu-1.1.0-cp35-cp35m-win_amd64.whl is not a supported wheel on this p\n"
        "latform.\n"
    )
    assert wrapped.id == "pip.unsupported-wheel"


def test_onnx_runtimes_provider_dll_error_126_is_a_missing_dependency() -> None:
    # https://github.com/microsoft/onnxruntime/issues/21501
    first = first_root(
        "[E:onnxruntime:Default, provider_bridge_ort.cc:1745 onnxruntime::TryGetProviderInfo_CUDA]"
        " D:\\a_work\\1\\s\\onnxruntime\\core\\session\\provider_bridge_ort.cc:1426 "
        "onnxruntime::ProviderLibrary::Get [ONNXRuntimeError] : 1 : FAIL : LoadLibrary failed "
        'with error 126 "" when trying to load "C:\\sd.webui\\system\\python\\lib\\'
        'site-packages\\onnxruntime\\capi\\onnxruntime_providers_cuda.dll"\n'
    )
    assert (first.family, first.framework, first.platform) == (
        "library-missing",
        "onnxruntime",
        "windows",
    )
    assert "onnxruntime_providers_cuda.dll" in first.diagnosis
    assert "PATH" in first.fix and "tensorflow" not in first.fix


@pytest.mark.parametrize(
    ("line", "fact"),
    [
        # https://github.com/ecmwf-lab/ai-models-graphcast/issues/18
        (
            "jaxlib.xla_extension.XlaRuntimeError: RESOURCE_EXHAUSTED: Failed to allocate "
            "request for 2.99GiB (3206250496B) on device ordinal 0",
            "3206250496",
        ),
        # https://github.com/onpix/LLNeRF/issues/9
        (
            "jaxlib.xla_extension.XlaRuntimeError: RESOURCE_EXHAUSTED: Out of memory "
            "allocating 20029400304 bytes.",
            "20029400304",
        ),
    ],
)
def test_xlas_allocation_failures_are_out_of_memory(line: str, fact: str) -> None:
    first = first_root(line + "\n")
    assert (first.family, first.framework) == ("out-of-memory", "jax")
    assert fact in first.diagnosis.split("Log line")[0]
    assert "XLA_PYTHON_CLIENT" in first.fix


def test_an_nvidia_smi_subcommand_refused_is_a_permission_problem() -> None:
    # https://github.com/gpuopenanalytics/pynvml/issues/19
    first = first_root(
        "(base) bzaitlen@dgx15:~$ nvidia-smi nvlink -g 0\n"
        "GPU 0: Tesla V100-SXM2-32GB (UUID: GPU-96ab329d-7a1f-73a8-a9b7-18b4b2855f92)\n"
        "NVML: Unable to get the NvLink link utilization counter control for link 0: "
        "Insufficient Permissions\n"
    )
    assert (first.id, first.family) == ("nvidia-smi.query-insufficient-permissions", "permission")
    assert "Tesla V100-SXM2-32GB" in first.diagnosis


def test_the_loader_error_inside_a_load_failure_decides_its_family() -> None:
    # https://github.com/davisking/dlib/issues/2719: two cuDNN 8 releases mixed, not missing
    first = first_root(
        "Could not load library libcudnn_cnn_train.so.8. Error: /usr/local/cuda-11.1/targets/"
        "x86_64-linux/lib/libcudnn_ops_train.so.8: symbol _Z22cudnnGenericOpTensorNdILi3EE, "
        "version libcudnn_ops_infer.so.8 not defined in file libcudnn_ops_infer.so.8 with link "
        "time reference\n"
    )
    assert (first.id, first.family) == ("cudnn8.sublibrary-load-failed", "cudnn-version")
    assert "dependency" not in first.facts
    assert "different cuDNN releases" in first.diagnosis and "one cuDNN release" in first.fix
    # https://github.com/microsoft/onnxruntime/issues/8594: the same message for cuBLAS
    cublas = first_root(
        "OSError: /home/gpu/anaconda3/envs/FXM/lib/python3.7/lib-dynload/../../libcublas.so.11: "
        "symbol free_gemm_select version libcublasLt.so.11 not defined in file libcublasLt.so.11 "
        "with link time reference\n"
    )
    assert (cublas.id, cublas.family) == ("loader.symbol-version-not-defined", "glibc-abi")
    assert "libcublasLt.so.11" in cublas.fix


def test_pypis_windows_torch_wheel_is_the_cpu_build_and_a_cuda_wheel_is_not() -> None:
    # https://github.com/opendatalab/MinerU/issues/240
    mirror = (
        "(MinerU_GPU) C:\\Users\\tu_ha>pip install torch==2.3.1 torchvision==0.18.1\n"
        "  Using cached https://mirrors.aliyun.com/pypi/packages/85/fc/ee5bb50eff313149657f173b0"
        "03649677e27fa3aaae1ecc806add37f017c/torch-2.3.1-cp310-cp310-win_amd64.whl (159.8 MB)\n"
    )
    first = first_root(mirror)
    assert (first.family, first.platform) == ("cpu-only-build", "windows")
    assert "download.pytorch.org/whl/cu" in first.fix and "torch==2.3.1" in first.fix
    cuda = mirror.replace("torch-2.3.1-", "torch-2.3.1%2Bcu121-")
    assert triage_text(cuda).root_causes == ()


def test_a_wrong_elf_class_copy_the_search_skipped_is_not_the_root_cause() -> None:
    # https://github.com/ollama/ollama/issues/5493: the 32-bit copy is skipped, the 64-bit
    # driver library lacks a newer driver API
    result = triage_text(
        'time=2024-07-04T17:13:20.134+08:00 level=DEBUG source=gpu.go:385 msg="Unable to load '
        'nvcuda" library=/usr/lib/libcuda.so.418.74 error="Unable to load /usr/lib/libcuda.so.'
        "418.74 library to query for Nvidia GPUs: /usr/lib/libcuda.so.418.74: wrong ELF class: "
        'ELFCLASS32"\n'
        "dlerr: /usr/lib64/libcuda.so.418.74: undefined symbol: cuCtxCreate_v3\n"
    )
    assert [(i.id, i.family) for i in result.root_causes] == [
        ("loader.undefined-symbol.libcuda", "driver-too-old")
    ]
    skipped = next(i for i in result.items if i.id == "loader.wrong-elf-class")
    assert skipped.explained_by == ("loader.undefined-symbol.libcuda",)
    # alone, the wrong ELF class stays the root cause
    assert first_root("libfoo.so: wrong ELF class: ELFCLASS32\n").family == "glibc-abi"


def test_no_kernel_driver_inside_a_docker_container_is_the_container() -> None:
    # https://github.com/tensorflow/tensorflow/issues/44869: Docker names the host after the
    # container's id
    first = first_root(
        "2020-11-11 10:46:37.467270: I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:156]"
        " kernel driver does not appear to be running on this host (16c54693e7f2): "
        "/proc/driver/nvidia/version does not exist\n"
    )
    assert (first.family, first.platform) == ("container", "container")
    # a host named like a word is no container
    host = first_root(
        "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:86] kernel driver does not "
        "appear to be running on this host (joao): /proc/driver/nvidia/version does not exist\n"
    )
    assert host.family == "driver-missing"


def test_jaxs_outdated_cudnn_is_a_cudnn_version_with_its_numbers() -> None:
    # https://github.com/rgommers/pixi-dev-scipystack/issues/1
    first = first_root(
        "E   RuntimeError: Backend 'cuda' failed to initialize: Unable to use CUDA because of "
        "the following issues with CUDA components:\n"
        "E   Outdated cuDNN installation found.\n"
        "E   Version JAX was built against: 8907\n"
        "E   Minimum supported: 9100\n"
        "E   Installed version: 8907\n"
    )
    # pytest's "E   " taken off, the message reads as a plain paste of it does
    assert (first.id, first.family) == ("jax.outdated-cudnn", "cudnn-version")
    sentence = first.diagnosis.split("Log line")[0]
    assert "minimum" in sentence and "9100" in sentence and "8907" in sentence


def test_xlas_dnn_initialization_failure_alone_is_a_cudnn_init_failure() -> None:
    # https://github.com/jax-ml/jax/issues/15742
    first = first_root(
        "jaxlib.xla_extension.XlaRuntimeError: FAILED_PRECONDITION: DNN library initialization "
        "failed. Look at the errors above for more details.\n"
    )
    assert (first.id, first.family, first.framework) == ("xla.dnn.init-failed", "cudnn-init", "jax")


def test_a_generic_cause_inside_a_specific_symptom_is_the_root_cause() -> None:
    # https://github.com/jax-ml/jax/blob/main/docs/installation.md (the error it explains)
    first = first_root(
        "CUDA backend failed to initialize: Found CUDA version 12000, but JAX was built against "
        "version 12020, which is newer. The copy of CUDA that is installed must be at least as "
        "new as the version against which JAX was built. (Set TF_CPP_MIN_LOG_LEVEL=0 and rerun "
        "for more info.)\n"
    )
    assert first.id == "jax.found-older-version"
    assert "12000" in first.diagnosis and "12020" in first.diagnosis


# ---------------------------------------------------------------- the words of a diagnosis


def sentence(item) -> str:  # type: ignore[no-untyped-def]
    """The diagnosis without the quoted log line (what it says in its own words)."""
    return re.sub(r' Log line \d+: ".*$', "", item.diagnosis, flags=re.S)


def test_xlas_cudnn_message_in_a_jax_log_gets_jaxs_fix() -> None:
    # https://github.com/jax-ml/jax/issues/17553: jaxlib prints XLA's paths as external/xla
    first = first_root(
        "2023-09-11 18:02:05.062414: E external/xla/xla/stream_executor/cuda/cuda_dnn.cc:439] "
        "Could not create cudnn handle: CUDNN_STATUS_NOT_INITIALIZED\n"
    )
    assert (first.family, first.framework) == ("cudnn-init", "jax")
    assert "XLA_PYTHON_CLIENT" in first.fix and "set_memory_growth" not in first.fix


def test_pip_says_which_releases_it_saw() -> None:
    # https://github.com/tensorflow/tensorflow/issues/61873 (the list wrapped by the terminal)
    first = first_root(
        "ERROR: Could not find a version that satisfies the requirement tensorflow==2.12.0 "
        "(from versions: 1.13.1, 1.13.2, 1.14.0, 2.10.1, \n"
        "2.11.0rc0, 2.11.0)\n"
        "ERROR: No matching distribution found for tensorflow==2.12.0\n"
    )
    assert first.id == "pip.no-matching-distribution"
    assert "1.13.1 to 2.11.0" in sentence(first) and "tensorflow==2.12.0" in sentence(first)


def test_the_python_of_a_pip_log_is_read_from_the_wheels_it_picked() -> None:
    # https://github.com/kwea123/VTuber_Unity/issues/18
    first = first_root(
        " ` Using cached opencv_python-4.5.1.48-cp38-cp38-win_amd64.whl (34.9 MB)`\n"
        "`ERROR: No matching distribution found for tensorflow-gpu<=1.12.0 (from -r "
        "requirements_gpu.txt (line 3))`\n"
    )
    assert "Python 3.8" in sentence(first) and "cp38" in sentence(first)


def test_a_compiler_version_or_a_host_name_is_no_gpu_name() -> None:
    # https://github.com/fudan-generative-vision/hallo/issues/203 ("V12.1.66" is nvcc's)
    first = first_root(
        "FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: "
        "libcublasLt.so.11: cannot open shared object file: No such file or directory\n"
        "Cuda compilation tools, release 12.1, V12.1.66\n"
    )
    assert "GPU in the log" not in first.diagnosis
    assert (
        triage_text(
            "[ 1843.4] NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  570.158.01  "
            "Release Build  (dvs-builder@U22-I3-B10-02-5)\n"
        ).context.gpus
        == ()
    )


def test_the_cuda_call_that_failed_is_read_from_the_lines_after_the_error() -> None:
    # https://github.com/NVIDIA/gvdb-voxels/issues/120
    first = first_root(
        "> GVDB CUDA ERROR:\n"
        ">   Launch status: the provided PTX was compiled with an unsupported toolchain.\n"
        ">   Kernel status: no error\n"
        ">   Caller: VolumeGVDB::LoadFunction\n"
        ">   Call:   cuModuleLoad\n"
    )
    assert "It failed in cuModuleLoad." in sentence(first)


def test_no_device_beside_a_working_driver_says_the_process_gets_no_gpu() -> None:
    # https://github.com/tensorflow/tensorflow/issues/62494 (a cluster node)
    first = first_root(
        "E tensorflow/stream_executor/cuda/cuda_driver.cc:328] failed call to cuInit: "
        "CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\n"
        "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:200] libcuda reported version is: "
        "515.43.4\n"
        "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:204] kernel reported version is: "
        "515.43.4\n"
    )
    assert first.family == "visibility"
    assert "driver 515.43.4" in sentence(first) and "given no GPU" in sentence(first)


@pytest.mark.parametrize(
    "line",
    [
        # https://github.com/vosen/ZLUDA/issues/213 (cmd.exe, as the paste quotes it)
        "\u201cnvidia-smi\u201d is not recognized as an internal or external command, an "
        "executable program or a batch file.",
        # https://github.com/peci1/nvidia-htop/issues/23 (a tool that runs nvidia-smi)
        "FileNotFoundError: [Errno 2] No such file or directory: 'nvidia-smi': 'nvidia-smi'",
    ],
)
def test_nvidia_smi_missing_is_read_in_the_words_of_windows_and_python(line: str) -> None:
    assert (first_root(line + "\n").id, first_root(line + "\n").family) == (
        "shell.no-nvidia-smi",
        "driver-missing",
    )


def test_typographic_quotes_of_a_web_paste_read_as_the_programs_own() -> None:
    # the line of https://github.com/tensorflow/tensorflow/issues/45200 as a web page or a
    # word processor renders it (quotes turned typographic)
    line = (
        "2020-11-27 11:03:52.110395: W tensorflow/stream_executor/platform/default/"
        "dso_loader.cc:59] Could not load dynamic library \u2018libcudnn.so.8\u2019; dlerror: "
        "libcudnn.so.8: cannot open shared object file: No such file or directory\n"
    )
    first = first_root(line)
    assert (first.id, first.facts["soname"]) == ("tf.dso.dlopen-failed.cudnn", "libcudnn.so.8")
    assert straight_quotes("\u201cx\u201d \u2018y\u2019".encode()) == b"\"x\" 'y'"


def test_libcuda_missing_or_a_compat_libcuda_inside_a_container_is_the_container() -> None:
    # the container started without --gpus: no libcuda.so.1 (a hostname prompt shows Docker)
    inside = first_root(
        "root@1590ea306734:/# python -c 'import torch; torch.cuda.init()'\n"
        "ImportError: libcuda.so.1: cannot open shared object file: No such file or directory\n"
    )
    assert (inside.family, inside.platform) == ("container", "container")
    assert "--gpus" in inside.fix
    outside = first_root(
        "ImportError: libcuda.so.1: cannot open shared object file: No such file or directory\n"
    )
    assert outside.family == "driver-missing"
    # an image's CUDA forward-compatibility libcuda on a GeForce card: it stands in for a host
    # driver older than the image's CUDA (vllm-project/vllm#4940, ModelTC/LightLLM#191), so the
    # host driver is what to update
    compat = first_root(
        "docker run --gpus all nvcr.io/nvidia/pytorch:24.05-py3\n"
        "RuntimeError: CUDA error: forward compatibility was attempted on non supported HW\n"
    )
    assert (compat.family, compat.id) == ("driver-too-old", "cuda.err.compat-not-supported")
    assert "host driver" in compat.fix
    assert (
        first_root(
            "RuntimeError: CUDA error: forward compatibility was attempted on non supported HW\n"
        ).family
        == "driver-too-old"
    )


@pytest.mark.parametrize(
    ("code", "family"),
    [("802", "fabric-manager"), ("999", "kernel-module"), ("804", "driver-too-old"),
     ("100", "visibility"), ("3", "kernel-module")],
)  # fmt: skip
def test_ollamas_cuinit_code_is_read_by_its_cuda_meaning(code: str, family: str) -> None:
    # ollama/ollama discover/gpu_info_nvcuda.c: "cuda driver library init failure: %d"
    first = first_root(
        'time=2025-09-03T15:13:30.458Z level=INFO source=gpu.go:612 msg="Unable to load cudart '
        "library /usr/lib/x86_64-linux-gnu/libcuda.so.570.169: cuda driver library init "
        f'failure: {code}"\n'
    )
    assert first.family == family
    assert first.framework == "ollama"


def test_llama_cpp_out_of_memory_names_the_device_and_the_fix_is_llama_cpps() -> None:
    # https://github.com/ollama/ollama/issues/6860 (llama-cpp-python over five GPUs)
    first = first_root(
        "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 144.00 MiB on device 4: "
        "cudaMalloc failed: out of memory\n"
        "ggml_gallocr_reserve_n: failed to allocate CUDA4 buffer of size 150995968\n"
        "llama_new_context_with_model: failed to allocate compute buffers\n"
    )
    assert (first.id, first.family, first.framework) == (
        "ggml.cuda-malloc-failed", "out-of-memory", "llamacpp",
    )  # fmt: skip
    assert "-ngl" in first.fix and "--tensor-split" in first.fix


def test_a_pinned_memory_fallback_and_a_healthy_cuda_start_of_llama_cpp_are_no_root_cause() -> None:
    # https://github.com/ggml-org/llama.cpp/issues/9629: llama.cpp goes on without pinning
    run = triage_text(
        "ggml_cuda_init: found 1 CUDA devices:\n"
        "  Device 0: NVIDIA GeForce GTX 1050 Ti, compute capability 6.1, VMM: yes\n"
        "ggml_cuda_host_malloc: failed to allocate 1900,00 MiB of pinned memory: invalid argument\n"
        "llm_load_tensors: offloaded 23/23 layers to GPU\n"
    )
    assert run.root_causes == ()
    assert [i.id for i in run.items] == ["ggml.pinned-memory-failed"]


def test_the_cuda_provider_missing_from_onnx_runtime_is_its_cpu_package() -> None:
    # https://github.com/microsoft/onnxruntime/issues/23736
    first = first_root(
        "UserWarning: Specified provider 'CUDAExecutionProvider' is not in available provider "
        "names.Available providers: 'AzureExecutionProvider, CPUExecutionProvider'\n"
    )
    assert (first.family, first.framework) == ("cpu-only-build", "onnxruntime")
    assert "onnxruntime-gpu" in first.fix
    # another provider (OpenVINO) missing is not about the GPU
    assert not triage_text(
        "UserWarning: Specified provider 'OpenVINOExecutionProvider' is not in available "
        "provider names.Available providers: 'AzureExecutionProvider, CPUExecutionProvider'\n"
    ).root_causes


def test_a_cudnn_sub_library_missing_a_symbol_is_a_cudnn_release_mix_not_glibc() -> None:
    # https://github.com/sunsmarterjie/yolov12/issues/40
    first = first_root(
        "python3: symbol lookup error: /home/anaconda3/envs/yolov12/lib/python3.11/site-packages/"
        "torch/lib/../../nvidia/cudnn/lib/libcudnn_cnn_infer.so.8: undefined symbol: "
        "_ZN15TracebackLoggerC1EPKc, version libcudnn_ops_infer.so.8\n"
    )
    assert (first.id, first.family) == ("loader.undefined-symbol.cudnn", "cudnn-version")
    # PyTorch's own C++ symbol: an extension built for another torch
    # https://github.com/facebookresearch/goliath/issues/23
    torch_abi = first_root(
        "/home/guoyang/GMS/gaussian-mesh-splatting/extensions/sgutils/sgutilslib.cpython-38-"
        "x86_64-linux-gnu.so: undefined symbol: _ZN3c104cuda9SetDeviceEi\n"
    )
    assert (torch_abi.id, torch_abi.family) == ("loader.undefined-symbol.torch", "wheel")
    # a symbol missing from another library stays the generic ABI reading
    # https://github.com/open-mmlab/mmdetection/issues/3974
    other = first_root(
        "ImportError: /home/yy18dlz/opt/anaconda3/envs/open-mmlab/lib/python3.7/site-packages/"
        "mmcv/_ext.cpython-37m-x86_64-linux-gnu.so: undefined symbol: cudaSetupArgument\n"
    )
    assert other.family == "glibc-abi"


def test_generic_entries_read_a_line_whatever_order_their_needles_come_in() -> None:
    """TensorFlow's generic load failure quotes the loader's generic error: both read the
    line, and the one that starts first (TensorFlow's) is its message, whichever needle the
    prefilter reported first."""
    from gpusetup.logtriage import scan

    line = (
        "2026-03-05 10:11:12.000002: W external/local_xla/xla/tsl/platform/default/"
        "dso_loader.cc:64] Could not load dynamic library 'libcusolver.so.11'; dlerror: "
        "libnvJitLink.so.12: cannot open shared object file: No such file or directory"
    )
    lines = scan.split_lines(line, 1)
    needles = ["could not load dynamic library", "cannot open shared object file"]
    for order in (needles, needles[::-1]):
        found = scan._read_entries(lines, 0, order, None)
        first = min(found, key=lambda r: r[0])
        assert first[1].id == "tf.dso.dlopen-failed", [r[1].id for r in found]


# NVRM's "not supported by the NVIDIA X driver release" (osapi.c's format), judged by the
# architecture of the PCI id it names (checks/data/architectures.toml)
UNSUPPORTED = (
    "[    5.104233] NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:{device})\n"
    "               NVRM: installed in this system is not supported by the\n"
    "               NVRM: NVIDIA {driver} driver release.\n"
)


def test_a_gpu_newer_than_the_driver_it_is_not_supported_by_is_the_driver_too_old() -> None:
    first = first_root(UNSUPPORTED.format(device="2b85", driver="550.54.14"))
    assert first.family == "driver-too-old"
    assert "Blackwell" in first.diagnosis and "570.26" in first.diagnosis
    assert "R570" in first.fix and "open kernel modules" in first.fix


def test_a_gpu_older_than_the_driver_branch_needs_its_legacy_branch() -> None:
    first = first_root(UNSUPPORTED.format(device="102d", driver="535.104.05"))  # Tesla K80
    assert first.family == "kernel-module"
    assert "Kepler" in first.diagnosis and "R470" in first.fix


def test_a_gpu_of_an_architecture_the_branch_drives_is_a_device_it_does_not_list() -> None:
    # https://github.com/flatcar/Flatcar/issues/1283: a Tesla P40 vGPU on 535.104.05
    log = (ROOT / "tests/data/logs/real/dmesg-flatcar-p40-vgpu-not-supported-535.log").read_text()
    first = first_root(log)
    assert first.family == "kernel-module" and "Pascal" in first.diagnosis
    assert "vGPU" in first.fix


def test_a_gpu_a_legacy_branch_supports_names_that_branch() -> None:
    # https://github.com/NixOS/nixos-hardware/issues/1828
    log = (ROOT / "tests/data/logs/real/nixos-gtx1050-595-legacy-580-ignored.log").read_text()
    first = first_root(log)
    assert first.id == "nvrm.legacy-gpu" and first.family == "kernel-module"
    assert first.facts["branch"] == "580" and first.facts["driver"] == "595.58.03"
    assert "legacy_580" in first.fix


def test_an_ngc_banner_that_wraps_its_driver_check_is_read_across_the_wrap() -> None:
    # the NGC entrypoint's own wording, as it prints it (two lines)
    first = first_root(
        "ERROR: This container was built for NVIDIA Driver Release 450.51 or later, but\n"
        "       version 410.78 was detected and compatibility mode is UNAVAILABLE.\n"
    )
    assert first.id == "ngc.driver-too-old" and first.family == "driver-too-old"
    assert (first.facts["version"], first.facts["driver"]) == ("450.51", "410.78")


@pytest.mark.parametrize(
    "line",
    [
        "Could not load library libcudnn_cnn_infer.so.8",  # the dispatcher's line, cut
        "Could not load library libcudnn_cnn_infer.so.8. NULL Error",  # cuDNN 8's other form
    ],
)
def test_cudnn_8s_dispatcher_without_a_loader_error_is_still_a_missing_sub_library(line) -> None:
    first = first_root(line + "\n")
    assert first.family == "cudnn-missing" and first.facts["soname"] == "libcudnn_cnn_infer.so.8"


def test_pytorchs_cudamallocasync_out_of_memory_is_out_of_memory() -> None:
    # c10/cuda/CUDAMallocAsyncAllocator.cpp's wording, as torch.OutOfMemoryError prints it
    first = first_root(
        "torch.OutOfMemoryError: Allocation on device 0 would exceed allowed memory. "
        "(out of memory)\nCurrently allocated     : 21.55 GiB\n"
    )
    assert first.family == "out-of-memory" and first.facts["ordinal"] == "0"


@pytest.mark.parametrize(
    ("shown", "wanted", "have"),
    [
        ("Cuda compilation tools, release 12.2, V12.2.140", "libcublas.so.11", "12.2"),
        ("export LD_LIBRARY_PATH=/usr/local/cuda-12.1/lib64", "libcudart.so.11.0", "12.1"),
        ("nvidia-cublas-cu12        12.1.3.1", "libcublasLt.so.11", "12"),
        (
            r"C:\Program Files\NVIDIA GPU Computing Toolkit\CUDA\v11.2\bin",
            "cudart64_101.dll",
            "11.2",
        ),
    ],
)
def test_a_cuda_library_of_another_major_names_both_majors(
    shown: str, wanted: str, have: str
) -> None:
    log = (
        f"{shown}\nW tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not "
        f"load dynamic library '{wanted}'; dlerror: {wanted}: cannot open shared object file: "
        "No such file or directory\n"
    )
    first = triage_text(log).root_causes[0]
    major = "10" if wanted.endswith("101.dll") else "11"
    # a build for another CUDA major than the log shows installed: the package's build
    assert first.family == "wheel"
    assert f"is CUDA {major}'s; the log shows CUDA {have} installed" in first.diagnosis
    assert first.fix.startswith(f"Install the build of the package made for CUDA {have[:2]}")
    assert f"install the CUDA {major} runtime libraries" in first.fix


@pytest.mark.parametrize("wanted", ["libcufft.so.10", "libcurand.so.10", "libcusolver.so.11"])
def test_a_library_numbered_on_its_own_is_not_judged_by_cuda_major(wanted: str) -> None:
    # cuFFT 10 and cuRAND 10 ship with CUDA 11 and 12, cuSOLVER 11 with CUDA 11: their
    # soname major is not CUDA's
    log = (
        "Cuda compilation tools, release 12.2, V12.2.140\n"
        f"Could not load dynamic library '{wanted}'; dlerror: {wanted}: cannot open shared "
        "object file: No such file or directory\n"
    )
    first = triage_text(log).root_causes[0]
    assert first.family == "library-missing"
    assert "the log shows CUDA" not in first.diagnosis


def test_a_cuda_library_numbered_by_an_old_cuda_release_is_judged() -> None:
    log = (
        "/usr/local/cuda-10.0/lib64\n"
        "ImportError: libcusolver.so.8.0: cannot open shared object file: No such file or "
        "directory\n"
    )
    assert triage_text(log).root_causes[0].family == "wheel"


_ORT_REQUIRE = (
    "[W:onnxruntime:Default, onnxruntime_pybind_state.cc:965 CreateExecutionProviderInstance] "
    "Failed to create CUDAExecutionProvider. Require cuDNN {cudnn}.* and CUDA {cuda}.*. Please "
    "install all dependencies as mentioned in the GPU requirements page\n"
)


@pytest.mark.parametrize(
    ("shown", "cudnn", "cuda", "family"),
    [
        ("/usr/lib/aarch64-linux-gnu/libcudnn.so.9.3.0", "8", "12", "cudnn-version"),
        ("Cuda compilation tools, release 11.7, V11.7.64", "9", "12", "wheel"),
        ("Cuda compilation tools, release 12.4, V12.4.131", "9", "12", "library-missing"),
        ("", "9", "12", "library-missing"),
    ],
)
def test_onnxruntime_build_requirement_is_read_against_what_the_log_shows(
    shown: str, cudnn: str, cuda: str, family: str
) -> None:
    log = (f"{shown}\n" if shown else "") + _ORT_REQUIRE.format(cudnn=cudnn, cuda=cuda)
    first = triage_text(log).root_causes[0]
    assert (first.id, first.family) == ("onnxruntime.require-cudnn-cuda", family)
    assert f"cuDNN {cudnn} and CUDA {cuda}" in first.diagnosis


def test_nvidia_smi_no_devices_as_another_user_is_permission() -> None:
    log = 'lxc exec c1 -- su ubuntu -c "nvidia-smi"\nNo devices were found\n'
    first = triage_text(log).root_causes[0]
    assert first.family == "permission"
    assert "su ubuntu -c" in first.diagnosis and "/dev/nvidia*" in first.fix
    alone = triage_text("nvidia-smi\nNo devices were found\n").root_causes[0]
    assert alone.family == "kernel-module"


def test_nvidia_docker_1_image_newer_than_the_driver_is_driver_too_old() -> None:
    log = (
        "nvidia-docker | 2016/06/07 18:49:33 Error: unsupported CUDA version: driver 7.0 < "
        "image 7.5\n"
    )
    first = triage_text(log).root_causes[0]
    assert first.family == "driver-too-old"
    assert "CUDA 7.5" in first.diagnosis and "nvidia/cuda:7.0" in first.fix


def test_cudnn_bad_param_is_the_callers_error_not_a_root_cause() -> None:
    log = (
        "F tensorflow/stream_executor/cuda/cuda_dnn.cc:422] could not set cudnn tensor "
        "descriptor: CUDNN_STATUS_BAD_PARAM\n"
    )
    assert triage_text(log).root_causes == ()
    other = triage_text(log.replace("BAD_PARAM", "NOT_INITIALIZED")).root_causes
    assert other and other[0].family == "cudnn-init"


def test_nvidia_smi_cuda_version_is_not_an_installed_toolkit() -> None:
    log = (
        "| NVIDIA-SMI 535.54       Driver Version: 535.54       CUDA Version: 12.2     |\n"
        "Could not load dynamic library 'libcublas.so.11'; dlerror: libcublas.so.11: cannot "
        "open shared object file: No such file or directory\n"
    )
    first = triage_text(log).root_causes[0]
    assert first.family == "library-missing"
    assert "the log shows CUDA" not in first.diagnosis


@pytest.mark.parametrize(
    ("line", "family"),
    [
        ("RuntimeError: cuDNN error: CUDNN_STATUS_ALLOC_FAILED", "out-of-memory"),
        ("RuntimeError: cuDNN error: CUDNN_STATUS_ARCH_MISMATCH", "compute-capability"),
        ("RuntimeError: cuDNN error: CUDNN_STATUS_VERSION_MISMATCH", "cudnn-version"),
        (
            "E tensorflow/stream_executor/cuda/cuda_dnn.cc:329] Could not create cudnn handle: "
            "CUDNN_STATUS_ALLOC_FAILED",
            "out-of-memory",
        ),
        (
            "E tensorflow/stream_executor/cuda/cuda_blas.cc:238] failed to create cublas handle: "
            "CUBLAS_STATUS_ALLOC_FAILED",
            "out-of-memory",
        ),
        ("RuntimeError: cuDNN error: CUDNN_STATUS_INTERNAL_ERROR", "cudnn-init"),
    ],
)
def test_the_status_decides_the_family_of_a_cudnn_or_cublas_failure(line: str, family: str) -> None:
    assert triage_text(line + "\n").root_causes[0].family == family


_DIAGNOSTICS = (
    "E tensorflow/stream_executor/cuda/cuda_driver.cc:406] failed call to cuInit: "
    "CUDA_ERROR_NO_DEVICE\n"
    "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:165] hostname: node1\n"
    "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:189] libcuda reported version is: "
    "{client}\n"
    "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:369] driver version file contents: "
    '"""NVRM version: NVIDIA UNIX x86_64 Kernel Module  {module}  Tue Dec 19 23:51:45 PST 2017\n'
    "GCC version:  gcc version 5.4.0 20160609 (Ubuntu 5.4.0-6ubuntu1~16.04.6) \n"
    '"""\n'
)


def test_cuda_diagnostics_with_two_driver_versions_is_a_driver_mismatch() -> None:
    # the "kernel reported version" and "does not match DSO version" lines are cut off
    result = triage_text(_DIAGNOSTICS.format(client="384.90.0", module="384.111"))
    first = result.root_causes[0]
    assert first.family == "driver-mismatch"
    assert "384.90" in first.diagnosis and "384.111" in first.diagnosis
    assert "Reboot" in first.fix
    assert [r.id for r in result.root_causes] == [first.id]  # it explains cuInit's error


def test_cuda_diagnostics_with_one_driver_version_add_nothing() -> None:
    log = _DIAGNOSTICS.format(client="384.111.0", module="384.111")
    log += (
        "I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:193] kernel reported version is: "
        "384.111.0\n"
    )
    families = [r.family for r in triage_text(log).root_causes]
    assert "driver-mismatch" not in families


# --- context that names the cause: build architectures, GPU-less containers, old GPUs ------


def _first(text: str) -> tuple[str, str, str]:
    roots = triage_text(text).root_causes
    assert roots, text
    return roots[0].family, roots[0].diagnosis, roots[0].fix


def test_nvcc_names_the_first_toolkit_for_an_architecture_and_the_last_for_a_dropped_one() -> None:
    # lines as nvcc prints them (openpose#2053); the toolkit line as nvcc --version prints it
    family, said, fix = _first("nvcc fatal   : Unsupported gpu architecture 'compute_86'\n")
    assert family == "toolchain"
    assert "sm_86 (compute capability 8.6) needs CUDA 11.1 or newer" in said
    assert fix.startswith("Install CUDA 11.1 or newer") and 'TORCH_CUDA_ARCH_LIST="8.6"' in fix
    _, said, fix = _first(
        "Cuda compilation tools, release 12.4, V12.4.131\n"
        "nvcc fatal   : Unsupported gpu architecture 'compute_35'\n"
    )
    assert "dropped after CUDA 11.8" in said and "The log's CUDA is 12.4" in said
    assert fix.startswith("Build with CUDA 11.8 or older")
    # CUDA 12.9 added sm_103 and sm_121 (its features page), 13.0 renamed Thor's sm_101 to
    # sm_110 (nvcc 13.0 --list-gpu-arch lists compute_110 and no compute_101)
    _, said, _ = _first("nvcc fatal   : Unsupported gpu architecture 'compute_121'\n")
    assert "sm_121 (compute capability 12.1) needs CUDA 12.9 or newer" in said
    _, said, _ = _first("nvcc fatal   : Unsupported gpu architecture 'compute_110'\n")
    assert "sm_110 (compute capability 11.0) needs CUDA 13.0 or newer" in said
    _, said, _ = _first(
        "Cuda compilation tools, release 13.0, V13.0.88\n"
        "nvcc fatal   : Unsupported gpu architecture 'compute_101'\n"
    )
    assert "dropped after CUDA 12.9" in said


def test_a_container_run_without_a_gpu_flag_is_the_cause_of_its_no_driver_lines() -> None:
    error = (
        "E tensorflow/compiler/xla/stream_executor/cuda/cuda_driver.cc:267] failed call to "
        "cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\n"
    )
    family, said, fix = _first(
        "$ docker run -it tensorflow/tensorflow:latest-gpu python a.py\n" + error
    )
    assert family == "container"
    assert "line 1: $ docker run -it tensorflow/tensorflow:latest-gpu" in said
    assert "--gpus all" in fix and "NVIDIA Container Toolkit" in fix
    family, said, _ = _first(
        "$ docker run --gpus all -it tensorflow/tensorflow:latest-gpu\n" + error
    )
    assert "starts the container without" not in said
    # NVIDIA_VISIBLE_DEVICES=void hides every GPU from the toolkit
    family, said, _ = _first("$ docker run -e NVIDIA_VISIBLE_DEVICES=void img\n" + error)
    assert family == "container" and "NVIDIA_VISIBLE_DEVICES=void" in said


def test_a_gpu_that_the_logs_cuda_dropped_explains_no_cuda_capable_device() -> None:
    error = "RuntimeError: CUDA error: no CUDA-capable device is detected\n"
    family, said, fix = _first("GPU: NVIDIA GeForce GT 710, torch 2.1.0+cu121\n" + error)
    assert family == "compute-capability"
    assert "Kepler GPU (compute capability 3.5)" in said and "CUDA 11.x is the last" in said
    assert "CUDA 11 or older" in fix and "R470" in fix
    # a GPU the CUDA in use still supports: the device is hidden, not too old
    family, _, _ = _first("GPU: NVIDIA GeForce RTX 3090, torch 2.1.0+cu121\n" + error)
    assert family == "visibility"
    # Kepler 3.5 on CUDA 11: supported there, so not the verdict
    family, _, _ = _first(
        "Cuda compilation tools, release 11.4, V11.4.48\nGeForce GT 710\n" + error
    )
    assert family == "visibility"


def test_no_kernel_image_beside_a_listing_says_which_end_of_cudas_range_the_gpu_left() -> None:
    # synthetic listings in the form of real ones (an app's "System Info", collect_env)
    error = "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    family, said, fix = _first(
        "- **PyTorch:** 2.9.1+cu130\n- **GPU:** NVIDIA GeForce GTX 1080 Ti\n" + error
    )
    assert family == "compute-capability"
    assert "compute capability 6.1" in said and "2.9.1+cu130" in said
    assert "CUDA 12.9 or older" in fix and "sm_61" in fix
    family, said, fix = _first("torch 2.1.0+cu118\nGPU 0: NVIDIA GeForce RTX 5090\n" + error)
    assert family == "compute-capability"
    assert "needs CUDA 12.8 or newer" in said and "cu128" in fix
    # a GPU the build's CUDA compiles for: the program's own architecture list is at fault
    _, said, _ = _first("torch 2.1.0+cu121\nGPU 0: NVIDIA GeForce GTX 1080 Ti\n" + error)
    assert "6.1" not in said


def test_an_issue_forms_answers_are_read_with_their_questions() -> None:
    from gpusetup.logtriage.context import infer
    from gpusetup.parse.log import split_lines

    # synthetic, in the shape GitHub renders TensorFlow's issue form (tensorflow/tensorflow#85006's)
    form = "### TensorFlow version\n\n2.18.0\n\n### Python version\n\n3.11\n"
    ctx = infer(tuple(split_lines(form)))
    assert ctx.versions["tensorflow"].value == "2.18.0"
    assert ctx.versions["tensorflow"].line == 3
    assert ctx.versions["python"].value == "3.11"
    # a bold listing; a question with no answer below it reads nothing
    ctx = infer(tuple(split_lines("- **TensorFlow:** 2.17.1\n")))
    assert ctx.versions["tensorflow"].value == "2.17.1"
    assert "tensorflow" not in infer(tuple(split_lines("TensorFlow version\n\n\n\n2.1\n"))).versions


@pytest.mark.parametrize(
    ("name", "cc"),
    [
        ("NVIDIA GeForce GTX TITAN X", "5.2"),  # Maxwell, not the Kepler GTX TITAN
        ("GeForce GTX TITAN Black", "3.5"),
        ("NVIDIA GeForce GTX 1080 Ti", "6.1"),
        ("Tesla V100-SXM2-16GB", "7.0"),
        ("NVIDIA GeForce GTX 1650", None),  # Turing: still in every CUDA
        ("NVIDIA GeForce GTX 960M", "5.0"),
    ],
)
def test_gpu_names_give_the_architecture_the_name_tables_know(name: str, cc: str | None) -> None:
    from gpusetup.logtriage.catalogue import catalogue

    rows = catalogue().facts["legacy_gpu_names"]
    assert next((r["cc"] for r in rows if re.search(r["pattern"], name, re.I)), None) == cc


@pytest.mark.parametrize(
    "text",
    [
        # tensorflow/tensorflow#49107, jax-ml/jax#2594, jax-ml/jax#4059, commaai/openpilot#31708
        "tf.config.list_physical_devices('GPU')\n[PhysicalDevice(name='/physical_device:GPU:0', "
        "device_type='GPU')]\n",
        "import torch\ntorch.cuda.is_available()\n\nTrue\n",
        "torch.cuda.is_available()\nTrue\n",
        ">>> print(ort.get_available_providers())\n['TensorrtExecutionProvider', "
        "'CUDAExecutionProvider', 'AzureExecutionProvider', 'CPUExecutionProvider']\n",
        "jax.devices (1 total, 1 local): [CudaDevice(id=0)]\n",
    ],
)
def test_a_framework_check_that_shows_a_gpu_names_no_root_cause(text: str) -> None:
    assert triage_text(text).root_causes == ()


def test_a_framework_check_that_shows_no_gpu_is_read_through_the_cause_beside_it() -> None:
    # alone: the symptom stands, its diagnosis lists the causes in order
    family, said, _ = _first("tf.config.list_physical_devices('GPU')\n[]\n")
    assert family == "cpu-only-build" and "the likely causes, in order" in said
    # TF 2.16+ on Linux with "Cannot dlopen some GPU libraries": the libraries
    family, _, _ = _first(
        "W tensorflow/core/common_runtime/gpu/gpu_device.cc:2251] Cannot dlopen some GPU "
        "libraries. Please make sure the missing libraries mentioned above are installed "
        "properly.\nSkipping registering GPU devices...\n"
        "print(tf.config.list_physical_devices('GPU'))\n[]\n"
    )
    assert family == "library-missing"
    # the ONNX Runtime CPU package's list, unless its CUDA provider failed to load
    family, _, _ = _first(">>> ort.get_available_providers()\n['CPUExecutionProvider']\n")
    assert family == "cpu-only-build"


def test_nvcc_architecture_that_no_gpu_has_blames_the_build_list_not_the_toolkit() -> None:
    # mini-caffe#94: a CMake detection on CUDA 9.2 produced compute_92; nvcc 13.0 knows
    # compute_88 (--list-gpu-arch), and a number past the newest stays unjudged
    family, said, fix = _first("2>  nvcc fatal   : Unsupported gpu architecture 'compute_92'\n")
    assert family == "toolchain"
    assert said.startswith("compute_92 is no NVIDIA GPU architecture")
    assert "toolkit is older" not in said
    assert fix.startswith("Set the architecture list by hand")
    for real in ("compute_88", "compute_13", "compute_130"):
        _, said, _ = _first(f"nvcc fatal   : Unsupported gpu architecture '{real}'\n")
        assert "no NVIDIA GPU architecture" not in said, real


def test_conda_compilers_triplet_makes_the_fix_condas() -> None:
    # torch-linear-assignment#2 (conda-forge's ld); k2#100 (the older x86_64-conda_cos6 triplet)
    for ld in ("../../x86_64-conda-linux-gnu/bin/ld", "/env/x86_64-conda_cos6-linux-gnu/bin/ld"):
        family, _, fix = _first(f"{ld}: cannot find -lcudart: No such file or directory\n")
        assert family == "library-missing"
        assert fix.startswith("Install the CUDA development libraries into the environment"), fix


def _first_root(text: str) -> tuple[str, str]:
    root = triage_text(text).root_causes[0]
    return root.family, root.id


def test_apptainer_without_nv_is_the_containers() -> None:
    log = (
        '$ singularity exec tf.sif python -c "import tensorflow"\n'
        "W tensorflow/stream_executor/platform/default/dso_loader.cc:60] Could not load dynamic "
        "library 'libcuda.so.1'; dlerror: libcuda.so.1: cannot open shared object file: No such "
        "file or directory\n"
    )
    root = triage_text(log).root_causes[0]
    assert root.family == "container" and "--nv" in root.fix
    assert _first_root(log.replace("exec tf.sif", "exec --nv tf.sif"))[0] == "driver-missing"


def test_error_35_beside_no_driver_is_the_missing_driver() -> None:
    log = (
        "cudaGetDeviceCount returned 35\n"
        "-> CUDA driver version is insufficient for CUDA runtime version\n"
        "bash: nvidia-smi: command not found\n"
    )
    roots = triage_text(log).root_causes
    assert [r.family for r in roots] == ["driver-missing"]


def test_unraid_quoted_visible_devices_is_a_gpu_request() -> None:
    run = "docker run -d --runtime=nvidia -e 'NVIDIA_VISIBLE_DEVICES'='{}' img\n"
    fail = "RuntimeError: No CUDA GPUs are available\n"
    assert _first_root(run.format("void") + fail)[0] == "container"
    assert _first_root(run.format("all") + fail)[0] != "container"


def test_dev_nvidia_permission_and_missing_node() -> None:
    denied = "NVIDIA: could not open the device file /dev/nvidiactl (Permission denied).\n"
    assert _first_root(denied) == ("permission", "nvidia.device-file.open-denied")
    missing = "NVIDIA: could not open the device file /dev/nvidia0 (No such file or directory).\n"
    assert _first_root(missing)[0] == "kernel-module"
    assert _first_root("docker run --rm img\n" + missing)[0] == "container"


def test_application_compute_capability_minimums() -> None:
    lines = [
        # https://github.com/iperov/DeepFaceLab/issues/264
        "No CUDA device found with minimum required compute capability 3.5",
        # https://github.com/alicevision/Meshroom/issues/260
        "This program needs a CUDA-Enabled GPU (with at least compute capablility 2.0).",
        # https://github.com/bkainz/fetalReconstruction/issues/25
        "ERROR: no suitable devices with compute capability > 3.0 found that are available. "
        "exiting",
        # https://github.com/tambetm/simple_dqn/issues/50
        "RuntimeError: Device 0 does not have CUDA compute capability 3.0 or greater",
    ]
    for line in lines:
        root = triage_text(line + "\n").root_causes[0]
        assert (root.family, root.id) == ("compute-capability", "app.min-compute-capability")
    assert "3.5 or newer" in triage_text(lines[0] + "\n").root_causes[0].diagnosis
    # TensorFlow's own device line is not a minimum
    created = (
        "Created device /job:localhost/replica:0/task:0/device:GPU:0 with 3469 MB memory -> "
        "device: 0, name: NVIDIA GeForce RTX 3060, pci bus id: 0000:01:00.0, "
        "compute capability: 8.6\n"
    )
    assert all(r.family != "compute-capability" for r in triage_text(created).root_causes)


def test_ptxas_unknown_gpu_name_names_the_first_cuda_that_knows_it() -> None:
    # https://github.com/tensorflow/serving/issues/1821
    tf = (
        "2021-02-27 01:33:51.779607: W external/org_tensorflow/tensorflow/stream_executor/gpu/"
        "asm_compiler.cc:235] Your CUDA software stack is old. We fallback to the NVIDIA driver "
        "for some compilation. Update your CUDA version to get the best performance. The ptxas "
        "error was: ptxas fatal   : Value 'sm_86' is not defined for option 'gpu-name'\n"
    )
    root = triage_text(tf).root_causes[0]
    assert (root.family, root.id) == ("toolchain", "ptxas.gpu-name-not-defined")
    assert "CUDA 11.1 or newer" in root.diagnosis and root.fix.startswith("Install CUDA 11.1")
    # https://github.com/triton-lang/triton/issues/8539
    triton = "ptxas fatal   : Value 'sm_121a' is not defined for option 'gpu-name'\n"
    assert _first_root(triton) == ("toolchain", "ptxas.gpu-name-not-defined")


def test_every_shells_not_found_for_nvidia_smi_and_nvcc() -> None:
    for line in (
        "sh: 1: nvidia-smi: not found",  # dash
        "sh: nvidia-smi: not found",  # busybox ash
        "/bin/sh: nvidia-smi: command not found",
        "fish: Unknown command: nvidia-smi",
    ):
        assert _first_root(line + "\n") == ("driver-missing", "shell.no-nvidia-smi")
        # a container started without --gpus explains it
        assert _first_root("$ docker run --rm -it img bash\n" + line + "\n")[0] == "container"
    for line in ("/bin/sh: 1: nvcc: not found", "fish: Unknown command: nvcc"):
        assert _first_root(line + "\n") == ("toolchain", "shell.no-nvcc")
    assert not triage_text("fish: Unknown command: nvidia-smi-helper\n").root_causes


def test_stubs_directory_printed_alone_is_the_stub_library() -> None:
    for log in (
        "$ echo $LD_LIBRARY_PATH\n/usr/local/cuda/lib64/stubs:/usr/local/cuda/lib64\n",
        "$ printenv LD_LIBRARY_PATH\n/usr/lib:/usr/local/cuda/targets/x86_64-linux/lib/stubs\n",
        "LD_LIBRARY_PATH=/usr/local/cuda/targets/sbsa-linux/lib/stubs:/usr/lib\n",
    ):
        assert _first_root(log)[0] == "stub-library"
    # the linker's path may hold the stubs
    for log in (
        "LIBRARY_PATH=/usr/local/cuda/lib64/stubs\n",
        "LD_LIBRARY_PATH=/usr/local/cuda/lib64 LIBRARY_PATH=/usr/local/cuda/lib64/stubs\n",
        "$ echo $LIBRARY_PATH\n/usr/local/cuda/lib64/stubs\n",
    ):
        assert not triage_text(log).root_causes


def test_tensorflow_library_loads_retyped_keep_the_sonames_family() -> None:
    runtime = ("library-missing", "tf.dso.retyped")
    cases = {
        # https://github.com/floydhub/dl-docker/issues/27 (the issue's title)
        "Couldn't open CUDA library libcuda.so.1.": ("driver-missing", "tf.dso.retyped.libcuda"),
        # https://github.com/volotat/DiffMorph/issues/19
        "\"Could not load dynamic library 'cudart64_110.dll'\"": runtime,
        # https://github.com/neardws/Game-Theoretic-Deep-Reinforcement-Learning/issues/9
        "# Could not load dynamic library 'libcudart.so.11.0": runtime,
        "cannot open dynamic library cudnn64_8.dll": ("cudnn-missing", "tf.dso.retyped.cudnn"),
        "Cannot opened dynamic library 'libcublas.so.10'": runtime,
    }
    for line, want in cases.items():
        assert _first_root(line + "\n") == want, line
    # the canonical forms stay with their own entries
    canonical = (
        "W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic "
        "library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such "
        "file or directory\n"
    )
    assert [r.id for r in triage_text(canonical).root_causes] == ["tf.dso.dlopen-failed.cudnn"]
    old = (
        "I tensorflow/stream_executor/dso_loader.cc:105] Couldn't open CUDA library libcuda.so.1. "
        "LD_LIBRARY_PATH: /usr/local/cuda/lib64:/usr/local/cuda/extras/CUPTI/lib64:\n"
    )
    assert [r.id for r in triage_text(old).root_causes] == ["tf.dso.couldnt-open.libcuda"]
    assert not triage_text("successfully opened dynamic library libcudart.so.11.0\n").root_causes


# ---------------------------------------------------------------- notices that are the whole paste

_BFC = (
    "2020-09-24 21:35:23.363348: W tensorflow/core/common_runtime/bfc_allocator.cc:246] "
    "Allocator (GPU_0_bfc) ran out of memory trying to allocate 1.02GiB with freed_by_count=0. "
    "The caller indicates that this is not a failure, but may mean that there could be "
    "performance gains if more memory were available."
)


def test_allocator_notices_alone_are_out_of_memory() -> None:
    roots = triage_text(f"{_BFC}\n{_BFC.replace('1.02GiB', '1.11GiB')}\n").root_causes
    assert [(r.id, r.family) for r in roots] == [("tf.bfc.not-a-failure.alone", "out-of-memory")]
    assert "1.02GiB" in roots[0].diagnosis


def test_allocator_notice_beside_a_normal_start_stays_benign() -> None:
    start = (
        "2020-09-24 21:35:20.100000: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1402] "
        "Created TensorFlow device (/job:localhost/replica:0/task:0/device:GPU:0 with 9910 MB "
        "memory) -> physical GPU (device: 0, name: GeForce RTX 2080 Ti, pci bus id: "
        "0000:01:00.0, compute capability: 7.5)"
    )
    result = triage_text(f"{start}\n{_BFC}\nEpoch 1/10\n")
    assert result.root_causes == ()
    assert "tf.bfc.not-a-failure" in {i.id for i in result.items}


def test_alone_entries_are_never_scanned_for() -> None:
    alone = {e.id for e in catalogue().entries if e.alone_of}
    assert alone
    assert not alone & {e.id for es in catalogue().by_needle.values() for e in es}


def test_cuda_visible_devices_alone_asks_the_numbering_beside_a_start_is_benign() -> None:
    alone = triage_text(
        'export CUDA_DEVICE_ORDER="PCI_BUS_ID"\nexport CUDA_VISIBLE_DEVICES="5,6"\n'
    )
    assert [r.family for r in alone.root_causes] == ["visibility"]
    assert "5,6" in alone.root_causes[0].diagnosis
    run = (
        "CUDA_VISIBLE_DEVICES=0 python train.py\n"
        "2024-05-10 11:33:14.068255: I tensorflow/core/platform/cpu_feature_guard.cc:210] This "
        "TensorFlow binary is optimized to use available CPU instructions in "
        "performance-critical operations.\nEpoch 1/3\n"
    )
    assert triage_text(run).root_causes == ()


# ---------------------------------------------------------------- listings and found devices


def test_both_tensorflow_1x_packages_listed_is_the_cpu_build_unless_a_gpu_build() -> None:
    forge = (
        "tensorflow                1.10.0                   py36_0    conda-forge\n"
        "tensorflow-gpu            1.10.0               hf154084_0    defaults\n"
    )
    assert [r.family for r in triage_text(forge).root_causes] == ["cpu-only-build"]
    # Anaconda's defaults: tensorflow-gpu is a metapackage over the gpu_ build
    defaults = (
        "tensorflow                1.13.1          gpu_py36h3991807_0  \n"
        "tensorflow-base           1.13.1          gpu_py36h8d69cac_0  \n"
        "tensorflow-estimator      1.13.0                     py_0  \n"
        "tensorflow-gpu            1.13.1               h0d30ee6_0  \n"
    )
    assert triage_text(defaults).root_causes == ()


_FOUND = (
    "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1716] Found device 0 with properties: \n"
    "pciBusID: 0000:0d:00.0 name: GeForce RTX 3090 computeCapability: 8.6\n"
)


@pytest.mark.parametrize(
    ("cudart", "family"),
    [("libcudart.so.10.1", "compute-capability"), ("libcudart.so.11.0", None)],
)
def test_a_gpu_found_is_read_against_the_cuda_runtime_the_log_loads(
    cudart: str, family: str | None
) -> None:
    opened = (
        "I tensorflow/stream_executor/platform/default/dso_loader.cc:48] Successfully opened "
        f"dynamic library {cudart}\n"
    )
    roots = triage_text(opened + _FOUND).root_causes
    assert [r.family for r in roots] == ([family] if family else [])
    assert triage_text(_FOUND).root_causes == ()


def test_the_cuda_runtime_is_found_among_later_libraries_the_log_opens() -> None:
    opened = "".join(
        "I tensorflow/stream_executor/platform/default/dso_loader.cc:44] Successfully opened "
        f"dynamic library {soname}\n"
        for soname in ("libcuda.so.1", "libcudart.so.10.1", "libcublas.so.10")
    )
    roots = triage_text(opened + _FOUND).root_causes
    assert [r.family for r in roots] == ["compute-capability"]
    assert "libcudart.so.10.1" in roots[0].diagnosis


def test_a_listing_of_two_driver_releases_nvml_is_read_and_one_release_is_not() -> None:
    link = "lrwxrwxrwx 1 root root 26 Jul 29 07:59 libnvidia-ml.so.1 -> libnvidia-ml.so.525.105.17"
    link += "\n"
    own = "-rw-r--r-- 1 root root 1.8M Jul 25 08:32 libnvidia-ml.so.525.105.17\n"
    other = "-rw-r--r-- 1 root root 1.8M May 12  2022 libnvidia-ml.so.470.129.06\n"
    roots = triage_text(link + other + own).root_causes
    assert [r.family for r in roots] == ["driver-mismatch"]
    assert "470.129.06" in roots[0].diagnosis
    assert triage_text(link + own).root_causes == ()


def test_a_library_listing_of_copies_is_read_and_one_of_symlinks_is_not() -> None:
    copies = (
        "-rwxr-xr-x 1 ebuser ebuser  100366104 Aug 21  2020 libcudnn_adv_infer.so\n"
        "-rwxr-xr-x 1 ebuser ebuser  100366104 Aug 21  2020 libcudnn_adv_infer.so.8\n"
    )
    assert [r.family for r in triage_text(copies).root_causes] == ["library-symlink"]
    links = (
        "lrwxrwxrwx 1 root root        23 Aug 21  2020 libcudnn_adv_infer.so -> "
        "libcudnn_adv_infer.so.8\n"
        "-rwxr-xr-x 1 root root 100366104 Aug 21  2020 libcudnn_adv_infer.so.8\n"
    )
    assert triage_text(links).root_causes == ()


def test_cmake_cuda_check_names_the_host_compiler_its_nvcc_command_passes() -> None:
    log = (
        "CMake Error at /usr/share/cmake-3.18/Modules/CMakeTestCUDACompiler.cmake:52 (message):\n"
        '  The CUDA compiler\n\n    "/usr/local/cuda/bin/nvcc"\n\n'
        "  is not able to compile a simple test program.\n"
        "    /usr/local/cuda/bin/nvcc -forward-unknown-to-host-compiler -ccbin=/usr/bin/g++-10"
        "    -MD -x cu -c main.cu -o main.cu.o\n"
    )
    first = triage_text(log).root_causes[0]
    assert first.family == "toolchain"
    assert "-ccbin=/usr/bin/g++-10" in first.diagnosis


def test_nccl_shm_file_refused_is_permission_and_its_other_reasons_stay_nccl() -> None:
    # NCCL 2.22+'s ncclShmOpen wording (src/misc/shmutils.cc), the reason as strerror prints it
    line = (
        "node1:123:456 [0] misc/shmutils.cc:60 NCCL WARN Error: failed to create shared memory "
        "file /dev/shm/nccl-abc, error {} ({})\n"
    )
    refused = triage_text(line.format("Permission denied", 13)).root_causes[0]
    assert (refused.id, refused.family) == ("nccl.shm.permission", "permission")
    full = triage_text(line.format("No space left on device", 28)).root_causes[0]
    assert (full.id, full.family) == ("nccl.shm.file-failed", "nccl")
    assert "No space left on device" in full.diagnosis


def test_a_fact_the_diagnosis_already_states_is_not_said_again() -> None:
    # nvcc's own --version line and its refusal (as in the corpus's Blender and CUDA 8 cases)
    text = (
        "Cuda compilation tools, release 8.0, V8.0.61\n"
        "nvcc fatal   : Value 'sm_75' is not defined for option 'gpu-architecture'\n"
    )
    first = triage_text(text).root_causes[0]
    assert first.id == "nvcc.arch-not-defined"
    assert "needs CUDA 10.0 or newer" in first.diagnosis
    assert first.diagnosis.count("CUDA is 8.0") + first.diagnosis.count("names CUDA 8.0") == 1
    # the toolkit fix says all the entry's own fix said: not both
    assert first.fix.count("architecture") <= 1 and "Install CUDA 10.0 or newer" in first.fix


def test_a_release_the_program_says_it_supports_is_not_the_logs_cuda() -> None:
    # the real Blender 2.79 paste (blender279-cuda9-nvcc-sm75-not-defined): CUDA 9.1 is found,
    # 8.0 is what Blender names as supported
    path = ROOT / "tests/data/logs/real/blender279-cuda9-nvcc-sm75-not-defined.log"
    first = triage_text(path.read_text(encoding="utf-8")).root_causes[0]
    assert "CUDA is 8.0" not in first.diagnosis and "names CUDA 8.0" not in first.diagnosis


def test_pytorchs_driver_number_is_decoded_once() -> None:
    text = (
        "UserWarning: CUDA initialization: The NVIDIA driver on your system is too old"
        " (found version 10010).\n"
    )
    first = triage_text(text).root_causes[0]
    assert first.diagnosis.count("10010") == 2  # the decoded sentence and the quoted line
    assert "supports CUDA up to 10.1" in first.diagnosis


def test_a_cuda_version_above_the_drivers_own_is_named_forward_compatibility() -> None:
    # the real paste tests/data/logs/real/ct2-2080ti-470-forward-compatibility-non-supported-hw
    text = (
        "RuntimeError: CUDA failed with error forward compatibility was attempted on non"
        " supported HW\n\n"
        "NVIDIA-SMI 470.57.02    Driver Version: 470.57.02    CUDA Version: 12.1  \n"
    )
    first = triage_text(text).root_causes[0]
    assert first.family == "driver-too-old"
    assert "whose own CUDA is 11.4" in first.diagnosis
    assert "forward-compatibility libcuda (cuda-compat) is in use" in first.diagnosis
    assert "supports CUDA up to 12.1" not in first.diagnosis


def test_a_driver_without_a_cuda_version_is_read_in_the_release_table() -> None:
    from gpusetup.knowledge import cuda_table

    table = cuda_table()
    assert table.highest_cuda_for("375.20") == "8.0"
    assert table.highest_cuda_for("470.57.02") == "11.4"
    assert table.highest_cuda_for("535.104.05") == "12.2"
    assert table.highest_cuda_for("340.108") is None


def test_an_error_number_of_cuda_10_0_and_older_is_named_in_that_numbering() -> None:
    # the real Caffe paste tests/data/logs/real/caffe-30-vs-0-unknown-error-nvidia-modprobe
    text = (
        "F0528 22:26:23.117558 13844 syncedmem.hpp:18] Check failed: error == cudaSuccess"
        " (30 vs. 0) unknown error\n"
    )
    first = triage_text(text).root_causes[0]
    assert "CUDA error 30 (the numbering of CUDA 10.0 and older; 999 from CUDA 10.1)" in (
        first.diagnosis
    )
    # a time of day holding the old number is not the error code
    later = triage_text("12:30:45 RuntimeError: CUDA error: unknown error\n").root_causes[0]
    assert "CUDA error 999 is cudaErrorUnknown" in later.diagnosis


def test_tensorflows_mlir_v1_pass_is_not_a_gpu_name() -> None:
    # the line of the real paste conda-forge-tf-cuda120-libdevice-not-found-feedstock-paths
    from gpusetup.logtriage.context import _GPU_NAME

    line = "I0000 mlir_graph_optimization_pass.cc:401] MLIR V1 optimization pass is not enabled"
    assert _GPU_NAME.search(line) is None
    assert _GPU_NAME.search("a Tesla V100-SXM2-16GB and a T4").group("v") == "Tesla V100-SXM2-16GB"


def test_a_tfjs_node_gpu_log_gets_the_cuda_its_libtensorflow_wants() -> None:
    # lines of the real paste tests/data/logs/real/tfjs-node-gpu-libcublas90-registration-failed
    text = (
        "Registration of backend tensorflow failed\n"
        "Error: libcublas.so.9.0: cannot open shared object file: No such file or directory\n"
        "    at bindings (/home/eric/knn-tf/node_modules/bindings/bindings.js:81:44)\n"
        "    at /home/eric/knn-tf/node_modules/@tensorflow/tfjs-node-gpu/dist/index.js:46:60\n"
    )
    first = triage_text(text).root_causes[0]
    assert (first.family, first.framework) == ("library-missing", "tfjs")
    assert "tfjs-node-gpu" in first.diagnosis and "pip install" not in first.fix
    assert "CUDA 11.2 with cuDNN 8.1" in first.fix
    # the same line from a Python program keeps the Python fix
    python = triage_text(text.split("    at")[0]).root_causes[0]
    assert python.framework != "tfjs" and "tfjs" not in python.fix


PADDLE_CUDNN_WARNING = (
    "W1114 22:57:33.949204    32 device_context.h:397] WARNING: device: 0. The installed"
    " Paddle is compiled with CUDNN 8.1, but CUDNN version in your machine is 8.0, which may"
    " cause serious incompatible bug. Please recompile or reinstall Paddle with compatible"
    " CUDNN version.\n"
)


def test_a_cause_the_programs_own_self_check_shows_harmless_is_benign() -> None:
    # Paddle's cuDNN warning alone (https://github.com/PaddlePaddle/PaddleOCR/issues/997) is
    # the cause; beside paddle.utils.run_check()'s "works well" it did no harm in that run
    alone = first_root(PADDLE_CUDNN_WARNING)
    assert (alone.id, alone.family) == ("paddle.cudnn-older-than-build", "cudnn-version")
    assert "(8.0)" in alone.diagnosis and "(8.1)" in alone.diagnosis
    checked = triage_text(PADDLE_CUDNN_WARNING + "PaddlePaddle works well on 1 GPU.\n")
    assert checked.root_causes == ()


def test_a_load_failure_the_next_lines_glibc_error_explains_is_not_the_root_cause() -> None:
    # lines of a real Julia paste (CUDNN_jll on CentOS 7): the loader's reason follows
    lib = "/share/home/kong/.julia/artifacts/8e74/lib/libcudnn_cnn.so"
    result = triage_text(
        f'ERROR: LoadError: InitError: could not load library "{lib}"\n'
        f"/lib64/libm.so.6: version `GLIBC_2.27' not found (required by {lib})\n"
    )
    assert [i.family for i in result.root_causes] == ["glibc-abi"]
    assert "GLIBC_2.27" in result.root_causes[0].diagnosis


def test_a_cuda_release_a_message_asks_for_is_not_the_logs_cuda() -> None:
    from gpusetup.logtriage.context import infer
    from gpusetup.parse.log import split_lines

    # https://github.com/jax-ml/jax/issues/25718 (XLA's ptxas warning, line 3)
    asks = infer(tuple(split_lines("Please upgrade to CUDA 12.6.3 or newer.\n")))
    assert "cuda" not in asks.versions
    # nvcc --version's build line, as in the corpus's tfjs-node-gpu-419-libcudnn8-cuda124
    shows = infer(tuple(split_lines("Build cuda_12.4.r12.4/compiler.34097967_0\n")))
    assert shows.versions["cuda"].value == "12.4"


def test_a_glibc_too_old_is_said_with_the_systems_glibc_the_log_shows() -> None:
    # synthetic, in the form of tensorflow/tensorflow#3285's paste
    error = "ImportError: /lib64/libc.so.6: version `GLIBC_2.17' not found (required by x.so)\n"
    family, said, _ = _first("$ ldd --version\nldd (GNU libc) 2.12\n" + error)
    assert family == "glibc-abi" and "glibc 2.12 (line 2" in said
    family, said, _ = _first(
        "Linux mu01 2.6.32-358.el6.x86_64 #1 SMP Tue Jan 29 11:47:41 EST 2013 x86_64 x86_64 "
        "x86_64 GNU/Linux\n" + error
    )
    assert "RHEL/CentOS 6" in said and "glibc is 2.12" in said
    # a requirement is not the system's glibc
    _, said, _ = _first("this wheel needs glibc: 2.28 or newer\n" + error)
    assert "The log shows glibc" not in said

"""PyTorch's device listings read from text: ``torch.cuda.get_device_name(N)`` one-liners
with their answers, ``torch.cuda.get_device_properties(N)`` reprs, and the GPU, driver,
CUDA runtime and cuDNN lines of ``python -m torch.utils.collect_env``.

PyTorch numbers devices as CUDA does. collect_env's ``GPU models and configuration`` list
is ``nvidia-smi -L`` with the UUIDs taken out (torch/utils/collect_env.py,
``get_gpu_info``), so its numbers are nvidia-smi's.
"""

from __future__ import annotations

import re

from gpusetup.parse._text import Line, command_of, prepare
from gpusetup.parse.model import CONTEXT, CUT, GpuRecord, Library, Reading, ReadingBuilder

KIND = "torch-devices"

_GET_NAME = re.compile(r"get_device_name\(\s*(?P<idx>\d{1,12})\s*\)")
_PROPERTIES = re.compile(
    r"_?CudaDeviceProperties\(name='(?P<name>[^']*)', major=(?P<major>\d{1,12}), "
    r"minor=(?P<minor>\d{1,12}), "
    r"total_memory=(?P<mb>\d{1,12})MB"
)
_GPU_MODELS = re.compile(r"^\s*GPU models and configuration:\s*(?P<rest>.*)$")
_GPU_LINE = re.compile(r"^\s*GPU (?P<idx>\d{1,12}):(?P<name>.*)$")
_DRIVER = re.compile(r"^\s*Nvidia driver version:\s*(?P<v>\d{1,12}\.\d{1,12}(?:\.\d{1,12})?)")
_RUNTIME = re.compile(r"^\s*CUDA runtime version:\s*(?P<v>\d{1,12}\.\d{1,12}(?:\.\d{1,12})?)")
_CUDNN = re.compile(r"^\s*cuDNN version:\s*(?P<rest>.*)$")
_CUDNN_PATH = re.compile(
    r"^\s*(?P<path>/\S*/(?P<name>libcudnn[\w]*\.so\.(?P<v>\d{1,12}(?:\.\d{1,12})*)))\s*$"
)
_KEY = re.compile(r"^[A-Z][\w ./()-]*:\s")


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    asked: int | None = None  # the index a get_device_name(N) command asked for
    section = None  # "gpus" | "cudnn" while a collect_env list runs
    cudnn_paths: list[Library] = []
    collect_env = finished = False  # collect_env ends with "Versions of relevant libraries"
    for line in lines:
        text = line.text
        if re.match(r"^\s*PyTorch version:", text):
            collect_env = True
        if re.match(r"^\s*Versions of relevant libraries:", text):
            finished = True
        command = command_of(text)
        if command is not None:
            wanted = _GET_NAME.search(command)
            asked = int(wanted["idx"]) if wanted else None
            section = None
            props = _PROPERTIES.search(command)
            if not props:
                continue
        props = _PROPERTIES.search(text)
        if props:
            out.gpus.append(
                GpuRecord(
                    line.number,
                    index=asked,
                    name=props["name"],
                    compute_capability=f"{props['major']}.{props['minor']}",
                    memory_mib=int(props["mb"]),
                )
            )
            asked = None
            continue
        if asked is not None and text.strip():
            out.gpus.append(GpuRecord(line.number, index=asked, name=text.strip().strip("'\"")))
            asked = None
            continue
        models = _GPU_MODELS.match(text)
        if models:
            section = "gpus"
            out.note(
                CONTEXT,
                "collect_env lists the GPUs of nvidia-smi -L: these numbers are nvidia-smi's, "
                "not CUDA's",
                line.number,
            )
            rest = _GPU_LINE.match(models["rest"])
            if rest and rest["name"].strip():
                out.gpus.append(
                    GpuRecord(line.number, index=int(rest["idx"]), name=rest["name"].strip())
                )
            elif models["rest"].strip() and not models["rest"].strip().startswith("GPU"):
                out.gpus.append(GpuRecord(line.number, name=models["rest"].strip()))
            continue
        if section == "gpus":
            gpu = _GPU_LINE.match(text)
            if gpu and gpu["name"].strip():
                out.gpus.append(
                    GpuRecord(line.number, index=int(gpu["idx"]), name=gpu["name"].strip())
                )
                continue
            section = None
        driver = _DRIVER.match(text)
        if driver:
            out.set("driver_version", driver["v"], line.number)
            continue
        runtime = _RUNTIME.match(text)
        if runtime:
            out.set("runtime_version", runtime["v"], line.number)
            continue
        cudnn = _CUDNN.match(text)
        if cudnn:
            section = "cudnn"
            rest = cudnn["rest"].strip()
            single = _CUDNN_PATH.match(rest)
            if single:
                cudnn_paths.append(Library(line.number, single["name"], path=single["path"]))
            elif re.fullmatch(r"\d{1,12}\.\d{1,12}\.\d{1,12}", rest):
                out.set("cudnn_version", rest, line.number)
            continue
        if section == "cudnn":
            path = _CUDNN_PATH.match(text)
            if path:
                cudnn_paths.append(Library(line.number, path["name"], path=path["path"]))
                continue
            if _KEY.match(text) or not text.strip():
                section = None
    out.libraries.extend(cudnn_paths)
    _judge_cudnn(cudnn_paths, out)
    if collect_env and not finished:
        out.note(CUT, "collect_env's output ends before 'Versions of relevant libraries'")
    return out.build()


def _judge_cudnn(paths: list[Library], out: ReadingBuilder) -> None:
    """cuDNN's own library (libcudnn.so.X.Y.Z) in more than one major version: two
    generations side by side."""
    versions = {}
    for library in paths:
        match = re.fullmatch(r"libcudnn\.so\.(\d{1,12})\.(\d{1,12})\.(\d{1,12})", library.name)
        if match:
            versions[match[1]] = (".".join(match.groups()), library.line)
    if len(versions) > 1:
        shown = ", ".join(v for v, _ in versions.values())
        out.problem(
            "two-cudnn", f"cuDNN {shown} side by side", min(line for _, line in versions.values())
        )
    elif len(versions) == 1 and "cudnn_version" not in out.facts:
        version, line = next(iter(versions.values()))
        out.set("cudnn_version", version, line)

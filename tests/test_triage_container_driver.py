"""nvidia-container-cli's CUDA requirement judged with the driver the paste shows: the
image's CUDA named with its minimum driver, a driver branch installed with the package
manager read as the host's driver, an image tag (nvidia/cuda:9.2) not read as PyTorch's
device string (cuda:0). Lines are real (URLs beside them)."""

from __future__ import annotations

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import LogLine

# https://github.com/NVIDIA/nvidia-docker/issues/745 (cut at line boundaries)
_APT_390 = "sudo apt-get -y install nvidia-390 nvidia-modprobe"
_TOOLKIT = "sudo apt-get install -y nvidia-docker2"
_RUN = (
    "ubuntu@ip-172-31-27-85:~$ docker run --runtime=nvidia --rm "
    "nvidia/cuda:9.2-runtime-ubuntu18.04 nvidia-smi"
)
_REQUIREMENT = (
    "docker: Error response from daemon: OCI runtime create failed: container_linux.go:348: "
    'starting container process caused "process_linux.go:402: container init caused '
    '\\"process_linux.go:385: running prestart hook 1 caused \\\\\\"error running hook: exit '
    "status 1, stdout: , stderr: exec command: [/usr/bin/nvidia-container-cli --load-kmods "
    "configure --ldconfig=@/sbin/ldconfig.real --device=all --compute --utility "
    "--require=cuda>=9.2 --pid=2274 /var/lib/docker/overlay2/eb5819e645d925849e19c102df9ee0ff"
    "5273e16aa38a28b61531a653a4bd5b36/merged]\\\\\\\\nnvidia-container-cli: requirement error: "
    'unsatisfied condition: cuda >= 9.2\\\\\\\\n\\\\\\"\\"": unknown.'
)
# https://github.com/cubiq/ComfyUI_IPAdapter_plus/issues/592
_TORCH_DEVICE = "Device: cuda:0 NVIDIA GeForce RTX 3060 : cudaMallocAsync"


def _lines(*texts: str) -> tuple[LogLine, ...]:
    return tuple(LogLine(n, t) for n, t in enumerate(texts, 1))


def test_the_requirement_names_the_image_cuda_and_its_minimum_driver() -> None:
    root = triage_text("\n".join((_APT_390, _TOOLKIT, _RUN, _REQUIREMENT))).root_causes[0]
    assert root.family == "driver-too-old"
    assert root.facts["condition"] == "cuda >= 9.2"  # not the escaped newline after it
    assert "CUDA 9.2 needs driver 396.26 or newer" in root.diagnosis
    # the apt line's branch: the 390 branch's newest release supports CUDA 9.1
    assert "driver 390 (line 1)" in root.diagnosis and "up to 9.1" in root.diagnosis


def test_a_driver_branch_installed_by_the_package_manager_is_the_driver() -> None:
    assert infer(_lines(_APT_390)).driver.value == "390"
    assert infer(_lines("sudo apt install nvidia-driver-535")).driver.value == "535"
    # the container toolkit's packages name no driver
    assert infer(_lines(_TOOLKIT)).driver is None
    # an output's release wins over the package line
    smi = "| NVIDIA-SMI 390.48                 Driver Version: 390.48                    |"
    assert infer(_lines(_APT_390, smi)).driver.value == "390.48"


def test_an_image_tag_is_not_a_pytorch_device_string() -> None:
    assert infer(_lines(_RUN)).framework is None
    clue = infer(_lines(_TORCH_DEVICE)).framework
    assert clue is not None and clue.value == "pytorch"


# https://github.com/kcosta42/VQGAN-CLIP-Docker/issues/1 (its lines 1-2 and 11-13)
_COMPOSE_NO_DRIVER = """\
Creating vqgan-clip-docker_generate_run ... done
Traceback (most recent call last):
  File "/opt/conda/lib/python3.7/site-packages/torch/cuda/__init__.py", line 172, in _lazy_init
    torch._C._cuda_init()
RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx
"""  # noqa: E501 - verbatim paste


def test_no_driver_inside_a_compose_container_is_the_container_s() -> None:
    platform = infer(_lines(*_COMPOSE_NO_DRIVER.splitlines())).platform
    assert platform is not None and platform.value == "container" and platform.line == 1
    root = triage_text(_COMPOSE_NO_DRIVER).root_causes[0]
    assert root.family == "container"
    assert "--gpus all" in root.fix
    # the same lines without the compose line: a machine without a driver
    alone = triage_text(_COMPOSE_NO_DRIVER.split("\n", 1)[1]).root_causes[0]
    assert alone.family == "driver-missing"

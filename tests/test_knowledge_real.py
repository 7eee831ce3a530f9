"""The knowledge tables against real material: version lines users posted, the CUDA
toolkit on this machine, NVIDIA's CUDA 13 pip wheels installed with real pip, and the
doctor's advice and install's plan on simulated K80 and M60 machines against the recorded
PyPI JSON served over HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TESTS, base_env, load_machine, make_sysroot
from test_wheels import index, real_tensorflow_json  # noqa: F401 - the index fixture

from gpusetup.knowledge import read_toml
from gpusetup.probe.kernel import parse_version_line

OUTPUTS = TESTS / "data" / "outputs" / "real"


def _proc_version_cases() -> list[Path]:
    cases = []
    for meta in sorted(OUTPUTS.glob("*.toml")):
        if read_toml(meta).get("kind") == "proc-version":
            cases.append(meta)
    return cases


@pytest.mark.parametrize("meta", _proc_version_cases(), ids=lambda p: p.stem)
def test_real_version_lines(meta):
    case = read_toml(meta)
    assert case["source"].startswith("https://")
    line = parse_version_line(meta.with_suffix(".txt").read_text(encoding="utf-8"))
    expect = case["expect"]
    assert line.driver_version == expect.get("driver_version")
    assert line.kernel_module == expect.get("kernel_module")
    assert line.l4t_release == expect.get("l4t_release")


def test_the_corpus_has_a_jetson_and_an_open_module_line():
    kinds = {read_toml(m)["expect"].get("kernel_module") for m in _proc_version_cases()}
    assert {"l4t", "open"} <= kinds


# --- the CUDA toolkit here ---------------------------------------------------------------

CUDA = Path("/usr/local/cuda")


@pytest.mark.skipif(not (CUDA / "bin" / "ptxas").is_file(), reason="no CUDA toolkit here")
def test_toolkit_version_of_the_real_toolkit_here():
    """This machine's /usr/local/cuda is assembled from NVIDIA's pip wheels: no version.json,
    a dist-info per component. Both that and `ptxas --version` give the compiler's release."""
    from gpusetup.probe.libraries import _version_from_files, _version_from_ptxas

    ptxas = CUDA / "bin" / "ptxas"
    banner = subprocess.run(
        [str(ptxas), "--version"], capture_output=True, text=True, timeout=30
    ).stdout
    release = banner.rsplit(", V", 1)[1].split()[
        0
    ]  # "Cuda compilation tools, release 13.0, V13.0.88"
    assert _version_from_ptxas(str(ptxas), time.monotonic() + 30) == release
    if (CUDA / "dist-info").is_dir():
        assert _version_from_files(ptxas) == release


@pytest.mark.skipif(not (CUDA / "bin" / "ptxas").is_file(), reason="no CUDA toolkit here")
def test_ptxas_is_not_run_in_a_system_root(tmp_path):
    """In a system root (an image, --root) nothing found there is executed."""
    from gpusetup.probe.libraries import toolchain_versions

    root = tmp_path / "root"
    (root / "usr/local/cuda-13.0/bin").mkdir(parents=True)
    marker = tmp_path / "ran"
    script = root / "usr/local/cuda-13.0/bin/ptxas"
    script.write_text(f"#!/bin/sh\ntouch {marker}\necho 'release 13.0, V13.0.88'\n")
    script.chmod(0o755)
    assert toolchain_versions([str(script)], root, time.monotonic() + 10) == {}
    assert not marker.exists()


# --- NVIDIA's CUDA 13 pip wheels, installed for real ---------------------------------------

CU13_WHEELS = (
    "nvidia-cuda-runtime==13.0.96",
    "nvidia-cufile==1.15.1.6",
    "nvidia-nvtx==13.0.85",
    "nvidia-cuda-nvcc==13.0.88",
)


@pytest.fixture(scope="module")
def cu13_site(tmp_path_factory) -> Path:
    """site-packages with real CUDA 13 wheels from the package mirror: the toolkit packages
    drop the -cuXX suffix and share one directory, nvidia/cu13/lib."""
    target = tmp_path_factory.mktemp("cu13") / "site-packages"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target)]
        + list(CU13_WHEELS),
        capture_output=True,
        text=True,
        timeout=300,
        env=base_env(),
    )
    if proc.returncode != 0:
        pytest.skip(f"the CUDA 13 wheels are not installable here: {proc.stderr[-300:]}")
    return target


def test_cuda_13_pip_libraries_are_found_with_their_own_owners(cu13_site, monkeypatch):
    from gpusetup.knowledge import tensorflow_sonames
    from gpusetup.probe.libraries import pip_library_owners

    monkeypatch.setattr(sys, "path", [str(cu13_site)] + sys.path)
    dirs, files = pip_library_owners()
    lib = cu13_site / "nvidia" / "cu13" / "lib"
    assert (lib / "libcudart.so.13").is_file()
    # the soname table's CUDA 13 cudart is the file the wheel installs
    assert tensorflow_sonames().libraries["13"]["cudart"] == "libcudart.so.13"
    assert tensorflow_sonames().pip_packages["13"]["cudart"] == "nvidia-cuda-runtime"
    owners = dirs[str(lib)]
    assert "nvidia-cuda-runtime 13.0.96" in owners and "nvidia-cufile 1.15.1.6" in owners
    assert files[str(lib / "libcudart.so.13")] == "pip nvidia-cuda-runtime 13.0.96"
    assert files[str(lib / "libcufile.so.0")] == "pip nvidia-cufile 1.15.1.6"


def test_cuda_13_pip_ptxas_is_found_with_its_version(cu13_site, monkeypatch):
    """CUDA 13's nvidia-cuda-nvcc puts ptxas in nvidia/cu13/bin (not nvidia/cuda_nvcc); its
    release comes from the wheel's dist-info, without running it."""
    from gpusetup.probe.libraries import _version_from_files, find_toolchain, pip_library_owners

    monkeypatch.setattr(sys, "path", [str(cu13_site)] + sys.path)
    found = find_toolchain(Path("/"), {"PATH": ""}, pip_library_owners()[0])
    ptxas = cu13_site / "nvidia" / "cu13" / "bin" / "ptxas"
    assert found["ptxas"][0] == str(ptxas)
    assert _version_from_files(ptxas) == "13.0.88"


def test_the_kernel_probe_reads_a_jetson_version_file(tmp_path):
    from gpusetup.probe.kernel import probe_kernel

    source = OUTPUTS / "jetson-orin-nx-proc-version.txt"
    (tmp_path / "proc/driver/nvidia").mkdir(parents=True)
    (tmp_path / "proc/driver/nvidia/version").write_bytes(source.read_bytes())
    kernel = probe_kernel(tmp_path)
    assert (kernel.driver_version, kernel.kernel_module, kernel.l4t_release) == (
        None,
        "l4t",
        "35.3.1",
    )
    assert kernel.driver_version_line.startswith("NVRM version: NVIDIA UNIX Open Kernel Module")


# --- the doctor and install on simulated machines -----------------------------------------


def by_id(report: dict, check_id: str) -> list[dict]:
    return [f for f in report["findings"] if f["id"] == check_id]


@pytest.mark.parametrize(("machine", "newest"), [("k80", "2.14"), ("m60", "2.16")])
def test_doctor_names_the_newest_tensorflow_for_the_gpu(cli, machine, newest):
    report = cli("doctor", "--json", machine_file=machine).json()
    cc = by_id(report, "gpu.compute-capability")
    assert {f["status"] for f in cc} == {"fail"}
    assert all(f"TensorFlow {newest} " in f["fix"] for f in cc), cc
    assert {f["status"] for f in by_id(report, "driver.branch")} == {"pass"}


def test_doctor_on_a_k80_the_driver_left_out(cli, tmp_path):
    """R510 loaded, NVML sees no GPU; the PCI bus shows a K80 the driver ignores (as in
    https://github.com/charmed-kubernetes/kubernetes-docs/pull/647: "The 510.47.03 NVIDIA
    driver will ignore this GPU")."""
    root = make_sysroot(
        tmp_path,
        load_machine("k80-on-r510"),
        driver=None,
        modules=("nvidia",),
        kernel_version="510.47.03",
        extra_pci=[("0000:04:00.0", "0x102d", "0x030200")],
    )
    report = cli("doctor", "--json", machine_file="k80-on-r510", sysroot=root).json()
    branch = by_id(report, "driver.branch")
    assert [(f["status"], f["subject"]) for f in branch] == [("fail", "PCI 0000:04:00.0")]
    assert "Kepler" in branch[0]["title"] and "R470" in branch[0]["title"]


def _newer_findings(cli, tmp_path, machine: str, kernel_version: str) -> list[dict]:
    """doctor on a simulated machine whose PCI bus (the sysroot) shows the machine's
    pci_only GPUs beside the ones the fake NVML lists."""
    root = make_sysroot(tmp_path, load_machine(machine), kernel_version=kernel_version)
    report = cli("doctor", "--json", "--no-smoke", machine_file=machine, sysroot=root).json()
    return by_id(report, "driver.gpu-too-new")


def test_doctor_on_an_rtx_5090_that_r550_does_not_list(cli, tmp_path):
    found = _newer_findings(cli, tmp_path, "rtx5090-on-r550", "550.144.03")
    assert [(f["status"], f["subject"]) for f in found] == [("fail", "PCI 0000:01:00.0")]
    title, fix = found[0]["title"], found[0]["fix"]
    assert "(10de:2b85) at 0000:01:00.0" in title
    assert "Blackwell needs driver branch R570 or newer; this driver is R550 (550.144.03)" in title
    assert "570.26 or newer" in fix and "open kernel modules" in fix


def test_doctor_on_an_a100_listed_and_an_h100_left_out_on_r470(cli, tmp_path):
    found = _newer_findings(cli, tmp_path, "a100-h100-on-r470", "470.256.02")
    assert [(f["status"], f["subject"]) for f in found] == [("fail", "PCI 0000:af:00.0")]
    assert "Hopper needs driver branch R520" in found[0]["title"]


def test_doctor_on_a_blackwell_gpu_with_the_proprietary_module(cli, tmp_path):
    """make_sysroot writes the proprietary module's version line ("Kernel Module  580...")."""
    found = _newer_findings(cli, tmp_path, "rtx5090-proprietary-r580", "580.105.08")
    assert [f["status"] for f in found] == ["fail"]
    assert "need the open kernel modules; the proprietary one is loaded" in found[0]["title"]


@pytest.mark.parametrize(("machine", "kernel"), [("h100", "580.95.05"), ("mixed8", "470.256.02")])
def test_doctor_on_machines_whose_driver_lists_every_gpu_passes(cli, tmp_path, machine, kernel):
    found = _newer_findings(cli, tmp_path, machine, kernel)
    assert [(f["status"], f["title"]) for f in found] == [
        ("pass", "The driver lists every GPU on the PCI bus")
    ]


def _plan(cli, index, machine: str) -> dict:  # noqa: F811 - the fixture
    index.json("tensorflow", real_tensorflow_json())
    run = cli(
        "install",
        "tensorflow",
        "--dry-run",
        "--index-url",
        index.url,
        "--json",
        machine_file=machine,
    )
    assert run.returncode == 0, run.stderr
    return run.json()["choice"]


needs_311 = pytest.mark.skipif(
    not (3, 10) <= sys.version_info[:2] <= (3, 11), reason="TensorFlow 2.14 wheels: CPython <= 3.11"
)


@needs_311
def test_install_plans_2_14_for_a_k80_node(cli, index):  # noqa: F811
    choice = _plan(cli, index, "k80")
    assert choice["file"]["version"] == "2.14.1" and choice["extra"] == "and-cuda"
    reasons = {r["version"]: r["reason"] for r in choice["rejected"]}
    assert "compute capability 6.0" in reasons["2.17.1"]
    assert "compute capability 5.0" in reasons["2.16.2"]
    assert "compute capability 5.0" in reasons["2.15.1"]
    # the driver falls short too, and both are said
    assert "below CUDA 12.x's minimum 525.60.13" in reasons["2.16.2"]


@needs_311
def test_install_plans_2_16_for_a_maxwell_node(cli, index):  # noqa: F811
    choice = _plan(cli, index, "m60")
    assert choice["file"]["version"] == "2.16.2" and choice["extra"] == "and-cuda"
    reasons = {r["version"]: r["reason"] for r in choice["rejected"]}
    assert "its wheels need compute capability 6.0" in reasons["2.17.1"]
    assert "Tesla M60 (compute capability 5.2)" in reasons["2.17.1"]


def test_install_on_aarch64_says_the_wheel_is_cpu_only():
    """An aarch64 interpreter cannot run here, so its supported tags are made with
    packaging (as pip makes them there); the release files are the recorded PyPI JSON."""
    from packaging import tags

    from gpusetup.wheels.choose import MachineGpus, choose_tensorflow
    from gpusetup.wheels.compat import Interpreter
    from gpusetup.wheels.index import release_files

    platforms = [f"manylinux_2_{m}_aarch64" for m in range(39, 16, -1)] + [
        "manylinux2014_aarch64",
        "linux_aarch64",
    ]
    aarch64 = Interpreter(
        "/usr/bin/python3.11",
        "3.11.7",
        "cpython",
        "2.39",
        [str(t) for t in tags.cpython_tags((3, 11), platforms=platforms)],
    )
    h100 = MachineGpus("580.95.05", [("GPU 0 NVIDIA GH200 480GB", "9.0")])
    files, _ = release_files(real_tensorflow_json())
    choice = choose_tensorflow(files, aarch64, h100)
    assert choice.file.filename == "tensorflow-2.21.0-cp311-cp311-manylinux_2_27_aarch64.whl"
    assert choice.extra is None
    assert any("aarch64 wheels on PyPI are CPU-only" in r for r in choice.reasons)
    x86 = Interpreter(
        "/usr/bin/python3.11",
        "3.11.7",
        "cpython",
        "2.39",
        [str(t) for t in tags.cpython_tags((3, 11), platforms=["manylinux_2_27_x86_64"])],
    )
    assert choose_tensorflow(files, x86, h100).extra == "and-cuda"


def test_toolkit_version_json_names_the_compiler_release(tmp_path):
    """A runfile/deb toolkit carries version.json (CUDA 11.1 and later). No public copy with
    a citable address was found, so this one is written in its shape: "cuda" is the SDK
    (sometimes a date, "11.8.20220929"), "cuda_nvcc" the compiler that ptxas belongs to."""
    from gpusetup.probe.libraries import _version_from_files

    toolkit = tmp_path / "cuda-11.8"
    (toolkit / "bin").mkdir(parents=True)
    (toolkit / "bin" / "ptxas").write_bytes(b"")
    (toolkit / "version.json").write_text(
        '{\n   "cuda" : {\n      "name" : "CUDA SDK",\n      "version" : "11.8.20220929"\n   },\n'
        '   "cuda_nvcc" : {\n      "name" : "CUDA NVCC",\n      "version" : "11.8.89"\n   }\n}\n'
    )
    assert _version_from_files(toolkit / "bin" / "ptxas") == "11.8.89"
    (toolkit / "version.json").write_text("not json")
    assert _version_from_files(toolkit / "bin" / "ptxas") is None

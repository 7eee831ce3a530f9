"""`gpusetup triage` on this machine: logs combined with simulated machines and library
trees (this machine's verdicts, "already fixed here"), --elsewhere and the automatic
elsewhere mode, the JSON report (gpusetup.triage/2), and input of any size.

The engine itself is tested without the machine in test_logtriage.py, on real logs in
test_triage_corpus.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, TESTS, base_env, build_library

LOGS = TESTS / "data" / "logs"
REAL = LOGS / "real"


def root_causes(report: dict) -> list[str]:
    return [i["id"] for i in report["items"] if i["root_cause"]]


@pytest.mark.parametrize(
    ("log", "roots", "here", "diagnosis"),
    [
        (
            "tf215-cudnn8-missing.log",
            ["tf.dso.dlopen-failed.cudnn"],
            "libs.required",
            "libcudnn.so.8 belongs to cuDNN 8",
        ),
        (
            "tf221-nvjitlink.log",
            ["tf.dso.dlopen-failed"],
            "libs.required",
            "it needs libnvJitLink.so.12",
        ),
        ("nvidia-smi-mismatch.log", ["nvml.version-mismatch"], "driver.nvml", "580.95"),
        ("cuda-insufficient.log", ["cuda.err.insufficient-driver"], "driver.version", ""),
        (
            "cudnn-runtime-older.log",
            ["tf.cudnn.version-mismatch"],
            "libs.cudnn",
            "it was built with cuDNN 8.6.0. The loaded cuDNN is older",
        ),
        (
            "k80-ignored.log",
            ["tf.gpu.ignoring-device-cc"],
            "gpu.compute-capability",
            "compute capability 3.7",
        ),
        ("pip-cp34.log", ["pip.unsupported-wheel"], None, "CPython 3.4"),
        ("torch-no-driver.log", ["torch.no-driver"], "gpu.present", ""),
        (
            "tf1-importerror.log",
            ["loader.shared-object-missing"],
            "libs.required",
            "libcublas.so.9.0",
        ),
        ("tf-no-device.log", ["tf.cuda-diagnostics.kernel-driver-not-running"], "driver.nvml", ""),
    ],
)
def test_root_causes_and_the_checks_of_this_machine(cli, log, roots, here, diagnosis):
    run = cli("triage", str(LOGS / log), "--json", timeout=120)
    report = run.json()
    assert report["schema"] == "gpusetup.triage/2" and report["mode"] == "here"
    assert root_causes(report) == roots
    first = report["items"][0]
    assert first["diagnosis"] and first["fix"]
    if diagnosis:
        assert diagnosis in first["diagnosis"]
    if here:
        assert here in [f["id"] for f in first["here"]]
    # nothing is fixed on this machine (no GPU, no CUDA 12 libraries)
    assert run.returncode == 1
    assert report["still_broken"] is True


def test_symptoms_are_linked_to_their_cause(cli):
    report = cli("triage", str(LOGS / "tf221-nvjitlink.log"), "--json").json()
    symptoms = {i["id"]: i["explained_by"] for i in report["items"] if not i["root_cause"]}
    assert symptoms == {
        "tf.cudart-stub.no-cuda-drivers": ["tf.dso.dlopen-failed"],
        "tf.gpu.cannot-dlopen": ["tf.dso.dlopen-failed"],
    }
    cause = report["items"][0]
    assert cause["count"] == 2 and cause["line"] == 2
    assert cause["facts"]["dependency"] == "libnvJitLink.so.12"
    assert "nvidia-nvjitlink-cu12" in cause["fix"]
    console = " ".join(cli("triage", str(LOGS / "tf221-nvjitlink.log")).stdout.split())
    assert (
        "consequence: tf.gpu.cannot-dlopen (line 4) is explained by tf.dso.dlopen-failed" in console
    )


def test_already_fixed_on_this_machine(cli, cuda12_tree):
    run = cli(
        "triage",
        str(LOGS / "tf221-nvjitlink.log"),
        "--json",
        machine_file="h100",
        extra_lib_dirs=(cuda12_tree,),
    )
    report = run.json()
    assert run.returncode == 0 and report["still_broken"] is False
    assert report["items"][0]["fixed_here"] is True
    console = cli(
        "triage",
        str(LOGS / "tf221-nvjitlink.log"),
        machine_file="h100",
        extra_lib_dirs=(cuda12_tree,),
    )
    assert "already fixed on this machine" in console.stdout


def test_root_cause_behind_the_symptom_on_a_real_tree(cli, tmp_path):
    lib = tmp_path / "lib"
    build_library(
        lib, "libcusolver.so.11", filename="libcusolver.so.11.6.3.83", needed=["libnvJitLink.so.12"]
    )
    report = cli(
        "triage", str(LOGS / "tf221-nvjitlink.log"), "--json", extra_lib_dirs=(lib,)
    ).json()
    here = {f["subject"]: f for f in report["items"][0]["here"] if f["id"] == "libs.required"}
    assert here["libcusolver.so.11"]["title"] == (
        "libcusolver.so.11 fails because libnvJitLink.so.12 is missing"
    )
    assert "nvidia-nvjitlink-cu12" in here["libnvJitLink.so.12"]["fix"]


def test_nvml_failure_on_a_machine_with_the_toolkit_stub(cli, fake_driver_dir, tmp_path):
    stubs = tmp_path / "cuda/lib64/stubs"
    stubs.mkdir(parents=True)
    (stubs / "libnvidia-ml.so.1").write_bytes((fake_driver_dir / "libnvidia-ml.so.1").read_bytes())
    log = tmp_path / "nvml.log"
    log.write_text("$ nvidia-smi\nFailed to initialize NVML: Driver/library version mismatch\n")
    report = cli("triage", str(log), "--json", machine_file="stub", lib_dir=stubs).json()
    here = {f["id"]: f["status"] for f in report["items"][0]["here"]}
    assert here["driver.nvml-stub"] == "fail"


def test_elsewhere_probes_nothing_and_says_so(cli, cuda12_tree):
    # the machine would say "fixed here"; --elsewhere does not look at it
    run = cli(
        "triage",
        str(LOGS / "tf221-nvjitlink.log"),
        "--json",
        "--elsewhere",
        machine_file="h100",
        extra_lib_dirs=(cuda12_tree,),
    )
    report = run.json()
    assert report["mode"] == "elsewhere" and "--elsewhere" in report["elsewhere_reason"]
    assert all(i["here"] == [] and i["fixed_here"] is None for i in report["items"])
    assert report["items"][0]["diagnosis"] and report["items"][0]["fix"]
    assert run.returncode == 1


def test_a_log_from_native_windows_is_triaged_elsewhere_by_itself(cli):
    run = cli("triage", str(REAL / "tf21-windows-cuda101-dlls-missing-rtx2060.log"), "--json")
    report = run.json()
    assert report["mode"] == "elsewhere"
    assert report["platform"]["value"] == "windows"
    assert "native Windows" in report["elsewhere_reason"]
    first = report["items"][0]
    assert (first["family"], first["platform"], first["framework"]) == (
        "library-missing",
        "windows",
        "tensorflow",
    )
    assert "cudart64_101.dll" in first["diagnosis"] and "PATH" in first["fix"]
    console = cli("triage", str(REAL / "tf21-windows-cuda101-dlls-missing-rtx2060.log"))
    assert "not from this machine: it was not probed" in " ".join(console.stdout.split())


def test_unknown_text_says_nothing_matched(cli, tmp_path):
    log = tmp_path / "x.log"
    log.write_text("Epoch 1/10\n1875/1875 [==============================] - 3s 1ms/step\n")
    run = cli("triage", str(log))
    assert run.returncode == 0 and "gpusetup doctor" in run.stdout


def test_a_healthy_log_exits_0_and_lists_what_is_not_the_problem(cli):
    run = cli("triage", str(REAL / "healthy-tf24-rtx3070-graphics-device-mnist.log"))
    assert run.returncode == 0
    assert "not the problem:" in run.stdout


@pytest.mark.parametrize(
    "content", [b"", os.urandom(1 << 20), b"\x00" * 100000, b"\xff\xfe" * 50000 + b"\n" * 10]
)
def test_hostile_input_never_crashes(cli, tmp_path, content):
    log = tmp_path / "junk.log"
    log.write_bytes(content)
    run = cli("triage", str(log), "--json")
    assert run.returncode == 0 and root_causes(run.json()) == []


def test_a_50_megabyte_log_from_stdin(tmp_path):
    filler = b"2026-03-05 10:11:12.000000: I tensorflow/core/whatever.cc:1] step done, loss 0.42\n"
    middle = (LOGS / "k80-ignored.log").read_bytes()
    log = tmp_path / "big.log"
    with log.open("wb") as out:
        for half in range(2):
            out.write(filler * (25 * 2**20 // len(filler)))
            if half == 0:
                out.write(middle)
    assert log.stat().st_size > 50 * 10**6
    with log.open("rb") as stdin:
        proc = subprocess.run(
            [sys.executable, "-m", "gpusetup", "triage", "-", "--json"],
            stdin=stdin,
            capture_output=True,
            text=True,
            env=base_env(),
            cwd=ROOT,
            timeout=300,
        )
    assert proc.returncode == 1, proc.stderr
    assert '"id": "tf.gpu.ignoring-device-cc"' in proc.stdout


def test_a_message_no_check_can_judge_gets_the_catalogues_fix(cli):
    run = cli("triage", str(LOGS / "torch-oom.log"))
    assert "torch.out-of-memory" in run.stdout and "nvidia-smi" in run.stdout
    assert "this machine cannot tell" in run.stdout
    report = cli("triage", str(LOGS / "torch-oom.log"), "--json").json()
    assert report["items"][0]["fix"].startswith("Lower the batch size")


def test_the_loaders_error_inside_tensorflows_message_is_not_a_second_cause(cli):
    report = cli("triage", str(LOGS / "tf221-nvjitlink.log"), "--json").json()
    assert "loader.shared-object-missing" not in [i["id"] for i in report["items"]]

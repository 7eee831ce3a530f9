"""Triage: every pattern's example lines, a corpus of logs written from the public message
formats, logs combined with simulated machines and library trees, and hostile input."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from conftest import ROOT, TESTS, base_env, build_library

from gpusetup.tasks.triage import iter_lines, load_patterns, scan

LOGS = TESTS / "data" / "logs"


@pytest.mark.parametrize("pattern", load_patterns(), ids=lambda p: p.id)
def test_every_pattern_example_is_recognised(pattern):
    assert pattern.examples, f"{pattern.id} has no example line"
    for example in pattern.examples:
        matches, _ = scan(iter_lines(io.BytesIO(example.encode())))
        assert pattern.id in [m.pattern for m in matches], example


def root_causes(report: dict) -> list[str]:
    return [i["match"]["pattern"] for i in report["items"] if i["is_root_cause"]]


@pytest.mark.parametrize(
    ("log", "roots", "here", "diagnosis"),
    [
        (
            "tf215-cudnn8-missing.log",
            ["tf.dlopen-failed"],
            "libs.required",
            "cannot find libcudnn.so.8",
        ),
        ("tf221-nvjitlink.log", ["tf.dlopen-failed"], "libs.required", "needs libnvJitLink.so.12"),
        ("nvidia-smi-mismatch.log", ["nvml.version-mismatch"], "driver.nvml", ""),
        ("cuda-insufficient.log", ["cuda.driver-insufficient"], None, ""),
        (
            "cudnn-runtime-older.log",
            ["tf.cudnn-version-mismatch"],
            None,
            "older than the one TensorFlow was built with (8.6.0)",
        ),
        ("k80-ignored.log", ["tf.cc-too-low"], None, "Tesla K80 has compute capability 3.7"),
        ("pip-cp34.log", ["pip.unsupported-wheel"], None, "python mismatch: built for cp34"),
        ("torch-no-driver.log", ["torch.no-driver"], "gpu.present", ""),
        ("ansi-crlf-mixed.log", ["tf.dlopen-failed", "jax.cpu-jaxlib"], "libs.required", ""),
        ("tf1-importerror.log", ["loader.shared-object-missing"], "libs.required", ""),
        ("tf-no-device.log", ["cuda.no-device"], "gpu.present", ""),
    ],
)
def test_corpus_root_causes_and_checks_here(cli, log, roots, here, diagnosis):
    run = cli("triage", str(LOGS / log), "--json", timeout=120)
    report = run.json()
    assert root_causes(report) == roots
    first = report["items"][0]
    if diagnosis:
        assert diagnosis in first["diagnosis"]
    if here:
        assert here in [f["id"] for f in first["here"]]
    # nothing is fixed on this machine (no GPU, no CUDA 12 libraries)
    assert run.returncode == 1
    assert report["still_broken"] is True


def test_symptoms_are_linked_to_their_cause(cli):
    report = cli("triage", str(LOGS / "tf221-nvjitlink.log"), "--json").json()
    symptoms = {
        i["match"]["pattern"]: i["explained_by"] for i in report["items"] if not i["is_root_cause"]
    }
    assert symptoms == {
        "tf.no-cuda-drivers": ["tf.dlopen-failed"],
        "tf.cannot-dlopen": ["tf.dlopen-failed"],
    }
    cause = report["items"][0]
    assert cause["match"]["count"] == 2 and cause["match"]["line_number"] == 2
    console = cli("triage", str(LOGS / "tf221-nvjitlink.log"))
    assert (
        "consequence: tf.cannot-dlopen (line 4) is explained by tf.dlopen-failed" in console.stdout
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
    log.write_text("$ nvidia-smi\nFailed to initialize NVML: Unknown Error\n")
    report = cli("triage", str(log), "--json", machine_file="stub", lib_dir=stubs).json()
    here = {f["id"]: f["status"] for f in report["items"][0]["here"]}
    assert here["driver.nvml-stub"] == "fail"


def test_unknown_text_says_nothing_matched(cli, tmp_path):
    log = tmp_path / "x.log"
    log.write_text("Epoch 1/10\n1875/1875 [==============================] - 3s 1ms/step\n")
    run = cli("triage", str(log))
    assert run.returncode == 0 and "gpusetup doctor" in run.stdout


@pytest.mark.parametrize(
    "content", [b"", os.urandom(1 << 20), b"\x00" * 100000, b"\xff\xfe" * 50000 + b"\n" * 10]
)
def test_hostile_input_never_crashes(cli, tmp_path, content):
    log = tmp_path / "junk.log"
    log.write_bytes(content)
    run = cli("triage", str(log), "--json")
    assert run.returncode == 0 and run.json()["items"] == []


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
    assert '"pattern": "tf.cc-too-low"' in proc.stdout


def test_a_message_no_check_can_judge_gets_the_patterns_advice(cli):
    run = cli("triage", str(LOGS / "torch-oom.log"))
    assert "cuda.out-of-memory" in run.stdout and "nvidia-smi" in run.stdout
    assert "this machine cannot tell" in run.stdout
    report = cli("triage", str(LOGS / "torch-oom.log"), "--json").json()
    assert report["items"][0]["fix"].startswith("The GPU's memory is full")


def test_a_generic_pattern_does_not_double_a_specific_one(cli):
    report = cli("triage", str(LOGS / "tf221-nvjitlink.log"), "--json").json()
    assert "loader.shared-object-missing" not in [i["match"]["pattern"] for i in report["items"]]

"""The CLI against simulated drivers: the real pynvml binding loads a simulated
libnvidia-ml.so.1 through the real dynamic loader. Only the GPU itself is simulated."""

from __future__ import annotations

import json
import time

import pytest
from conftest import load_machine, make_sysroot


def by_id(report: dict, check_id: str) -> list[dict]:
    found = [f for f in report["findings"] if f["id"] == check_id]
    assert found, f"no finding {check_id}"
    return found


def flat(text: str) -> str:
    """Console text with its line wrapping undone."""
    return " ".join(text.split())


def status(report: dict, check_id: str) -> set[str]:
    return {f["status"] for f in by_id(report, check_id)}


def test_gpus_json_reproduces_the_8_gpu_machine_exactly(cli):
    run = cli("gpus", "--json", machine_file="mixed8")
    assert run.returncode == 0
    data = run.json()
    expected = load_machine("mixed8")
    assert data["driver_version"] == expected["driver_version"]
    assert data["cuda_driver_version"] == "11.4"
    got = [
        (g["index"], g["name"], g["uuid"], g["pci_bus_id"], g["compute_capability"])
        for g in data["gpus"]
    ]
    want = [
        (i, g["name"], g["uuid"], g["pci_bus_id"], g["compute_capability"])
        for i, g in enumerate(expected["gpus"])
    ]
    assert got == want
    assert data["gpus"][2]["pci_bus_id_normalised"] == "0000:3b:00.0"
    assert data["gpus"][2]["mig_current"] is False and data["gpus"][2]["mig_pending"] is True
    # the RTX 3090 answers NotSupported for the health counters: a value, not an error
    rtx = data["gpus"][7]
    assert rtx["errors"] == {}
    assert {"nvmlDeviceGetRemappedRows", "nvmlDeviceValidateInforom"} <= set(rtx["not_supported"])
    assert rtx["inforom_valid"] is None


def test_8_gpu_machine_k80_fails_cc_and_a100_fails_health(cli):
    run = cli("doctor", "--json", machine_file="mixed8")
    assert run.returncode == 1
    report = run.json()
    cc = by_id(report, "gpu.compute-capability")
    assert [(f["status"], f["subject"]) for f in cc] == [("fail", "GPU 0")]
    assert "Tesla K80" in cc[0]["title"] and "3.7" in cc[0]["title"] and "6.0" in cc[0]["title"]
    health = [f for f in by_id(report, "gpu.health") if f["status"] == "fail"]
    assert [(f["subject"], "row remapping pending" in f["title"]) for f in health] == [
        ("GPU 2", True)
    ]
    assert "nvidia-smi -r -i 2" in health[0]["fix"]
    mig = by_id(report, "gpu.mig-mode")
    assert [(f["status"], f["subject"]) for f in mig] == [("warn", "GPU 2")]
    persistence = by_id(report, "gpu.persistence-mode")[0]
    assert persistence["status"] == "warn" and persistence["evidence"]["off"] == [3]
    # driver 470 is below CUDA 12's floor: TensorFlow 2.21 cannot run
    version = by_id(report, "driver.version")[0]
    assert version["status"] == "fail" and "525.60.13" in version["detail"]


def test_h100_machine_with_matching_sysroot_and_libraries_passes(cli, tmp_path, cuda12_tree):
    root = make_sysroot(tmp_path, load_machine("h100"), kernel_version="580.95.05", toolkit=True)
    run = cli("doctor", "--json", machine_file="h100", sysroot=root, extra_lib_dirs=(cuda12_tree,))
    report = run.json()
    assert run.returncode == 0, [f for f in report["findings"] if f["status"] != "pass"]
    assert report["summary"]["fail"] == 0 and report["summary"]["warn"] == 0
    assert by_id(report, "driver.nvml")[0]["title"].startswith("Driver 580.95.05 answers")
    assert status(report, "driver.nouveau") == {"pass"}


def test_driver_library_present_module_not_loaded(cli, tmp_path):
    root = make_sysroot(tmp_path, load_machine("h100"), driver=None, nodes=False)
    run = cli("doctor", "--json", machine_file="not-loaded", sysroot=root)
    assert run.returncode == 1
    nvml = by_id(run.json(), "driver.nvml")[0]
    assert nvml["status"] == "fail"
    assert nvml["title"] == "The NVIDIA kernel module is not loaded"
    assert "NVMLError_DriverNotLoaded" in nvml["evidence"]["error"]
    assert "modprobe nvidia" in nvml["fix"]
    # the GPU is still seen, on the PCI bus
    assert status(run.json(), "gpu.present") == {"pass"}


def test_module_not_loaded_because_nouveau_holds_the_gpu(cli, tmp_path):
    root = make_sysroot(tmp_path, load_machine("h100"), driver="nouveau", nodes=False)
    report = cli("doctor", "--json", machine_file="not-loaded", sysroot=root).json()
    nouveau = by_id(report, "driver.nouveau")[0]
    assert nouveau["status"] == "fail" and "blacklist nouveau" in nouveau["fix"]
    nvml = by_id(report, "driver.nvml")[0]
    assert "nouveau holds 0000:3b:00.0" in nvml["detail"]


def test_library_and_kernel_module_mismatch(cli, tmp_path):
    root = make_sysroot(tmp_path, load_machine("h100"), kernel_version="580.105.08")
    report = cli("doctor", "--json", machine_file="mismatch", sysroot=root).json()
    nvml = by_id(report, "driver.nvml")[0]
    assert nvml["status"] == "fail"
    assert "mismatch" in nvml["title"]
    assert "580.105.08" in nvml["detail"]
    assert "Reboot" in nvml["fix"]
    # checks that need NVML skip instead of piling on
    assert status(report, "gpu.compute-capability") == {"skip"}


def test_no_permission_names_the_device_nodes(cli):
    report = cli("doctor", "--json", machine_file="no-permission").json()
    nvml = by_id(report, "driver.nvml")[0]
    assert nvml["status"] == "fail" and "/dev/nvidia" in nvml["fix"]


def test_gpu_lost_on_one_call(cli):
    run = cli("doctor", "--json", machine_file="lost")
    report = run.json()
    assert run.returncode == 1
    lost = by_id(report, "gpu.nvml-query")
    assert [(f["status"], f["subject"]) for f in lost] == [("fail", "GPU 1")]
    assert "lost" in lost[0]["title"]
    assert lost[0]["evidence"] == {"nvmlDeviceGetName": "NVMLError_GpuIsLost (15)"}
    # the other answers from that GPU are kept
    gpu1 = report["facts"]["nvml"]["gpus"][1]
    assert gpu1["uuid"] == "GPU-9d3a5f5e-6b1c-4a8e-9a41-3c2f0e7b8d22" and gpu1["name"] is None


def test_an_entry_point_the_driver_lacks_is_not_supported_not_a_failure(cli):
    """The simulated libnvidia-ml is built without two entry points (a linker version
    script), so the real pynvml raises FunctionNotFound through its own symbol lookup."""
    run = cli("doctor", "--json", "--no-smoke", machine_file="old-driver")
    report = run.json()
    lacking = ["nvmlDeviceGetRemappedRows", "nvmlDeviceGetRetiredPages"]
    for gpu in report["facts"]["nvml"]["gpus"]:
        assert gpu["errors"] == {}
        assert sorted(gpu["not_in_driver"]) == lacking
        assert gpu["remapped_rows"] is None and gpu["retired_pages"] is None
    query = by_id(report, "gpu.nvml-query")
    assert [f["status"] for f in query] == ["pass"]
    assert (
        "this driver's NVML lacks nvmlDeviceGetRemappedRows, nvmlDeviceGetRetiredPages"
        in (query[0]["title"])
    )
    health = by_id(report, "gpu.health")
    assert [f["status"] for f in health] == ["pass"]
    assert "clean" not in health[0]["title"]
    assert "retired pages, row remapping (not in this driver's NVML)" in health[0]["title"]
    assert set(health[0]["evidence"]["not read"]) == {
        "GPU 0 (Tesla V100-SXM2-16GB, 0000:1a:00.0)",
        "GPU 1 (Tesla V100-SXM2-16GB, 0000:1b:00.0)",
    }
    assert "newer driver" in health[0]["fix"]
    # the one real failure on this machine is the driver's age, not the GPUs
    assert {f["id"] for f in report["findings"] if f["status"] == "fail"} >= {"driver.version"}
    assert not [
        f for f in report["findings"] if f["id"].startswith("gpu.") and f["status"] == "fail"
    ]


def test_health_names_the_counters_a_gpu_does_not_support(cli):
    """An H100 does not retire pages (it remaps rows): not read, so not called clean."""
    health = by_id(cli("doctor", "--json", "--no-smoke", machine_file="h100").json(), "gpu.health")
    assert [f["status"] for f in health] == ["pass"]
    assert health[0]["title"] == (
        "No memory health problem in the counters read; not read: retired pages, "
        "retirement pending (not supported by this GPU)"
    )


def test_a_hung_driver_call_ends_at_the_deadline_as_a_finding(cli):
    started = time.monotonic()
    run = cli("doctor", "--json", machine_file="hang", GPUSETUP_NVML_TIMEOUT="2", timeout=30)
    elapsed = time.monotonic() - started
    assert elapsed < 8, f"took {elapsed:.1f} s with a 2 s deadline"
    assert run.returncode == 1
    report = run.json()
    nvml = by_id(report, "driver.nvml")[0]
    assert nvml["status"] == "fail"
    assert nvml["title"] == "NVML call nvmlDeviceGetUUID on GPU 1 did not return within 2 s"
    # GPU 0, answered before the hang, is kept
    assert [g["uuid"] for g in report["facts"]["nvml"]["gpus"]] == [
        "GPU-9d3a5f5e-6b1c-4a8e-9a41-3c2f0e7b8d11"
    ]


def test_toolkit_stub_library_is_detected(cli, fake_driver_dir, tmp_path):
    # The simulated library placed in a toolkit-style stubs/ directory; the check reads the
    # path the loader mapped, whatever error the stub answers with.
    stubs = tmp_path / "cuda-12.5/targets/x86_64-linux/lib/stubs"
    stubs.mkdir(parents=True)
    (stubs / "libnvidia-ml.so.1").write_bytes((fake_driver_dir / "libnvidia-ml.so.1").read_bytes())
    report = cli("doctor", "--json", machine_file="stub", lib_dir=stubs).json()
    stub = by_id(report, "driver.nvml-stub")[0]
    assert stub["status"] == "fail"
    assert str(stubs) in stub["fix"]
    assert status(report, "driver.nvml") == {"skip"}


def test_gpu_on_pci_but_no_driver_library(cli, tmp_path):
    lib = pytest.importorskip("ctypes.util").find_library("nvidia-ml")
    if lib:
        pytest.skip(f"this machine has a real NVML library ({lib})")
    root = make_sysroot(tmp_path, load_machine("h100"), driver=None, nodes=False)
    run = cli("doctor", "--json", sysroot=root)
    report = run.json()
    assert run.returncode == 1
    nvml = by_id(report, "driver.nvml")[0]
    assert nvml["title"] == "The NVIDIA driver is not installed"
    assert "ubuntu-drivers" in nvml["fix"]
    run = cli("gpus", sysroot=root)
    assert "0000:3b:00.0" in run.stdout and "none" in run.stdout


@pytest.mark.parametrize(
    ("value", "expected_status", "title_part"),
    [
        ("", "fail", "every GPU is hidden"),
        ("GPU-1f2e3d4c-0007", "pass", "shows 1 of 8"),
        ("GPU-1f2e3d4c-00", "fail", "matches 8 GPUs"),
        ("GPU-deadbeef", "fail", "matches no GPU"),
        ("0,9,1", "warn", "'9' is not an ordinal"),
        ("2,0", "pass", "shows 2 of 8"),
    ],
)
def test_cuda_visible_devices(cli, value, expected_status, title_part):
    report = cli("doctor", "--json", machine_file="mixed8", CUDA_VISIBLE_DEVICES=value).json()
    finding = by_id(report, "env.cuda-visible-devices")[0]
    assert finding["status"] == expected_status
    assert title_part in finding["title"]


def test_risky_cuda_variables_warn(cli):
    report = cli("doctor", "--json", machine_file="h100", CUDA_INJECTION64_PATH="/opt/x.so").json()
    finding = by_id(report, "env.cuda-debug-variables")[0]
    assert finding["status"] == "warn" and finding["fix"] == "unset CUDA_INJECTION64_PATH"


def test_profile_can_lower_the_cc_minimum_and_silence_persistence(cli, tmp_path):
    profile = tmp_path / "old-gpus.toml"
    profile.write_text(
        '[gpu]\nmin_compute_capability = "3.0"\n[checks]\npersistence_mode = "off"\n'
    )
    report = cli("doctor", "--json", "--profile", str(profile), machine_file="mixed8").json()
    assert status(report, "gpu.compute-capability") == {"pass"}
    assert status(report, "gpu.persistence-mode") == {"skip"}
    assert report["profile"] == "old-gpus"


def test_collect_then_doctor_from_gives_the_same_findings(cli, tmp_path):
    facts = tmp_path / "facts.json"
    run = cli("collect", "-o", str(facts), machine_file="mixed8")
    assert run.returncode == 0 and facts.exists()
    live = cli("doctor", "--json", machine_file="mixed8").json()
    # replayed without the simulated driver: nothing is probed
    replay = cli("doctor", "--json", "--from", str(facts))
    assert replay.returncode == 1
    assert replay.json()["findings"] == live["findings"]
    assert json.loads(facts.read_text())["schema"] == "gpusetup.facts/1"


def test_doctor_from_collect_gives_the_same_findings_on_this_machine(cli, tmp_path):
    """Without --no-smoke too: the smoke step's verdict comes from the facts as well."""
    facts = tmp_path / "facts.json"
    assert cli("collect", "-o", str(facts)).returncode == 0
    live = cli("doctor", "--json").json()
    replay = cli("doctor", "--json", "--from", str(facts)).json()
    assert replay["findings"] == live["findings"]
    assert live["findings"][-1]["id"] == "smoke.inference"


def test_nvml_hung_at_init_is_its_own_verdict_not_a_missing_gpu(cli):
    run = cli("doctor", "--json", machine_file="hang-init", GPUSETUP_NVML_TIMEOUT="2")
    assert run.returncode == 1
    report = run.json()
    present = by_id(report, "gpu.present")[0]
    assert present["status"] == "skip"
    assert present["title"] == (
        "Cannot tell whether there is an NVIDIA GPU: the driver did not answer"
    )
    nvml = by_id(report, "driver.nvml")[0]
    assert nvml["status"] == "fail"
    assert nvml["title"] == "NVML call nvmlInit did not return within 2 s"
    said = " ".join(f["title"] + " " + f["detail"] for f in report["findings"])
    for verdict in ("has no NVIDIA GPU", "No NVIDIA GPU on this machine", "No NVIDIA GPU ("):
        assert verdict not in said
    assert by_id(report, "smoke.inference")[0]["detail"] == (
        "The NVIDIA driver did not answer (see driver.nvml)."
    )


def test_gpus_and_map_say_the_driver_hung_and_exit_1(cli):
    env = dict(machine_file="hang-init", GPUSETUP_NVML_TIMEOUT="2")
    run = cli("gpus", **env)
    assert run.returncode == 1
    assert "NVML call nvmlInit did not return within 2 s" in flat(run.stdout)
    assert "No NVIDIA GPU found" not in flat(run.stdout)
    data = cli("gpus", "--json", **env).json()
    assert data["nvml_hung_call"] == "nvmlInit" and "nvmlInit" in data["faults"][0]
    run = cli("map", **env)
    assert run.returncode == 1 and "NVML call nvmlInit did not return" in flat(run.stdout)
    run = cli("map", "--json", **env)
    assert run.returncode == 1 and "nvmlInit" in run.json()["faults"][0]
    # a hang after the first GPU answered: the table shows it, and the exit code says
    # the list is incomplete
    run = cli("gpus", machine_file="hang", GPUSETUP_NVML_TIMEOUT="2")
    assert run.returncode == 1 and "nvmlDeviceGetUUID on GPU 1" in flat(run.stdout)


def test_a_lost_gpu_is_marked_lost_in_gpus_and_map_and_gets_no_tensorflow_device(cli):
    run = cli("gpus", machine_file="lost")
    assert run.returncode == 1
    table = run.stdout.split("#  UUID")[0]
    rows = {line.split()[0]: line for line in table.splitlines() if line[:1].isdigit()}
    assert "LOST" in rows["1"] and "LOST" not in rows["0"]
    assert "nvidia-smi GPU 1 (0000:5e:00.0) is lost to the driver" in " ".join(run.stdout.split())
    data = cli("gpus", "--json", machine_file="lost").json()
    assert [g["lost"] for g in data["gpus"]] == [False, True]
    run = cli("map", "--json", machine_file="lost")
    assert run.returncode == 1
    by_smi = {r["smi_index"]: r for r in run.json()["rows"]}
    assert by_smi[1]["lost"] is True and by_smi[1]["tf_device"] is None
    assert any("lost to the driver" in n for n in by_smi[1]["notes"])
    assert by_smi[0]["lost"] is False and by_smi[0]["tf_device"] == "/GPU:0"
    assert "lost to the driver" in run.json()["faults"][0]
    refused = cli("map", "--select", "1", machine_file="lost")
    assert refused.returncode == 1 and "lost to the driver" in refused.stderr

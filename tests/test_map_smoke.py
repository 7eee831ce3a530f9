"""The nvidia-smi <-> CUDA <-> TensorFlow map and the smoke inference.

The map runs against the simulated libnvidia-ml.so.1 and libcuda.so.1 (the latter numbers
devices as CUDA does under CUDA_DEVICE_ORDER and CUDA_VISIBLE_DEVICES); the smoke
inference runs for real with tensorflow-cpu on the CPU.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, base_env, load_machine, minimal_site

from gpusetup.devices.map import build_map
from gpusetup.diagnose.smoke import smoke_findings
from gpusetup.facts import (
    FACTS_SCHEMA,
    CudaDevice,
    CudaFacts,
    Facts,
    NvmlFacts,
    NvmlGpu,
    SmokeDevice,
    SmokeRun,
)
from gpusetup.probe.smoke.model_spec import classify_error
from gpusetup.probe.tfruntime import (
    parse_created,
    parse_dlopen_failure,
    parse_ignored,
    parse_tensorflow_run,
)


def fastest_first(machine: dict) -> list[int]:
    """nvidia-smi indices in the order CUDA numbers them by default (speed, then bus)."""
    gpus = list(enumerate(machine["gpus"]))
    gpus.sort(key=lambda ig: (-ig[1]["speed"], ig[1]["pci_bus_id"].lower()))
    return [i for i, _ in gpus]


def rows_by_smi(data: dict) -> dict[int, dict]:
    return {r["smi_index"]: r for r in data["rows"] if r["smi_index"] is not None}


def test_map_on_8_gpus_gives_the_fastest_first_cuda_numbering(cli):
    machine = load_machine("mixed8")
    data = cli("map", "--json", machine_file="mixed8").json()
    assert data["schema"] == "gpusetup.map/1"
    rows = rows_by_smi(data)
    order = fastest_first(machine)
    assert {smi: rows[smi]["cuda_ordinal"] for smi in rows} == {
        smi: ordinal for ordinal, smi in enumerate(order)
    }
    assert data["orders_differ"] is True
    assert any("CUDA_DEVICE_ORDER=PCI_BUS_ID" in n for n in data["notes"])
    # TensorFlow (not a CUDA build here): predicted from its minimum compute capability
    assert data["tf_source"] == "predicted"
    k80 = rows[0]
    assert k80["tf_device"] is None and "3.7 < 6.0" in " ".join(k80["notes"])
    tf_devices = [rows[smi]["tf_device"] for smi in order if smi != 0]
    assert tf_devices == [f"/GPU:{k}" for k in range(7)]
    for smi, row in rows.items():
        assert row["uuid"] == machine["gpus"][smi]["uuid"]
        assert row["pci_bus_id"] == machine["gpus"][smi]["pci_bus_id"].lower()[4:]


def test_pci_bus_order_makes_cuda_follow_nvidia_smi(cli):
    data = cli("map", "--json", machine_file="mixed8", CUDA_DEVICE_ORDER="PCI_BUS_ID").json()
    assert {smi: r["cuda_ordinal"] for smi, r in rows_by_smi(data).items()} == {
        i: i for i in range(8)
    }
    assert data["orders_differ"] is False


@pytest.mark.parametrize("smi", [2, 3, 6])
def test_select_line_makes_that_gpu_cuda_0_and_tensorflow_gpu_0(cli, smi):
    line = cli("map", "--select", str(smi), machine_file="mixed8").stdout.strip()
    uuid = load_machine("mixed8")["gpus"][smi]["uuid"]
    assert line == f"export CUDA_VISIBLE_DEVICES={uuid}"
    # apply it: the simulated libcuda now shows exactly that GPU as device 0
    value = line.split("=", 1)[1]
    data = cli("map", "--json", machine_file="mixed8", CUDA_VISIBLE_DEVICES=value).json()
    rows = rows_by_smi(data)
    assert rows[smi]["cuda_ordinal"] == 0 and rows[smi]["tf_device"] == "/GPU:0"
    hidden = [r for s, r in rows.items() if s != smi]
    assert all(r["cuda_ordinal"] is None for r in hidden)
    assert all("hidden by CUDA_VISIBLE_DEVICES" in r["notes"] for r in hidden)


def test_select_refuses_a_gpu_tensorflow_ignores(cli):
    run = cli("map", "--select", "0", machine_file="mixed8")
    assert run.returncode == 1 and "compute capability 3.7" in run.stderr


def test_visible_devices_by_uuid_prefix_shows_one_device(cli):
    data = cli(
        "map", "--json", machine_file="mixed8", CUDA_VISIBLE_DEVICES="GPU-1f2e3d4c-0005"
    ).json()
    visible = [r for r in data["rows"] if r["cuda_ordinal"] is not None]
    assert [(r["smi_index"], r["cuda_ordinal"], r["tf_device"]) for r in visible] == [
        (4, 0, "/GPU:0")
    ]


def test_mig_instances_are_rows_of_their_own(cli, tmp_path):
    machine = load_machine("h100")
    gpu = machine["gpus"][0]
    gpu["mig"] = [1, 1]
    gpu["mig_instances"] = [
        {"uuid": "MIG-5c1d6a2e-0d1f-5b3e-9a4b-000000000001", "profile": "3g.40gb"},
        {"uuid": "MIG-5c1d6a2e-0d1f-5b3e-9a4b-000000000002", "profile": "3g.40gb"},
    ]
    path = tmp_path / "mig.json"
    path.write_text(json.dumps(machine))
    data = cli(
        "map",
        "--json",
        machine_file=path,
        CUDA_VISIBLE_DEVICES="MIG-5c1d6a2e-0d1f-5b3e-9a4b-000000000002",
    ).json()
    mig = [r for r in data["rows"] if r["smi_index"] is None]
    assert len(mig) == 1
    assert mig[0]["uuid"] == "MIG-5c1d6a2e-0d1f-5b3e-9a4b-000000000002"
    assert mig[0]["cuda_ordinal"] == 0 and mig[0]["tf_device"] == "/GPU:0"
    assert "MIG instance of nvidia-smi GPU 0" in mig[0]["notes"]


def test_doctor_warns_when_cuda_and_nvidia_smi_orders_differ(cli):
    report = cli("doctor", "--json", "--no-smoke", machine_file="mixed8").json()
    order = [f for f in report["findings"] if f["id"] == "gpu.device-order"][0]
    assert order["status"] == "warn" and "CUDA_DEVICE_ORDER=PCI_BUS_ID" in order["fix"]
    report = cli(
        "doctor", "--json", "--no-smoke", machine_file="mixed8", CUDA_DEVICE_ORDER="PCI_BUS_ID"
    ).json()
    assert [f["status"] for f in report["findings"] if f["id"] == "gpu.device-order"] == ["pass"]


@pytest.mark.parametrize(
    ("fault", "env", "title"),
    [
        (None, {"CUDA_VISIBLE_DEVICES": ""}, "cuInit failed: CUDA_ERROR_NO_DEVICE"),
        ("CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", {}, "libcuda and the kernel driver are different"),
        ("hang", {"GPUSETUP_CUDA_TIMEOUT": "2"}, "CUDA call cuInit did not return within 2 s"),
    ],
)
def test_cuda_init_failures_are_findings(cli, tmp_path, fault, env, title):
    machine = load_machine("h100")
    if fault:
        machine["faults"] = {"cuInit": fault}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(machine))
    report = cli("doctor", "--json", "--no-smoke", machine_file=path, timeout=60, **env).json()
    cuda = [f for f in report["findings"] if f["id"] == "cuda.init"][0]
    assert cuda["status"] == "fail" and title in cuda["title"]


# --- TensorFlow's own view, from its log lines ------------------------------------------

CREATED = (
    "2026-03-05 10:11:12.123456: I tensorflow/core/common_runtime/gpu/gpu_device.cc:2021]"
    " Created device /job:localhost/replica:0/task:0/device:GPU:{k} with 78911 MB memory:"
    "  -> device: {ordinal}, name: {name}, pci bus id: {bus}, compute capability: {cc}"
)
IGNORED = (
    "2026-03-05 10:11:12.000001: I tensorflow/core/common_runtime/gpu/gpu_device.cc:2344]"
    " Ignoring visible gpu device (device: {ordinal}, name: {name}, pci bus id: {bus}, "
    "compute capability: {cc}) with Cuda compute capability {cc}. The minimum required "
    "Cuda capability is 6.0."
)
DLOPEN = (
    "2026-03-05 10:11:12.000002: W external/local_xla/xla/tsl/platform/default/"
    "dso_loader.cc:64] Could not load dynamic library 'libcusolver.so.11'; dlerror: "
    "libnvJitLink.so.12: cannot open shared object file: No such file or directory"
)


def test_tensorflow_log_lines_parse():
    gpu = parse_created(
        CREATED.format(k=1, ordinal=2, name="NVIDIA H100 80GB HBM3", bus="0000:3b:00.0", cc="9.0")
    )
    assert (gpu.tf_index, gpu.cuda_ordinal, gpu.pci_bus_id, gpu.compute_capability) == (
        1,
        2,
        "0000:3b:00.0",
        "9.0",
    )
    skip = parse_ignored(IGNORED.format(ordinal=7, name="Tesla K80", bus="0000:04:00.0", cc="3.7"))
    assert (skip.cuda_ordinal, skip.compute_capability, skip.minimum) == (7, "3.7", "6.0")
    fail = parse_dlopen_failure(DLOPEN)
    assert fail.library == "libcusolver.so.11" and "libnvJitLink.so.12" in fail.error


def test_map_uses_tensorflows_own_numbering_when_it_ran():
    """TensorFlow skipped CUDA device 1 (a K80): its /GPU:1 is CUDA device 2."""
    nvml = NvmlFacts(
        None,
        None,
        None,
        driver_version="580.95.05",
        device_count=3,
        gpus=[
            NvmlGpu(0, "Tesla K80", "GPU-a", "00000000:04:00.0", compute_capability=(3, 7)),
            NvmlGpu(1, "NVIDIA A100", "GPU-b", "00000000:3B:00.0", compute_capability=(8, 0)),
            NvmlGpu(2, "NVIDIA H100", "GPU-c", "00000000:AF:00.0", compute_capability=(9, 0)),
        ],
    )
    cuda = CudaFacts(
        None,
        None,
        None,
        12080,
        devices=[
            CudaDevice(0, "NVIDIA H100", "0000:AF:00.0", "GPU-c", (9, 0)),
            CudaDevice(1, "Tesla K80", "0000:04:00.0", "GPU-a", (3, 7)),
            CudaDevice(2, "NVIDIA A100", "0000:3B:00.0", "GPU-b", (8, 0)),
        ],
    )
    stderr = "\n".join(
        [
            IGNORED.format(ordinal=1, name="Tesla K80", bus="0000:04:00.0", cc="3.7"),
            CREATED.format(k=0, ordinal=0, name="NVIDIA H100", bus="0000:af:00.0", cc="9.0"),
            CREATED.format(k=1, ordinal=2, name="NVIDIA A100", bus="0000:3b:00.0", cc="8.0"),
        ]
    )
    runtime = parse_tensorflow_run('{"version": "2.21.0", "is_cuda_build": true}', stderr)
    facts = Facts(
        FACTS_SCHEMA, "2026-01-01T00:00:00+00:00", nvml=nvml, cuda=cuda, tensorflow=runtime
    )
    dmap = build_map(facts, "6.0")
    assert dmap.tf_source == "tensorflow"
    got = {r.smi_index: (r.cuda_ordinal, r.tf_device) for r in dmap.rows}
    assert got == {0: (1, None), 1: (2, "/GPU:1"), 2: (0, "/GPU:0")}
    assert "TensorFlow ignores it: compute capability 3.7 < 6.0" in dmap.rows[0].notes


# --- smoke inference --------------------------------------------------------------------


def test_smoke_runs_the_model_on_the_cpu_with_tensorflow(cli):
    pytest.importorskip("tensorflow", reason="install.sh --dev installs tensorflow-cpu")
    run = cli("smoke", "--json", timeout=300)
    assert run.returncode == 0, run.stderr
    data = run.json()
    assert data["run"]["framework"].startswith("tensorflow ")
    cpu = data["run"]["devices"][0]
    assert cpu["device"] == "CPU:0" and cpu["status"] == "pass"
    assert cpu["latency_ms"] > 0 and cpu["throughput"] > 0 and cpu["max_abs_diff"] == 0
    assert [f["status"] for f in data["findings"]] == ["pass"]


def test_smoke_device_deadline_turns_a_slow_device_into_a_finding(cli):
    pytest.importorskip("tensorflow", reason="install.sh --dev installs tensorflow-cpu")
    run = cli("smoke", "--json", "--timeout", "0.001", timeout=300)
    data = run.json()
    assert run.returncode == 1
    cpu = data["run"]["devices"][0]
    assert cpu["status"] == "timeout" and "0.001 s" in cpu["error"]
    assert data["findings"][0]["status"] == "fail"


def test_smoke_without_the_framework_skips_with_the_install_hint(tmp_path):
    """A real environment without TensorFlow: gpusetup's own dependencies only."""
    site = minimal_site(tmp_path / "site")
    env = base_env(PYTHONPATH=f"{ROOT}:{site}")
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "gpusetup", "smoke", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    finding = json.loads(proc.stdout)["findings"][0]
    assert finding["status"] == "skip"
    assert "tensorflow is not installed" in finding["detail"]
    assert "pip install 'tensorflow[and-cuda]'" in finding["detail"]


def test_smoke_counts_only_the_gpus_tensorflow_can_use_and_says_why_the_rest_are_left_out(cli):
    """Six of eight GPUs visible, one of those (a K80) below TensorFlow's minimum: five
    usable. tensorflow-cpu uses none of them."""
    pytest.importorskip("tensorflow", reason="install.sh --dev installs tensorflow-cpu")
    visible = ",".join(f"GPU-1f2e3d4c-000{i}" for i in range(1, 7))
    run = cli("smoke", "--json", machine_file="mixed8", CUDA_VISIBLE_DEVICES=visible, timeout=300)
    assert run.returncode == 1, run.stderr
    visible_finding = [f for f in run.json()["findings"] if f["id"] == "smoke.gpu-visible"][0]
    assert visible_finding["status"] == "fail"
    assert visible_finding["title"].endswith("uses 0 of 5 usable GPU(s)")
    left = visible_finding["evidence"]["left out"]
    assert left == [
        "GPU 0 (Tesla K80): TensorFlow would ignore it: compute capability 3.7 < 6.0",
        "GPU 6 (NVIDIA A100-SXM4-80GB): hidden by CUDA_VISIBLE_DEVICES",
        "GPU 7 (NVIDIA GeForce RTX 3090): hidden by CUDA_VISIBLE_DEVICES",
    ]
    assert "Not counted: GPU 0 (Tesla K80)" in visible_finding["detail"]


def test_smoke_does_not_count_a_lost_gpu(cli):
    pytest.importorskip("tensorflow", reason="install.sh --dev installs tensorflow-cpu")
    run = cli("smoke", "--json", machine_file="lost", timeout=300)
    finding = [f for f in run.json()["findings"] if f["id"] == "smoke.gpu-visible"][0]
    assert finding["title"].endswith("uses 0 of 1 usable GPU(s)")
    assert any("lost to the driver" in why for why in finding["evidence"]["left out"])


def test_torch_backend_matches_the_same_model(cli):
    pytest.importorskip("torch", reason="PyTorch is not installed in this environment")
    data = cli("smoke", "--json", "--backend", "torch", timeout=300).json()
    assert data["run"]["devices"][0]["status"] == "pass"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("ResourceExhaustedError: OOM when allocating tensor", "out-of-memory"),
        ("RuntimeError: CUDA error: an illegal memory access was encountered", "illegal-address"),
        (
            "UnknownError: Failed to get convolution algorithm. This is probably because cuDNN "
            "failed to initialize",
            "cudnn",
        ),
        (
            "InternalError: no kernel image is available for execution on the device",
            "unsupported-architecture",
        ),
        ("ValueError: something else", "other"),
    ],
)
def test_device_errors_are_classified(message, kind):
    assert classify_error(message) == kind


def test_smoke_judge_mismatch_and_missing_gpus():
    run = SmokeRun(
        "tensorflow",
        True,
        "tensorflow 2.21.0",
        devices=[
            SmokeDevice(
                "CPU:0", "CPU", status="pass", latency_ms=1.0, throughput=16000, max_abs_diff=0.0
            ),
            SmokeDevice(
                "GPU:0",
                "NVIDIA H100",
                "9.0",
                "0000:3b:00.0",
                status="fail",
                error="output differs",
                error_kind="mismatch",
            ),
        ],
    )
    findings = smoke_findings(run, expect_gpus=2)
    assert [(f.id, f.status.value) for f in findings] == [
        ("smoke.inference", "pass"),
        ("smoke.inference", "fail"),
        ("smoke.gpu-visible", "fail"),
    ]
    assert "gpu.health" in findings[1].fix
    assert findings[2].title == "tensorflow 2.21.0 uses 1 of 2 usable GPU(s)"


def test_smoke_results_join_the_map_by_tensorflow_device_and_cuda_ordinal():
    from gpusetup.devices.map import DeviceMap, MapRow, with_smoke

    dmap = DeviceMap(
        [
            MapRow(0, "GPU-a", "0000:3b:00.0", "H100", "9.0", 1, "/GPU:1"),
            MapRow(1, "GPU-b", "0000:af:00.0", "A100", "8.0", 0, "/GPU:0"),
        ],
        "predicted",
        "6.0",
        True,
    )
    tf = with_smoke(
        dmap,
        [
            SmokeDevice("CPU:0"),
            SmokeDevice("GPU:0", status="pass", latency_ms=0.5),
            SmokeDevice("GPU:1", status="fail", error_kind="out-of-memory"),
        ],
    )
    assert [(r.smi_index, r.smoke) for r in tf.rows] == [
        (0, "fail: out-of-memory"),
        (1, "pass 0.50 ms"),
    ]
    torch = with_smoke(
        dmap, [SmokeDevice("cpu"), SmokeDevice("cuda:1", status="pass", latency_ms=0.7)]
    )
    assert [(r.smi_index, r.smoke) for r in torch.rows] == [(0, "pass 0.70 ms"), (1, None)]

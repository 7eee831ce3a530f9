"""Every check from Facts alone: no file, library or process is touched."""

from __future__ import annotations

import dataclasses

import pytest

from gpusetup.diagnose import all_checks, diagnose
from gpusetup.facts import (
    FACTS_SCHEMA,
    DeviceNode,
    EnvFacts,
    Facts,
    HostFacts,
    KernelFacts,
    NvmlError,
    NvmlFacts,
    NvmlGpu,
    PciDevice,
    PciFacts,
    ProbeFailure,
    RemappedRows,
)
from gpusetup.findings import Status
from gpusetup.knowledge import load_profile

HOST = HostFacts(
    "node1", "6.8.0", "Ubuntu 24.04", "x86_64", "3.11.7", "/usr/bin/python3", "2.39", 1000
)
ENV = EnvFacts(None, None, None, {})


def gpu(index: int = 0, **changes) -> NvmlGpu:
    base = NvmlGpu(
        index=index,
        name="NVIDIA H100 80GB HBM3",
        uuid=f"GPU-00000000-0000-0000-0000-00000000000{index}",
        pci_bus_id=f"00000000:{0x3B + index:02X}:00.0",
        compute_capability=(9, 0),
        memory_total_mib=81559,
        minor_number=index,
        persistence_mode=True,
        mig_current=False,
        mig_pending=False,
        retired_pages_pending=False,
        retired_pages=0,
        remapped_rows=RemappedRows(0, 0, False, False),
        ecc_volatile_uncorrected=0,
        inforom_valid=True,
    )
    return dataclasses.replace(base, **changes)


def facts(
    gpus=(),
    *,
    driver="580.95.05",
    init_error=None,
    pci=(),
    env=ENV,
    python="3.11.7",
    nodes=None,
    hung_call=None,
    failures=None,
    library="/usr/lib/libnvidia-ml.so.580.95.05",
):
    gpus = list(gpus)
    if nodes is None:
        nodes = [DeviceNode(f"/dev/nvidia{g.minor_number}", True, True) for g in gpus]
    nvml = NvmlFacts(
        binding_path="/x/pynvml.py",
        library_path=library if not init_error else None,
        init_error=init_error,
        driver_version=None if init_error else driver,
        cuda_driver_version=None if init_error else 13000,
        device_count=None if init_error else len(gpus),
        gpus=gpus,
        hung_call=hung_call,
        timeout_s=2.0 if hung_call else None,
    )
    return Facts(
        schema=FACTS_SCHEMA,
        collected_at="2026-01-01T00:00:00+00:00",
        host=dataclasses.replace(HOST, python_version=python),
        pci=PciFacts(True, list(pci)),
        kernel=KernelFacts(driver, None, ["nvidia"], nodes, []),
        nvml=None if failures and "nvml" in failures else nvml,
        env=env,
        failures=failures or {},
    )


def run(f: Facts, profile: str = "default"):
    return diagnose(f, load_profile(profile))


def only(findings, check_id):
    return [x for x in findings if x.id == check_id]


def test_every_check_has_an_explanation_and_a_stable_id():
    checks = all_checks()
    assert list(checks)[:2] == ["gpu.present", "driver.nouveau"]
    for chk in checks.values():
        assert chk.id.count(".") == 1 and chk.id == chk.id.lower()
        assert "What:" in chk.explanation and "Why it matters:" in chk.explanation
        assert "Fix:" in chk.explanation


def test_no_gpu_anywhere_fails_once_and_the_rest_skip():
    f = facts(
        init_error=NvmlError("NVMLError_LibraryNotFound", 12, "NVML Shared Library Not Found")
    )
    findings = run(f)
    failed = [x.id for x in findings if x.status is Status.FAIL]
    assert failed == ["gpu.present"]
    assert only(findings, "gpu.present")[0].title == "This machine has no NVIDIA GPU"
    assert only(findings, "driver.nvml")[0].status is Status.SKIP
    assert only(findings, "gpu.compute-capability")[0].status is Status.SKIP


def test_nvml_working_with_zero_devices_is_a_container_without_gpus():
    findings = run(facts([]))
    present = only(findings, "gpu.present")[0]
    assert present.status is Status.FAIL and "--gpus all" in present.fix


@pytest.mark.parametrize(
    ("cc", "minimum_profile", "expected"),
    [
        ((3, 7), "default", Status.FAIL),
        ((5, 2), "default", Status.FAIL),
        ((6, 0), "default", Status.PASS),
        ((9, 0), "default", Status.PASS),
    ],
)
def test_compute_capability_against_the_tensorflow_minimum(cc, minimum_profile, expected):
    findings = only(
        run(facts([gpu(0, compute_capability=cc)]), minimum_profile), "gpu.compute-capability"
    )
    assert [x.status for x in findings] == [expected]


def test_cc_below_minimum_fails_with_the_newest_tensorflow_that_still_runs_it():
    finding = only(
        run(facts([gpu(0, name="Tesla K80", compute_capability=(3, 7))])), "gpu.compute-capability"
    )[0]
    assert finding.subject == "GPU 0"
    assert "TensorFlow 2.14" in finding.fix


def test_cc_minimum_follows_the_python_specific_default_target():
    # Python 3.9: the newest release for it is 2.20 (min CC 6.0); 3.14: no release at all
    assert (
        only(
            run(facts([gpu(0, compute_capability=(5, 0))], python="3.9.18")),
            "gpu.compute-capability",
        )[0].status
        is Status.FAIL
    )
    assert (
        only(run(facts([gpu(0)], python="3.14.0")), "gpu.compute-capability")[0].status
        is Status.SKIP
    )


@pytest.mark.parametrize(
    ("driver", "expected"),
    [
        ("580.95.05", Status.PASS),
        ("555.42.06", Status.PASS),
        # 2.21 is built with CUDA 12.5.1 (its wheel's build_info), whose own minimum is
        # 555.42.06; 12.5 GA's 555.42.02 runs it only through minor-version compatibility
        ("555.42.02", Status.WARN),
        ("550.54.14", Status.WARN),
        ("525.60.13", Status.WARN),
        ("525.60.12", Status.FAIL),
        ("470.256.02", Status.FAIL),
    ],
)
def test_driver_version_against_cuda_of_tensorflow_2_21(driver, expected):
    finding = only(run(facts([gpu(0)], driver=driver)), "driver.version")[0]
    assert finding.status is expected


@pytest.mark.parametrize(
    ("changes", "expected_title"),
    [
        ({"retired_pages_pending": True}, "page retirement pending"),
        ({"retired_pages": 63}, "63 retired pages"),
        ({"remapped_rows": RemappedRows(0, 2, True, False)}, "row remapping pending"),
        ({"remapped_rows": RemappedRows(0, 2, False, True)}, "row remapping failed"),
        ({"inforom_valid": False}, "infoROM is corrupted"),
    ],
)
def test_health_thresholds_fail(changes, expected_title):
    findings = only(run(facts([gpu(0, **changes)])), "gpu.health")
    assert [x.status for x in findings] == [Status.FAIL]
    assert expected_title in findings[0].title


def test_health_62_retired_pages_and_unsupported_counters():
    assert only(run(facts([gpu(0, retired_pages=62)])), "gpu.health")[0].status is Status.PASS
    blank = gpu(
        0,
        retired_pages=None,
        retired_pages_pending=None,
        remapped_rows=None,
        ecc_volatile_uncorrected=None,
        inforom_valid=None,
    )
    assert only(run(facts([blank])), "gpu.health")[0].status is Status.SKIP


def test_device_nodes_missing_or_unusable_warn():
    two = [gpu(0), gpu(1)]
    nodes = [DeviceNode("/dev/nvidia0", True, True), DeviceNode("/dev/nvidia1", True, False)]
    finding = only(run(facts(two, nodes=nodes)), "gpu.device-nodes")[0]
    assert finding.status is Status.WARN and "/dev/nvidia1 (GPU 1)" in finding.detail


def test_nouveau_bound_fails():
    dev = PciDevice("0000:3b:00.0", "0x10de", "0x2330", "0x030200", "nouveau")
    f = facts(init_error=NvmlError("NVMLError_DriverNotLoaded", 9, "Driver Not Loaded"), pci=[dev])
    findings = run(f)
    assert only(findings, "driver.nouveau")[0].status is Status.FAIL
    assert "nouveau" in only(findings, "driver.nvml")[0].detail


def test_audio_function_of_a_gpu_is_not_a_gpu():
    audio = PciDevice("0000:3b:00.1", "0x10de", "0x22e8", "0x040300", "snd_hda_intel")
    f = facts(init_error=NvmlError("NVMLError_LibraryNotFound", 12, "x"), pci=[audio])
    assert only(run(f), "gpu.present")[0].status is Status.FAIL


def test_a_failed_probe_is_reported_and_dependent_checks_skip():
    f = facts(failures={"nvml": ProbeFailure("error", "the NVML probe exited with code -11")})
    findings = run(f)
    nvml = only(findings, "driver.nvml")[0]
    assert nvml.status is Status.FAIL and "-11" in nvml.detail


def test_a_check_that_crashes_becomes_a_failure_not_a_crash(monkeypatch):
    checks = all_checks()
    broken = dataclasses.replace(checks["gpu.mig-mode"], run=lambda ctx: 1 / 0)
    monkeypatch.setitem(checks, "gpu.mig-mode", broken)
    finding = only(run(facts([gpu(0)])), "gpu.mig-mode")[0]
    assert finding.status is Status.FAIL and "ZeroDivisionError" in finding.detail


def test_visible_devices_empty_fails_even_without_nvml():
    f = facts(
        init_error=NvmlError("NVMLError_DriverNotLoaded", 9, "x"), env=EnvFacts("", None, None, {})
    )
    assert only(run(f), "env.cuda-visible-devices")[0].status is Status.FAIL


# --- knowledge-driven verdicts ------------------------------------------------------------

K80 = {"name": "Tesla K80", "compute_capability": (3, 7), "pci_device_id": "0x102D10DE"}
M60 = {"name": "Tesla M60", "compute_capability": (5, 2), "pci_device_id": "0x13F210DE"}
P100 = {"name": "Tesla P100-PCIE-16GB", "compute_capability": (6, 0), "pci_device_id": "0x15F810DE"}


def test_cc_5_x_is_told_the_newest_tensorflow_is_2_16():
    finding = only(run(facts([gpu(0, **M60)])), "gpu.compute-capability")[0]
    assert finding.status is Status.FAIL and "TensorFlow 2.16" in finding.fix


def test_k80_advice_says_when_2_14_needs_another_python():
    finding = only(run(facts([gpu(0, **K80)], python="3.12.3")), "gpu.compute-capability")[0]
    assert "TensorFlow 2.14" in finding.fix and "Python >=3.9,<3.12" in finding.fix


@pytest.mark.parametrize(
    ("card", "driver", "expected", "branch"),
    [
        (K80, "470.256.02", Status.PASS, None),
        (K80, "535.183.01", Status.FAIL, "R470"),
        (M60, "580.95.05", Status.PASS, None),
        (P100, "590.44.01", Status.FAIL, "R580"),
        ({}, "590.44.01", Status.PASS, None),  # an H100
    ],
)
def test_driver_branch_against_the_gpu_architecture(card, driver, expected, branch):
    findings = only(run(facts([gpu(0, **card)], driver=driver)), "driver.branch")
    assert [f.status for f in findings] == [expected]
    if branch:
        assert f"supported only up to driver branch {branch}" in findings[0].title
        assert findings[0].subject == "GPU 0" and branch in findings[0].fix


def test_a_gpu_the_driver_left_out_is_identified_by_its_pci_id():
    """R535 does not drive a K80: NVML answers with no GPU, only the PCI bus shows it."""
    k80 = PciDevice("0000:04:00.0", "0x10de", "0x102d", "0x030200", None)
    findings = only(run(facts([], driver="535.183.01", pci=[k80])), "driver.branch")
    assert [f.status for f in findings] == [Status.FAIL]
    assert "Kepler" in findings[0].title and "R470" in findings[0].title
    assert findings[0].subject == "PCI 0000:04:00.0"


# --- a GPU newer than its driver (driver.gpu-too-new) ------------------------------

RTX5090 = PciDevice("0000:01:00.0", "0x10de", "0x2b85", "0x030000", None)
H100_PCI = PciDevice("0000:af:00.0", "0x10de", "0x2330", "0x030200", None)
A100 = {
    "name": "NVIDIA A100-SXM4-40GB",
    "compute_capability": (8, 0),
    "pci_device_id": "0x20B010DE",
}


def _newer(f: Facts):
    return only(run(f), "driver.gpu-too-new")


def _with_module(f: Facts, module: str | None) -> Facts:
    return dataclasses.replace(f, kernel=dataclasses.replace(f.kernel, kernel_module=module))


@pytest.mark.parametrize(
    ("driver", "status"),
    [("550.144.03", Status.FAIL), ("560.35.03", Status.FAIL), ("570.26", Status.WARN)],
)
def test_a_blackwell_gpu_nvml_leaves_out_is_judged_by_its_first_branch(driver, status):
    """R550/R560 do not bind an RTX 5090; from R570 the driver does, with the open modules
    (which module loads is not known here: a warning that says how to tell)."""
    findings = _newer(facts([], driver=driver, pci=[RTX5090]))
    assert [(f.status, f.subject) for f in findings] == [(status, "PCI 0000:01:00.0")]
    finding = findings[0]
    assert "10de:2b85" in finding.title and "0000:01:00.0" in finding.title
    if status is Status.FAIL:
        assert "Blackwell needs driver branch R570 or newer" in finding.title
        assert f"this driver is R{driver[:3]} ({driver})" in finding.title
        assert "Install NVIDIA driver 570.26 or newer" in finding.fix
        assert "open kernel modules" in finding.fix and "nvidia-driver-<branch>-open" in finding.fix
    else:
        assert "open kernel modules" in finding.title and "modinfo nvidia" in finding.fix


def test_blackwell_on_the_proprietary_module_fails_and_on_the_open_one_passes():
    f = facts([], driver="580.105.08", pci=[RTX5090])
    proprietary = _newer(_with_module(f, "proprietary"))
    assert [x.status for x in proprietary] == [Status.FAIL]
    assert "the proprietary one is loaded" in proprietary[0].title
    opened = _newer(_with_module(f, "open"))
    assert [x.status for x in opened] == [Status.PASS]


def test_of_an_a100_and_an_h100_on_r470_only_the_one_nvml_leaves_out_fails():
    findings = _newer(facts([gpu(0, **A100)], driver="470.256.02", pci=[H100_PCI]))
    assert [(f.status, f.subject) for f in findings] == [(Status.FAIL, "PCI 0000:af:00.0")]
    assert "Hopper needs driver branch R520 or newer" in findings[0].title
    assert "520.61.05" in findings[0].fix and "open kernel modules" not in findings[0].fix


def test_a_gpu_nvml_lists_is_never_judged_even_against_the_table():
    """An H100 NVML lists on R470 contradicts the table; the driver's own answer wins."""
    h100 = gpu(0, pci_bus_id="00000000:AF:00.0")
    findings = _newer(facts([h100], driver="470.256.02", pci=[H100_PCI]))
    assert [(f.status, f.title) for f in findings] == [
        (Status.PASS, "The driver lists every GPU on the PCI bus")
    ]


def test_an_unlisted_gpu_the_driver_is_new_enough_for_passes_naming_it():
    turing = PciDevice("0000:5e:00.0", "0x10de", "0x1eb8", "0x030200", None, name="Tesla T4")
    findings = _newer(facts([], driver="535.183.01", pci=[turing]))
    assert [f.status for f in findings] == [Status.PASS]
    assert "Tesla T4 (10de:1eb8) at 0000:5e:00.0: Turing, first driver 410.48" in str(
        findings[0].evidence
    )


def test_a_k80_beside_an_h100_is_told_no_driver_drives_both():
    findings = _newer(facts([gpu(0, **K80)], driver="470.256.02", pci=[H100_PCI]))
    assert [f.status for f in findings] == [Status.FAIL]
    assert "No driver drives both" in findings[0].fix and "R470" in findings[0].fix


def test_when_nvml_does_not_answer_every_pci_gpu_is_judged_by_the_library_version():
    """The module did not load (no GPU it supports): the driver is the NVML library's."""
    err = NvmlError("NVMLError_DriverNotLoaded", 9, "Driver Not Loaded")
    f = dataclasses.replace(
        facts([], init_error=err, pci=[RTX5090]),
        kernel=KernelFacts(None, None, [], [], []),
    )
    f = dataclasses.replace(
        f, nvml=dataclasses.replace(f.nvml, library_path="/usr/lib/libnvidia-ml.so.550.163.01")
    )
    findings = _newer(f)
    assert [f.status for f in findings] == [Status.FAIL]
    assert "(550.163.01)" in findings[0].title


def test_nvidia_smi_l_without_bus_ids_counts_the_listed_gpus():
    """nvidia-smi -L names no bus id: one listed GPU and one on the PCI bus is that GPU."""
    listed = gpu(0, pci_bus_id=None, compute_capability=None)
    findings = _newer(facts([listed], driver="470.256.02", pci=[H100_PCI]))
    assert [f.status for f in findings] == [Status.PASS]
    two = _newer(facts([listed], driver="470.256.02", pci=[H100_PCI, RTX5090]))
    assert {f.subject for f in two} == {"PCI 0000:af:00.0", "PCI 0000:01:00.0"}


def test_without_a_pci_listing_or_a_driver_version_it_skips():
    no_pci = dataclasses.replace(facts([]), pci=None)
    assert [f.status for f in _newer(no_pci)] == [Status.SKIP]
    err = NvmlError("NVMLError_LibraryNotFound", 12, "NVML Shared Library Not Found")
    no_driver = dataclasses.replace(
        facts([], init_error=err, pci=[RTX5090]), kernel=KernelFacts(None, None, [], [], [])
    )
    skipped = _newer(no_driver)
    assert [f.status for f in skipped] == [Status.SKIP] and "No driver version" in skipped[0].detail


def test_an_unverified_architecture_row_warns_and_never_fails(monkeypatch):
    from gpusetup.diagnose import driver as driver_checks
    from gpusetup.knowledge import architecture_table

    table = architecture_table()
    kepler = [
        dataclasses.replace(a, unverified=True) if a.name == "Kepler" else a
        for a in table.architectures
    ]
    monkeypatch.setattr(
        driver_checks,
        "architecture_table",
        lambda: dataclasses.replace(table, architectures=tuple(kepler)),
    )
    finding = only(run(facts([gpu(0, **K80)], driver="535.183.01")), "driver.branch")[0]
    assert finding.status is Status.WARN and "(unverified)" in finding.title


def test_driver_upgrade_advice_for_a_k80_does_not_drop_the_gpu():
    finding = only(run(facts([gpu(0, **K80)], driver="470.256.02")), "driver.version")[0]
    assert finding.status is Status.FAIL
    assert "would drop GPU 0" in finding.fix and "R470" in finding.fix
    assert "Use TensorFlow 2.14 (CUDA 11.8)" in finding.fix


# A Jetson Orin NX's /proc/driver/nvidia/version, as posted in
# https://github.com/nix-community/nixGL/issues/139 (first line)
JETSON_LINE = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  35.3.1  Release Build  "
    "(buildbrain@mobile-u64-6289-d7000)  Sun Mar 19 08:09:33 PDT 2023"
)


def test_a_jetson_l4t_release_is_never_judged_as_a_desktop_driver():
    from gpusetup.probe.kernel import parse_version_line

    line = parse_version_line(JETSON_LINE)
    f = facts(
        init_error=NvmlError("NVMLError_LibraryNotFound", 12, "NVML Shared Library Not Found")
    )
    f = dataclasses.replace(
        f,
        host=dataclasses.replace(HOST, machine="aarch64", kernel_release="5.10.120-tegra"),
        kernel=KernelFacts(
            line.driver_version,
            JETSON_LINE,
            ["nvidia"],
            [],
            [],
            kernel_module=line.kernel_module,
            l4t_release=line.l4t_release,
        ),
    )
    findings = run(f)
    for check_id in ("driver.version", "driver.branch"):
        finding = only(findings, check_id)[0]
        assert finding.status is Status.SKIP and "L4T 35.3.1" in finding.detail, finding


def test_jetpack_6_nvml_driver_540_is_not_judged_by_desktop_minimums():
    # NVML on JetPack 6 names the GPU "Orin (nvgpu)" and reports driver 540.4.0
    # (nvidia-smi output in https://github.com/anduril/jetpack-nixos/pull/371)
    orin = gpu(0, name="Orin (nvgpu)", compute_capability=(8, 7), pci_bus_id=None)
    finding = only(run(facts([orin], driver="540.4.0")), "driver.version")[0]
    assert finding.status is Status.SKIP and "Jetson" in finding.detail


def _libs(ptxas: dict[str, str], libdevice: bool = True):
    from gpusetup.facts import LdConf, LibraryFacts, LinkingObject

    return LibraryFacts(
        target="TensorFlow 2.21",
        tensorflow=None,
        requirements=[],
        interpreter=LinkingObject("/usr/bin/python3"),
        interpreter_class=64,
        interpreter_machine="EM_X86_64",
        caller=None,
        ld_library_path=[],
        system_dirs=[],
        cache_file="/etc/ld.so.cache",
        cache=[],
        cache_error=None,
        ld_so_conf=LdConf(),
        toolchain={
            "ptxas": list(ptxas),
            "libdevice": ["/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"] if libdevice else [],
        },
        toolchain_versions={p: v for p, v in ptxas.items() if v},
    )


def _with_driver_cuda(f: Facts, cuda: int) -> Facts:
    return dataclasses.replace(f, nvml=dataclasses.replace(f.nvml, cuda_driver_version=cuda))


def test_a_toolkit_newer_than_the_driver_warns_with_both_versions_and_both_fixes():
    f = dataclasses.replace(
        _with_driver_cuda(facts([gpu(0)], driver="550.54.14"), 12040),
        libs=_libs({"/usr/local/cuda/bin/ptxas": "13.0.88"}),
    )
    finding = only(run(f), "cuda.toolchain")[0]
    assert finding.status is Status.WARN
    assert "13.0.88" in finding.title and "12.4" in finding.title
    assert "unsupported toolchain" in finding.detail
    assert "upgrade the NVIDIA driver" in finding.fix and "580.65.06" in finding.fix
    assert "nvidia-cuda-nvcc-cu12==12.4.*" in finding.fix


@pytest.mark.parametrize(("toolkit", "expected"), [("12.4.131", Status.PASS), (None, Status.PASS)])
def test_a_toolkit_not_newer_than_the_driver_passes(toolkit, expected):
    f = dataclasses.replace(
        _with_driver_cuda(facts([gpu(0)], driver="550.54.14"), 12040),
        libs=_libs({"/usr/local/cuda/bin/ptxas": toolkit}),
    )
    assert only(run(f), "cuda.toolchain")[0].status is expected


def _aarch64(f: Facts) -> Facts:
    return dataclasses.replace(f, host=dataclasses.replace(HOST, machine="aarch64"))


def test_aarch64_says_pypi_tensorflow_is_cpu_only_instead_of_promising_the_gpu():
    from gpusetup.facts import TensorFlowInstall

    base = dataclasses.replace(_aarch64(facts([gpu(0)])), libs=_libs({}))
    finding = only(run(base), "libs.tensorflow-build")[0]
    assert finding.status is Status.WARN and "CPU-only" in finding.fix
    cpu_tf = TensorFlowInstall("tensorflow", "2.21.0", "/site/tensorflow", False, None, None)
    installed = dataclasses.replace(base, libs=dataclasses.replace(base.libs, tensorflow=cpu_tf))
    finding = only(run(installed), "libs.tensorflow-build")[0]
    assert finding.status is Status.FAIL
    assert "and-cuda" not in finding.fix and "aarch64" in finding.fix
    # on x86_64 the same CPU-only install is told to take the GPU build
    x86 = dataclasses.replace(installed, host=HOST)
    assert "tensorflow[and-cuda]==2.21.0" in only(run(x86), "libs.tensorflow-build")[0].fix

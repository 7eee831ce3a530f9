"""The bounds of the system-side entries real pastes needed: a compiler error counts only in
the NVIDIA kernel module's own sources, the device plugin's healthy platform line and
the installer's sanity-check question name nothing, and a loaded module found from inside
a container gets the container's fix."""

from __future__ import annotations

from gpusetup.logtriage import triage_text

# https://github.com/NixOS/nixpkgs/issues/111727 (a line of the paste)
_MODULE_SOURCE = (
    "/build/kernel/nvidia/nv-dma.c:631:37: error: implicit declaration of function "
    "'get_dma_ops' [-Werror=implicit-function-declaration]\n"
)


def test_a_compiler_error_names_the_kernel_module_only_in_its_own_sources() -> None:
    root = triage_text(_MODULE_SOURCE).root_causes[0]
    assert (root.id, root.family) == ("kernel-module.nvidia-source-compile-error", "kernel-module")
    assert "/build/kernel/nvidia/nv-dma.c" in root.diagnosis
    # the same diagnostic in a user's CUDA file, or in a directory merely named nvidia, is
    # no kernel module's
    for other in (
        'vectorAdd.cu:12:5: error: identifier "foo" is undefined\n',
        "/home/me/nvidia/sample.c:3:1: error: expected ';' before '}' token\n",
    ):
        ids = [r.id for r in triage_text(other).root_causes]
        assert "kernel-module.nvidia-source-compile-error" not in ids, other


def test_the_plugin_healthy_platform_line_names_no_root_cause() -> None:
    # https://github.com/NVIDIA/gpu-operator/issues/685 (a line of the paste)
    healthy = (
        "I0221 19:41:59.387686       1 factory.go:48] Detected NVML platform: found NVML library\n"
    )
    assert triage_text(healthy).root_causes == ()


def test_a_loaded_module_seen_from_a_container_gets_the_container_fix() -> None:
    # https://github.com/mlc-ai/mlc-llm/issues/95 (a line of the paste) after a docker start
    line = (
        "ERROR: An NVIDIA kernel module 'nvidia-uvm' appears to already be loaded in your "
        "kernel. \n"
    )
    plain = triage_text(line).root_causes[0]
    assert (plain.id, plain.family) == ("nvidia-installer.module-already-loaded", "kernel-module")
    assert "nvidia-uvm" in plain.diagnosis and "modprobe -r" in plain.fix
    inside = triage_text("$ docker run -it ubuntu:22.04 bash\n" + line).root_causes[0]
    assert "Do not install the driver inside a container" in inside.fix


def test_the_feature_discovery_non_tegra_line_is_no_jetson() -> None:
    # https://github.com/NVIDIA/gpu-operator/issues/685 (lines of the paste)
    log = (
        "I0221 19:41:59.387763       1 factory.go:48] Detected non-Tegra platform: "
        "/sys/devices/soc0/family file not found\n"
        "E0221 19:41:59.430545       1 main.go:95] error creating NVML labeler: error creating "
        "resource labeler: failed to construct GPU labeler: failed to construct labeler: failed "
        "to get memory info for device: Insufficient Permissions\n"
    )
    root = triage_text(log).root_causes[0]
    assert root.family == "permission"
    assert "Jetson" not in root.diagnosis
    # its labels' directory shows the pod: the refusal on a MIG node gets the MIG monitor fix
    labels = (
        "W0221 19:41:59.430507       1 main.go:161] Error removing output file: failed to remove "
        "output file: remove /etc/kubernetes/node-feature-discovery/features.d/gfd: no such file "
        "or directory\n"
    )
    assert "NVIDIA_MIG_MONITOR_DEVICES=all" in triage_text(labels + log).root_causes[0].fix
    # a Tegra named as such still is one
    tegra = "Model: NVIDIA Tegra X1\n" + log.splitlines()[1] + "\n"
    assert "Jetson" in triage_text(tegra).root_causes[0].diagnosis

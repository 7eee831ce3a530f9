"""The readers of gpusetup.parse give the answers of the narrower readers they will replace
(gpusetup.tflog, ldconf.parse_ldconfig_p, probe.kernel.parse_driver_version,
probe.libraries.cudnn_header_version, facts.normalise_bus_id) on everything those accept:
every line of the real-output corpus and of the log corpus, the machine's own ldconfig -p.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from readers_corpus import CORPUS, cases, load, text

from gpusetup import tflog
from gpusetup.facts import normalise_bus_id
from gpusetup.ldconf import parse_ldconfig_p
from gpusetup.parse import busid, cudnn_header, proc_version, read
from gpusetup.probe.kernel import parse_driver_version, parse_version_line
from gpusetup.probe.libraries import cudnn_header_version

LOGS = Path(__file__).resolve().parent / "data" / "logs"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _all_lines() -> list[str]:
    lines = []
    for name in cases():
        lines += text(name).split("\n")
    for log in sorted(LOGS.rglob("*.log")):
        lines += log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if line.strip()]


LINES = _all_lines()


def test_tensorflow_created_ignored_and_dlopen_lines_read_as_tflog_reads_them():
    created = ignored = failures = cannot = 0
    for line in LINES:
        reading = read("tf-log", line)
        old = tflog.parse_created(line)
        if old is not None:
            created += 1
            (gpu,) = reading.gpus
            assert (gpu.tf_device, gpu.index, gpu.name, gpu.bus_id, gpu.compute_capability) == (
                old.tf_index,
                old.cuda_ordinal,
                old.name,
                old.pci_bus_id,
                old.compute_capability,
            ), line
            assert gpu.tf_memory_mb == old.memory_mb
        skip = tflog.parse_ignored(line)
        if skip is not None:
            ignored += 1
            (gpu,) = reading.gpus
            assert gpu.ignored
            assert (gpu.index, gpu.name, gpu.bus_id, gpu.compute_capability, gpu.minimum_cc) == (
                skip.cuda_ordinal,
                skip.name,
                skip.pci_bus_id,
                skip.compute_capability,
                skip.minimum,
            ), line
        failure = tflog.parse_dlopen_failure(line)
        if failure is not None:
            failures += 1
            # the one difference: terminal colour codes are not part of the message
            error = ANSI.sub("", failure.error).strip()
            assert [(lib.name, lib.status) for lib in reading.libraries] == [
                (failure.library, error)
            ]
        if tflog.cannot_dlopen(line):
            cannot += 1
            assert "tf-dlopen-failed" in reading.problem_ids
    # the material holds each kind of line the old reader knows
    assert created and ignored and failures and cannot, (created, ignored, failures, cannot)


def test_tensorflow_log_lines_the_old_reader_misses_are_read_too():
    """The new reader is a superset: TF 1.x 'Created TensorFlow device' and 0.x 'Ignoring gpu
    device' lines, which gpusetup.tflog does not know."""
    line = text("tf-log-114-m40x8").split("\n")[0]
    assert tflog.parse_created(line) is None
    (gpu,) = read("tf-log", line).gpus
    assert (gpu.tf_device, gpu.index, gpu.bus_id) == (7, 7, "0000:89:00.0")
    old_ignoring = text("tf-log-05-grid-k520-tabbed").split("\n")[8]
    assert tflog.parse_ignored(old_ignoring) is None
    assert read("tf-log", old_ignoring).gpus[0].ignored


def _cache_entries(text_: str) -> list[tuple[str, str, str]]:
    reading = read("ldconfig-p", text_)
    return [(lib.name, lib.arch, lib.path) for lib in reading.libraries if lib.arch is not None]


@pytest.mark.parametrize("name", [n for n in cases() if load(n)["kind"] == "ldconfig-p"])
def test_ldconfig_p_reads_as_parse_ldconfig_p(name):
    old = [(e.soname, e.flags, e.path) for e in parse_ldconfig_p(text(name))]
    assert old and _cache_entries(text(name)) == old


def test_this_machines_ldconfig_p_reads_as_parse_ldconfig_p():
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    try:
        proc = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=30)
    except OSError:  # pragma: no cover - every Linux CI image has ldconfig
        pytest.skip("no ldconfig on this machine")
    old = [(e.soname, e.flags, e.path) for e in parse_ldconfig_p(proc.stdout)]
    assert len(old) > 10
    assert _cache_entries(proc.stdout) == old


def test_ldconfig_p_lines_with_hwcap_and_os_abi_read_as_before():
    # the forms glibc prints for hwcap subdirectories and for an ABI note (ldconfig.c)
    sample = (
        "\tlibfoo.so.1 (libc6,x86-64, hwcap: 0x0000000000000002) => /usr/lib/x86_64/libfoo.so.1\n"
        "\tlibbar.so.2 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/libbar.so.2\n"
    )
    old = [(e.soname, e.flags, e.path) for e in parse_ldconfig_p(sample)]
    assert len(old) == 2 and _cache_entries(sample) == old


def test_kernel_module_version_reads_as_the_probe_reads_it():
    checked = 0
    for line in LINES:
        old = parse_version_line(line)
        # the probe calls a Jetson's number its L4T release, never a driver version
        assert proc_version.module_version(line) == (old.driver_version or old.l4t_release), line
        reading = read("proc-version", line)
        if reading.driver_version or reading.l4t_release:
            checked += 1
            assert (reading.driver_version, reading.l4t_release) == (
                old.driver_version,
                old.l4t_release,
            ), line
    assert checked >= 4


def test_the_jetson_module_number_is_kept_but_not_called_a_driver_version():
    version_file = text("proc-version-jetson-l4t-3531")
    reading = read("proc-version", version_file)
    assert parse_driver_version(version_file) is None
    assert parse_version_line(version_file).l4t_release == reading.fact("module_version")
    assert reading.driver_version is None and reading.l4t_release == "35.3.1"


@pytest.mark.parametrize(
    "header",
    [
        *[text(n) for n in cases() if load(n)["kind"] == "cudnn-header"],
        "#define CUDNN_MAJOR 9\n",  # the other parts missing read as 0
        "#define CUDNN_MAJOR 8\n#define CUDNN_PATCHLEVEL 7\n",
        "no version here\n",
    ],
)
def test_cudnn_headers_read_as_cudnn_header_version(tmp_path, header):
    path = tmp_path / "cudnn_version.h"
    path.write_text(header)
    old = cudnn_header_version(path)
    assert cudnn_header.header_version(header) == old
    assert read("cudnn-header", header).cudnn_version == old


def test_the_cudnn_version_number_follows_each_generations_formula():
    v7 = read("cudnn-header", text("cudnn-h-721-v7-header"))
    v9 = read("cudnn-header", text("cudnn-version-h-960-v9"))
    assert v7.fact("cudnn_version_number") == "7201"  # 7 * 1000 + 2 * 100 + 1
    assert v9.fact("cudnn_version_number") == "90600"  # 9 * 10000 + 6 * 100 + 0
    assert cudnn_header.version_number(8, 9, 7) == 8907
    v8 = read("cudnn-header", text("cudnn-version-h-804-defines"))  # no formula shown
    assert v8.fact("cudnn_version_number") == "8004"


def _bus_ids_in_corpus() -> set[str]:
    found = set()
    for path in CORPUS.glob("*.txt"):
        found |= set(re.findall(busid.BUS_ID_TEXT, path.read_text(encoding="utf-8")))
    return found


def test_bus_ids_normalise_as_facts_normalise_them():
    spelled = _bus_ids_in_corpus()
    assert len(spelled) > 50
    for value in spelled | {"00000000:3B:00.0", "3E3F8E05:00:00.0", "0001:01:00.0", "3b:00.0"}:
        assert busid.normalise(value) == normalise_bus_id(value), value
    assert busid.normalise("GPU0000:07:00.0") == "0000:07:00.0"  # nvidia-smi's lost-GPU line
    assert busid.normalise("not a bus id") is None
    assert busid.from_parts(0, 65, 0) == "0000:41:00.0"  # deviceQuery's decimal 0 / 65 / 0

"""The readers of gpusetup.parse where the probes use them: this machine's own
`ldconfig -p`, the forms glibc prints, the /proc version file of a Jetson, cuDNN headers of
each generation, and bus ids as facts normalise them (every spelling in the real-output
corpus).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from readers_corpus import CORPUS, cases, text

from gpusetup.facts import normalise_bus_id
from gpusetup.parse import busid, cudnn_header, read
from gpusetup.probe.kernel import parse_driver_version, parse_version_line

LOGS = Path(__file__).resolve().parent / "data" / "logs"


def _all_lines() -> list[str]:
    lines = []
    for name in cases():
        lines += text(name).split("\n")
    for log in sorted(LOGS.rglob("*.log")):
        lines += log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if line.strip()]


LINES = _all_lines()


def _cache_entries(text_: str) -> list[tuple[str, str, str]]:
    reading = read("ldconfig-p", text_)
    return [(lib.name, lib.arch, lib.path) for lib in reading.libraries if lib.arch is not None]


def test_this_machines_ldconfig_p_reads_every_cache_line():
    """The real `ldconfig -p` here: every `soname (flags) => path` line is one entry."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    try:
        proc = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=30)
    except OSError:  # pragma: no cover - every Linux CI image has ldconfig
        pytest.skip("no ldconfig on this machine")
    expected = [
        (m["soname"], m["flags"], m["path"])
        for m in re.finditer(
            r"^\t(?P<soname>\S+) \((?P<flags>[^)]*)\) => (?P<path>.+)$", proc.stdout, re.M
        )
    ]
    assert len(expected) > 10
    assert _cache_entries(proc.stdout) == expected


def test_ldconfig_p_lines_with_hwcap_and_os_abi_are_read():
    # the forms glibc prints for hwcap subdirectories and for an ABI note (ldconfig.c)
    sample = (
        "\tlibfoo.so.1 (libc6,x86-64, hwcap: 0x0000000000000002) => /usr/lib/x86_64/libfoo.so.1\n"
        "\tlibbar.so.2 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/libbar.so.2\n"
    )
    assert _cache_entries(sample) == [
        ("libfoo.so.1", "libc6,x86-64, hwcap: 0x0000000000000002", "/usr/lib/x86_64/libfoo.so.1"),
        ("libbar.so.2", "libc6,x86-64, OS ABI: Linux 3.2.0", "/lib/libbar.so.2"),
    ]


def test_the_jetson_module_number_is_kept_but_not_called_a_driver_version():
    version_file = text("proc-version-jetson-l4t-3531")
    reading = read("proc-version", version_file)
    assert parse_driver_version(version_file) is None
    assert parse_version_line(version_file).l4t_release == reading.fact("module_version")
    assert reading.driver_version is None and reading.l4t_release == "35.3.1"


@pytest.mark.parametrize(
    ("header", "version"),
    [
        ("#define CUDNN_MAJOR 9\n", "9.0.0"),  # the other parts missing read as 0
        ("#define CUDNN_MAJOR 8\n#define CUDNN_PATCHLEVEL 7\n", "8.0.7"),
        ("no version here\n", None),
    ],
)
def test_cudnn_headers_read_the_version_their_defines_give(header, version):
    assert cudnn_header.header_version(header) == version
    assert read("cudnn-header", header).cudnn_version == version


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

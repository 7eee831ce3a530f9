"""--redact rewrites values, never keys or ids, whatever the machine is called; and the
node-problem-detector line leads with the worst failure and ends cleanly.

The host-name cases run the real commands on the simulated mixed8 in a private UTS
namespace (``unshare -u``) whose hostname is set to the case: short and common names
(gpu, node, cuda, driver...) that also occur in check ids, label names and gpusetup's
own sentences, and a distinctive name that must vanish everywhere."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import ROOT, base_env, machine, unshare_problem

from gpusetup.facts import FACTS_SCHEMA, Facts
from gpusetup.findings import Finding, Report, Status
from gpusetup.render.node_formats import NPD_MAX_MESSAGE, npd_line
from gpusetup.render.redact import Redactor

#: outputs written for each host name: file -> command
OUTPUTS = {
    "doctor.json": "doctor --json --no-smoke",
    "collect.json": "collect",
    "validate.json": "validate --profile default --no-smoke --format json",
    "validate.xml": "validate --profile default --no-smoke --format junit",
    "validate.npd": "validate --profile default --no-smoke --format npd",
    "validate.prom": "validate --profile default --no-smoke --format prometheus",
}
COMMON_NAMES = ["gpu", "node", "cuda", "driver", "smoke", "tensorflow", "nvidia", "pass"]
SHORT_NAMES = ["a", "x1", "42"]
DISTINCTIVE = "dgx-prod-17"
PLAIN_HOSTS = ["gpu", DISTINCTIVE]


def _unshare_works() -> str | None:
    return unshare_problem("-u", "hostname gpu && hostname", expect="gpu")


@pytest.fixture(scope="module")
def outputs_by_host(fake_driver_dir, tmp_path_factory) -> dict[str, dict[str, dict[str, str]]]:
    """host name -> "plain"/"redacted" -> file -> what the command wrote."""
    why = _unshare_works()
    if why:
        pytest.skip(why)
    env = base_env(FAKEGPU_MACHINE=str(machine("mixed8")), LD_LIBRARY_PATH=str(fake_driver_dir))
    results: dict[str, dict[str, dict[str, str]]] = {}
    for host in [*COMMON_NAMES, *SHORT_NAMES, DISTINCTIVE]:
        out = tmp_path_factory.mktemp(f"host-{host}")
        lines = [f"hostname {shlex.quote(host)}", f"cd {shlex.quote(str(ROOT))}"]
        # the unredacted outputs are the reference: taken under two names (one that is
        # also a word of gpusetup's, one that must vanish); under every other name the
        # redacted outputs must equal what redaction leaves of them (a host name is only a value)
        modes = [("redacted", " --redact")]
        if host in PLAIN_HOSTS:
            modes.insert(0, ("plain", ""))
        for mode, flag in modes:
            (out / mode).mkdir()
            for name, command in OUTPUTS.items():
                target = shlex.quote(str(out / mode / name))
                lines.append(
                    f"{shlex.quote(sys.executable)} -m gpusetup {command}{flag} > {target}"
                )
        proc = subprocess.run(
            ["unshare", "-u", "sh", "-c", "\n".join(lines)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
        results[host] = {
            mode: {name: (out / mode / name).read_text() for name in OUTPUTS} for mode, _ in modes
        }
    for outputs in results.values():
        outputs.setdefault("plain", results[PLAIN_HOSTS[0]]["plain"])
    return results


def _keys(data, prefix="") -> set[str]:
    """Every key path; keys that are paths (libraries) count as one shape."""
    found = set()
    if isinstance(data, dict):
        for key, value in data.items():
            name = "<path>" if key.startswith(("/", "~")) else key
            found.add(prefix + "." + name)
            found |= _keys(value, prefix + "." + name)
    elif isinstance(data, list):
        for value in data:
            found |= _keys(value, prefix + "[]")
    return found


def _prometheus(text: str) -> list[tuple[str, dict[str, str]]]:
    parser = pytest.importorskip("prometheus_client.parser")
    return [
        (sample.name, dict(sample.labels))
        for family in parser.text_string_to_metric_families(text)
        for sample in family.samples
    ]


HOSTS = [*COMMON_NAMES, *SHORT_NAMES, DISTINCTIVE]


@pytest.mark.parametrize("host", HOSTS)
def test_redacted_json_keeps_every_key_and_check_id(outputs_by_host, host):
    for name in ("doctor.json", "validate.json", "collect.json"):
        plain = json.loads(outputs_by_host[host]["plain"][name])
        redacted = json.loads(outputs_by_host[host]["redacted"][name])
        assert _keys(redacted) == _keys(plain), name
        facts = redacted.get("facts", redacted)
        assert facts["host"]["hostname"] == "<host>"
        if "findings" in plain:
            assert [f["id"] for f in redacted["findings"]] == [f["id"] for f in plain["findings"]]
            assert [f["subject"] for f in redacted["findings"]] == [
                f["subject"] for f in plain["findings"]
            ]
            assert redacted["summary"] == plain["summary"]


@pytest.mark.parametrize("host", HOSTS)
def test_redacted_junit_npd_and_prometheus_keep_ids_and_label_names(outputs_by_host, host):
    plain, redacted = outputs_by_host[host]["plain"], outputs_by_host[host]["redacted"]
    cases = [
        [c.get("name") for c in ET.fromstring(text).iter("testcase")]
        for text in (plain["validate.xml"], redacted["validate.xml"])
    ]
    assert cases[0] == cases[1] and "driver.version" in cases[1]
    assert ET.fromstring(redacted["validate.xml"]).find("testsuite").get("hostname") == "<host>"
    head = re.compile(r"NonOK: ([\w.-]+): ")
    assert head.match(redacted["validate.npd"]).group(1) == head.match(plain["validate.npd"]).group(
        1
    )
    samples = [_prometheus(text) for text in (plain["validate.prom"], redacted["validate.prom"])]
    assert [(n, sorted(labels)) for n, labels in samples[0]] == [
        (n, sorted(labels)) for n, labels in samples[1]
    ]
    checks = [[labels.get("check") for _, labels in s] for s in samples]
    assert checks[0] == checks[1]
    uuids = [labels["uuid"] for name, labels in samples[1] if name == "gpusetup_gpu_info"]
    assert uuids and all(u.startswith("GPU-redacted-") for u in uuids)


@pytest.mark.parametrize("host", COMMON_NAMES + SHORT_NAMES)
def test_a_common_or_short_hostname_leaves_gpusetups_own_words_alone(outputs_by_host, host):
    plain = json.loads(outputs_by_host[host]["plain"]["doctor.json"])
    redacted = json.loads(outputs_by_host[host]["redacted"]["doctor.json"])
    titles = [[f["title"] for f in r["findings"]] for r in (plain, redacted)]
    assert titles[0] == titles[1]
    assert (
        outputs_by_host[host]["redacted"]["validate.npd"]
        == (outputs_by_host[host]["plain"]["validate.npd"])
    )


def test_a_distinctive_hostname_vanishes_from_every_redacted_output(outputs_by_host):
    plain, redacted = (outputs_by_host[DISTINCTIVE][m] for m in ("plain", "redacted"))
    assert DISTINCTIVE in plain["doctor.json"] and DISTINCTIVE in plain["validate.xml"]
    for name, text in redacted.items():
        assert DISTINCTIVE not in text.lower(), name


@pytest.mark.parametrize(
    ("hostnames", "text", "expected"),
    [
        (["dgx-prod-17"], "ran on dgx-prod-17.", "ran on <host>."),
        (["dgx-prod-17"], "/scratch/dgx-prod-17/venv", "/scratch/<host>/venv"),
        (["dgx-prod-17"], "dgx-prod-17.cluster.local", "dgx-prod-17.cluster.local"),
        (["dgx-prod-17.cluster.local"], "at dgx-prod-17.cluster.local", "at <host>"),
        (["dgx-prod-17.cluster.local"], "node dgx-prod-17 down", "node <host> down"),
        (["DGX-Prod-17"], "dgx-prod-17 failed", "<host> failed"),
        (["dgx-prod-17"], "dgx-prod-170 and xdgx-prod-17", "dgx-prod-170 and xdgx-prod-17"),
        (["gpu"], "gpu.present failed on gpu", "gpu.present failed on gpu"),
        (["driver"], "The NVIDIA driver is too old", "The NVIDIA driver is too old"),
        (["a"], "a GPU", "a GPU"),
        (["42"], "GPU 42", "GPU 42"),
    ],
)
def test_hostname_rules_in_text(hostnames, text, expected):
    assert Redactor(hostnames, home="/home/alice").text(text) == expected


@pytest.mark.parametrize(
    ("home", "text", "expected"),
    [
        ("/root", "/root/.venv/lib", "~/.venv/lib"),
        ("/root", "/rootfs/usr/lib", "/rootfs/usr/lib"),
        ("/home/al", "/home/alice/x", "/home/alice/x"),
        ("/home/al", "HOME=/home/al", "HOME=~"),
    ],
)
def test_home_directory_is_replaced_only_as_a_whole_path(home, text, expected):
    assert Redactor([], home=home).text(text) == expected


def test_keys_keep_their_text_but_lose_uuids_and_home_paths():
    redact = Redactor(["gpu"], home="/home/alice")
    data = {
        "gpu": {"hostname": "gpu", "id": "gpu.present"},
        "/home/alice/lib/libcudart.so.12": {"path": "/home/alice/lib/libcudart.so.12"},
        "GPU-1f2e3d4c-0001-4a00-8000-00000000a001": "GPU-1f2e3d4c-0001-4a00-8000-00000000a001",
    }
    assert redact(data) == {
        "gpu": {"hostname": "<host>", "id": "gpu.present"},
        "~/lib/libcudart.so.12": {"path": "~/lib/libcudart.so.12"},
        "GPU-redacted-1": "GPU-redacted-1",
    }


# --- node-problem-detector's one line --------------------------------------------------------


def _report(findings: list[Finding]) -> Report:
    return Report({"name": "gpusetup"}, "ci-node", Facts(FACTS_SCHEMA, "now"), findings)


def test_npd_leads_with_a_failure_not_a_warning_the_strict_profile_promotes():
    findings = [
        Finding("gpu.persistence-mode", Status.WARN, "Persistence mode is off on 1 GPU(s)"),
        Finding("driver.version", Status.FAIL, "Driver 470.256.02 is too old"),
    ]
    code, line = npd_line(_report(findings), strict=True)
    assert code == 1
    assert line == (
        "NonOK: driver.version: Driver 470.256.02 is too old (+1 more: gpu.persistence-mode)"
    )


def test_npd_message_ends_cleanly_with_whole_ids_and_a_count_of_the_rest():
    findings = [Finding("driver.version", Status.FAIL, "Driver 470.256.02 is too old")] + [
        Finding(f"libs.required-number-{i:02d}", Status.FAIL, "A library is missing")
        for i in range(30)
    ]
    code, line = npd_line(_report(findings), strict=False)
    assert code == 1 and len(line) <= NPD_MAX_MESSAGE
    assert line.startswith("NonOK: driver.version: Driver 470.256.02 is too old (+30 more: ")
    listed = line.split("more: ", 1)[1].rsplit(";", 1)[0].split(", ")
    assert all(re.fullmatch(r"libs\.required-number-\d\d", i) for i in listed), listed
    assert line.endswith(f"; {30 - len(listed)} other check(s))")


def test_npd_cuts_an_overlong_title_at_a_word_and_keeps_the_count():
    title = "GPU 0 (" + "NVIDIA H100 80GB HBM3 " * 20 + ") is broken\nsecond line"
    findings = [Finding("gpu.health", Status.FAIL, title), Finding("x.y", Status.FAIL, "t")]
    code, line = npd_line(_report(findings), strict=False)
    assert code == 1 and len(line) <= NPD_MAX_MESSAGE and "\n" not in line
    assert line.endswith("... (+1 more: x.y)")
    whole = "NonOK: gpu.health: " + " ".join(title.split())
    kept = line[: line.index("...")]
    assert whole.startswith(kept) and whole[len(kept)] == " "  # cut between words


def test_npd_line_escapes_control_characters():
    findings = [Finding("gpu.model", Status.FAIL, "GPU \x1b[2J\u202eevil")]
    _, line = npd_line(_report(findings), strict=False)
    assert "\x1b" not in line and "\u202e" not in line and "\\x1b" in line


def test_redacted_console_report_through_the_cli(cli, tmp_path):
    run = cli("doctor", "--no-smoke", "--redact", machine_file="mixed8")
    assert run.returncode == 1
    first = run.stdout.splitlines()[0]
    assert "<host>" in first and os.uname().nodename not in first.split()

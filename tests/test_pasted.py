"""Pasted command output is evidence like a probe's: `--from FILE` (repeatable) on collect,
doctor, gpus, map and libs reads the real outputs of tests/data/outputs/real into Facts
marked as read from text (file and line), the same checks judge them, what the text does
not show is skipped saying so, `map` joins or predicts the numbering, `triage` answers the
numbering question from a paste, and bad input is refused with exit 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, base_env
from readers_corpus import CORPUS, pairs

from gpusetup.diagnose import diagnose
from gpusetup.facts import Facts
from gpusetup.findings import Status
from gpusetup.knowledge import load_profile
from gpusetup.render.json import facts_json
from gpusetup.tasks.source import get_facts

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CASES = sorted(p.stem for p in CORPUS.glob("*.txt"))
EXIT_USAGE = 2


def _case(name: str) -> dict:
    return tomllib.loads((CORPUS / f"{name}.toml").read_text(encoding="utf-8"))


def _path(name: str) -> str:
    return str(CORPUS / (name if name.endswith(".txt") else f"{name}.txt"))


def gpusetup(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "gpusetup", *args],
        capture_output=True,
        text=True,
        env=base_env(),
        timeout=120,
        cwd=ROOT,
        input=stdin,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _verdicts(facts: Facts, profile: str = "default") -> list[tuple[str, str, str]]:
    return [(f.id, f.status.value, f.title) for f in diagnose(facts, load_profile(profile))]


def _findings(*names: str, profile: str = "default"):
    return diagnose(get_facts([_path(n) for n in names]), load_profile(profile))


def _only(findings, check_id: str):
    return [f for f in findings if f.id == check_id]


# --- the whole corpus -------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_every_real_output_becomes_facts_read_from_text_that_replay_the_same(name):
    """collect --from's path: the facts JSON marks every fact as read from the file, and the
    facts read back give the same verdicts."""
    facts = get_facts([_path(name)])
    assert facts.text is not None and facts.text.sources
    assert all(src.path == _path(name) for src in facts.text.sources)
    assert any(src.kind == _case(name)["kind"] for src in facts.text.sources)
    replayed = Facts.from_json(json.loads(facts_json(facts, False)))
    assert replayed.text == facts.text
    assert _verdicts(replayed) == _verdicts(facts)


HEALTHY = [n for n in CASES if not _case(n).get("expect", {}).get("problems")]


@pytest.mark.parametrize("name", HEALTHY)
def test_a_healthy_pasted_output_gives_no_failure(name):
    failed = [(f.id, f.title) for f in _findings(name) if f.status is Status.FAIL]
    assert failed == []


#: the check that judges each problem the corpus's cases show (tests/data/outputs/real)
PROBLEM_CHECKS = {
    "not-a-symlink": "libs.symlinks",
    "two-libcuda": "libs.search-path",
    "two-cudnn": "libs.cudnn",
    "driver-library-mismatch": "driver.nvml",
    "gpu-lost": "gpu.nvml-query",
    "gpu-unknown-error": "gpu.nvml-query",
    "remap-pending": "gpu.health",
    "ecc-errors": "gpu.health",
    "retired-pages-pending": "gpu.health",
    "cuda-version-na": "driver.nvml",
    "cuda-version-err": "driver.nvml",
    "cc-too-low": "gpu.compute-capability",
}
PROBLEM_CASES = [(n, p) for n in CASES for p in _case(n).get("expect", {}).get("problems", [])]


@pytest.mark.parametrize(("name", "problem"), PROBLEM_CASES, ids=lambda x: str(x))
def test_each_problem_a_real_output_shows_is_found_by_its_check(name, problem):
    judged = _only(_findings(name), PROBLEM_CHECKS[problem])
    assert any(f.status in (Status.FAIL, Status.WARN) for f in judged), judged


def test_the_corpus_is_large_and_mixed():
    kinds = {_case(n)["kind"] for n in CASES}
    assert len(CASES) >= 150 and len(kinds) >= 15


# --- the problems pasted text shows ----------------------------------------------------------

PROBLEMS = [
    # (outputs, profile, check, status, words in the title)
    (["smi-q-retired-pages-pending"], "default", "gpu.health", "fail", "retirement pending"),
    (["smi-q-remapped-rows-pending"], "default", "gpu.health", "fail", "row remapping"),
    (["smi-q-sram-uncorrectable"], "default", "gpu.health", "warn", ""),
    (["smi-gpu-lost-linux"], "default", "gpu.nvml-query", "fail", "lost"),
    (["proc-version-580-mismatch"], "default", "driver.nvml", "fail", "mismatch"),
    (["ldconfig-not-symlink-cudnn5"], "default", "libs.symlinks", "warn", "broken library"),
    (["ls-la-wsl-libcuda-files"], "default", "libs.symlinks", "warn", "broken library"),
    (["ls-l-two-cudnn-70-and-4"], "default", "libs.cudnn", "warn", "Two cuDNN generations"),
    (["ldconfig-v-grep-libcuda-twice"], "default", "libs.search-path", "warn", "libcuda"),
    (
        ["cudnn-version-h-804-defines", "ls-l-cudnn960-alternatives"],
        "default",
        "libs.cudnn",
        "warn",
        "differ from the library",
    ),
    (["tf-log-16-ignoring-k2000m"], "default", "gpu.compute-capability", "fail", "ignores it"),
    # the profile names its minimum (9.0): a K40 (CC 3.5) fails against it
    (["dq-k40c-first-of-two"], "h100-node", "gpu.compute-capability", "fail", "below 9.0"),
    # without a profile the newest release is assumed: a warning that says so
    (["dq-k40c-first-of-two"], "default", "gpu.compute-capability", "warn", "below 6.0"),
    (["smi-table-450-titan-xp-cuda11"], "h100-node", "driver.version", "fail", "too old"),
    (["smi-table-wsl-545-err"], "default", "driver.nvml", "warn", "not with its CUDA version"),
    (["jetson-orin-nx-proc-version"], "default", "gpu.present", "pass", "Jetson"),
    (["proc-version-jetson-l4t-3531"], "default", "driver.version", "skip", ""),
    # a Blackwell GPU on lspci, the proprietary 580 module in the kernel log
    (
        ["lspci-nn-rtx5090-laptop-2c58-unnamed", "proc-version-dmesg-loading-580-blackwell"],
        "default",
        "driver.gpu-too-new",
        "fail",
        "need the open kernel modules; the proprietary one is loaded",
    ),
    # with nvidia-smi's "No devices were found" (NVML answers, lists nothing)
    (
        [
            "lspci-nn-rtx5090-laptop-2c58-unnamed",
            "smi-no-devices-found-rtx5090-laptop",
            "proc-version-dmesg-loading-580-blackwell",
        ],
        "default",
        "driver.gpu-too-new",
        "fail",
        "Blackwell GPUs need the open kernel modules",
    ),
    (["smi-no-devices-found-rtx5090-laptop"], "default", "driver.nvml", "pass", "0 GPU(s)"),
    # lspci alone names no driver
    (["lspci-nn-rtx5090-laptop-2c58-unnamed"], "default", "driver.gpu-too-new", "skip", ""),
]


@pytest.mark.parametrize(
    ("names", "profile", "check_id", "status", "words"),
    PROBLEMS,
    ids=[f"{'+'.join(p[0])}:{p[2]}:{p[1]}" for p in PROBLEMS],
)
def test_the_checks_judge_what_pasted_text_shows(names, profile, check_id, status, words):
    found = _only(_findings(*names, profile=profile), check_id)
    assert found, check_id
    assert found[0].status.value == status, found[0]
    assert words in found[0].title + found[0].detail


def test_doctor_from_lspci_and_the_kernel_log_names_the_blackwell_gpu_and_its_fix():
    run = gpusetup(
        "doctor",
        "--json",
        "--from",
        _path("lspci-nn-rtx5090-laptop-2c58-unnamed"),
        "--from",
        _path("proc-version-dmesg-loading-580-blackwell"),
    )
    found = [f for f in json.loads(run.stdout)["findings"] if f["id"] == "driver.gpu-too-new"]
    assert [(f["status"], f["subject"]) for f in found] == [("fail", "PCI 0000:02:00.0")]
    assert "(10de:2c58) at 0000:02:00.0: Blackwell" in found[0]["title"]
    assert "nvidia-driver-<branch>-open" in found[0]["fix"]
    evidence = found[0]["evidence"]
    assert evidence["driver"] == "580.105.08" and evidence["kernel module"] == "proprietary"
    assert any(
        "proc-version-dmesg-loading-580-blackwell.txt:3" in str(v) for v in evidence.values()
    )


def test_the_assumed_target_is_said_in_the_finding():
    cc = _only(_findings("dq-k40c-first-of-two"), "gpu.compute-capability")[0]
    assert "the newest release" in cc.detail and "target.tensorflow" in cc.detail


def test_a_jetson_is_told_apart_from_a_desktop_driver():
    version = _only(_findings("proc-version-jetson-l4t-3531"), "driver.version")[0]
    assert "Jetson" in version.detail


def test_a_finding_names_the_file_and_line_it_was_read_from():
    health = _only(_findings("smi-q-retired-pages-pending"), "gpu.health")[0]
    where = health.evidence["read from"]
    assert where and all(w.startswith(_path("smi-q-retired-pages-pending") + ":") for w in where)
    assert "(nvidia-smi-q)" in where[0]


def test_what_the_text_does_not_show_is_skipped_saying_so():
    findings = _findings("smi-table-565-h100x8")
    for check_id in ("driver.nouveau", "libs.required", "env.cuda-visible-devices", "cuda.init"):
        (finding,) = _only(findings, check_id)
        assert finding.status is Status.SKIP
        assert finding.detail.startswith("Not shown in the pasted text"), finding


def test_outputs_of_two_machines_are_named_as_disagreeing():
    findings = _findings("smi-table-565-h100x8", "smi-table-550-l40s")
    (consistent,) = _only(findings, "input.consistent")
    assert consistent.status is Status.WARN and "disagreement" in consistent.title


def test_probed_facts_give_no_input_finding():
    facts = get_facts([_path("smi-table-565-h100x8")])
    from dataclasses import replace

    assert (
        _only(diagnose(replace(facts, text=None), load_profile("default")), "input.consistent")
        == []
    )


# --- the CLI -------------------------------------------------------------------------------


def test_collect_turns_pastes_into_a_facts_file_that_doctor_replays(tmp_path):
    pastes = ["smi-q-retired-pages-pending", "proc-version-580-mismatch"]
    args = [a for n in pastes for a in ("--from", _path(n))]
    out = tmp_path / "facts.json"
    assert gpusetup("collect", *args, "-o", str(out)).returncode == 0
    facts = json.loads(out.read_text())
    assert {s["path"] for s in facts["text"]["sources"]} == {_path(n) for n in pastes}
    direct = gpusetup("doctor", "--json", "--no-smoke", *args)
    replayed = gpusetup("doctor", "--json", "--no-smoke", "--from", str(out))
    assert direct.returncode == replayed.returncode == 1

    def verdicts(run):
        return [(f["id"], f["status"], f["title"]) for f in json.loads(run.stdout)["findings"]]

    assert verdicts(direct) == verdicts(replayed)


@pytest.mark.parametrize("command", ["doctor", "gpus", "map", "libs", "collect"])
def test_every_command_takes_from_pasted_output(command):
    paste = "ls-l-two-cudnn-70-and-4" if command == "libs" else "smi-table-560-3090x2"
    args = [command, "--from", _path(paste)]
    run = gpusetup(*args, *(["--no-smoke"] if command == "doctor" else []))
    assert run.returncode in (0, 1), run.stderr
    assert run.stdout


@pytest.mark.parametrize("pair", pairs(), ids=lambda p: p["smi"])
def test_map_from_each_same_machine_pair_gives_its_exact_mapping(pair):
    run = gpusetup("map", "--json", "--from", _path(pair["smi"]), "--from", _path(pair["cuda"]))
    dmap = json.loads(run.stdout)
    assert dmap["cuda_source"] == "listed"
    got = {
        r["smi_index"]: r["cuda_ordinal"]
        for r in dmap["rows"]
        if r["smi_index"] is not None and r["cuda_ordinal"] is not None
    }
    expected = {int(k): v for k, v in pair["mapping"].items()}
    assert got == expected
    assert dmap["orders_differ"] == (list(expected.values()) != sorted(expected.values()))
    if dmap["orders_differ"]:
        assert "CUDA_DEVICE_ORDER=PCI_BUS_ID" in " ".join(dmap["notes"])


def test_map_from_nvidia_smi_alone_predicts_the_cuda_order_and_says_how_to_confirm():
    run = gpusetup("map", "--json", "--from", _path("smi-table-367-gtx460-780ti"))
    dmap = json.loads(run.stdout)
    assert dmap["cuda_source"] == "predicted"
    assert {r["smi_index"]: r["cuda_ordinal"] for r in dmap["rows"]} == {0: 1, 1: 0}
    assert dmap["orders_differ"] and "deviceQuery" in dmap["notes"][0]
    table = gpusetup("map", "--from", _path("smi-table-367-gtx460-780ti")).stdout
    assert "CUDA (pred.)" in table


def test_map_says_a_prediction_of_close_models_is_uncertain():
    dmap = json.loads(gpusetup("map", "--json", "--from", _path("smi-L-6gpu-redacted")).stdout)
    assert "uncertain" in dmap["notes"][0] and "close in speed" in dmap["notes"][0]


def test_map_selects_a_gpu_without_uuid_by_its_pci_position():
    run = gpusetup("map", "--from", _path("smi-table-565-h100x8"), "--select", "5")
    assert run.returncode == 0
    assert run.stdout.strip() == "export CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=5"


# --- triage: the numbering question answered from a paste --------------------------------


def _triage(text: str, tmp_path: Path) -> dict:
    log = tmp_path / "paste.log"
    log.write_text(text)
    run = gpusetup("triage", "--json", "--elsewhere", str(log))
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)["numbering"]


def _text(name: str) -> str:
    return (CORPUS / f"{name}.txt").read_text(encoding="utf-8")


def test_triage_answers_which_number_from_nvidia_smi_and_a_cuda_listing(tmp_path):
    text = (
        "nvidia-smi says GPU 1 is the 4090; which number does my config need?\n"
        + _text("smi-table-580-5090-4090-mixed")
        + _text("p2p-mixed7-4090-5090-3090")
    )
    numbering = _triage(text, tmp_path)
    assert numbering["asked"] == [1]
    answer = " ".join(numbering["answer"])
    assert "nvidia-smi GPU 1 (NVIDIA GeForce RTX 4090) is CUDA device 0" in answer
    assert "as the pasted CUDA listing numbers it" in answer
    assert numbering["line"] == "export CUDA_DEVICE_ORDER=FASTEST_FIRST CUDA_VISIBLE_DEVICES=0"


def test_triage_answers_from_nvidia_smi_alone_with_the_predictions_caveat(tmp_path):
    text = "nvidia-smi -L says GPU 4, 5, 6; which number does my config need?\n" + _text(
        "smi-L-6gpu-redacted"
    )
    numbering = _triage(text, tmp_path)
    assert numbering["asked"] == [4, 5, 6]
    answer = " ".join(numbering["answer"])
    assert "nvidia-smi shows no GPU 6" in answer
    assert "cannot be predicted for sure" in answer and "deviceQuery" in answer
    assert numbering["line"] == "export CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=4,5"
    assert numbering["device_map"]["cuda_source"] == "predicted"


def test_triage_of_a_log_without_a_gpu_listing_has_no_numbering(tmp_path):
    assert (
        _triage("ImportError: libcudart.so.12: cannot open shared object file\n", tmp_path) is None
    )


# --- bad input ----------------------------------------------------------------------------


def _refused(run: subprocess.CompletedProcess, path: str) -> None:
    assert run.returncode == EXIT_USAGE, (run.returncode, run.stderr)
    assert path in run.stderr and "internal error" not in run.stderr


def test_text_that_holds_no_output_is_refused_saying_nothing_was_recognised(tmp_path):
    paste = tmp_path / "notes.txt"
    paste.write_text("my GPU does not work, please help\n")
    run = gpusetup("doctor", "--from", str(paste))
    _refused(run, str(paste))
    assert "recognised nothing" in run.stderr and "nvidia-smi-table" in run.stderr


def test_one_unreadable_paste_among_good_ones_is_named(tmp_path):
    paste = tmp_path / "prose.txt"
    paste.write_text("nothing here\n")
    run = gpusetup("map", "--from", _path("smi-table-560-3090x2"), "--from", str(paste))
    _refused(run, str(paste))


def test_binary_input_is_refused(tmp_path):
    blob = tmp_path / "core.bin"
    blob.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)
    run = gpusetup("collect", "--from", str(blob))
    _refused(run, str(blob))
    assert "binary" in run.stderr


def test_a_huge_paste_is_refused_before_it_is_read(tmp_path):
    from gpusetup.probe.recorded import PASTED_TEXT_LIMIT

    big = tmp_path / "big.txt"
    big.write_text(_text("smi-table-560-3090x2") * (PASTED_TEXT_LIMIT // 2000 + 2))
    run = gpusetup("doctor", "--from", str(big))
    _refused(run, str(big))
    assert "larger than" in run.stderr


def test_a_directory_is_refused(tmp_path):
    _refused(gpusetup("gpus", "--from", str(tmp_path)), str(tmp_path))


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _refused(gpusetup("libs", "--from", str(fifo)), str(fifo))


def test_a_facts_file_mixed_with_pastes_is_refused(tmp_path):
    out = tmp_path / "facts.json"
    gpusetup("collect", "--from", _path("smi-table-560-3090x2"), "-o", str(out))
    run = gpusetup("doctor", "--from", str(out), "--from", _path("dq-3090x2"))
    _refused(run, str(out))


def test_libs_from_a_paste_without_a_library_listing_says_so():
    run = gpusetup("libs", "--from", _path("smi-table-560-3090x2"))
    _refused(run, _path("smi-table-560-3090x2"))
    assert "no library listing" in run.stderr


def test_stdin_takes_a_paste():
    run = gpusetup("gpus", "--json", "--from", "-", stdin=_text("smi-table-560-3090x2"))
    assert run.returncode == 0
    assert len(json.loads(run.stdout)["gpus"]) == 2


# --- scripts/compare_nvidia_smi.py ---------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in CASES if _case(n)["kind"] == "nvidia-smi-csv"])
def test_compare_script_reads_each_real_csv_as_gpus_from_reads_it(tmp_path, name):
    listed = tmp_path / "gpus.json"
    listed.write_text(gpusetup("gpus", "--json", "--from", _path(name)).stdout)
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts/compare_nvidia_smi.py"), _path(name), str(listed)],
        capture_output=True,
        text=True,
        timeout=60,
        env=base_env(),
    )
    assert run.returncode == 0 and "OK" in run.stdout, run.stdout + run.stderr


def test_the_console_report_says_its_facts_were_read_from_pasted_text():
    # relative to the run's directory: a long checkout path would be folded by the console
    paste = os.path.relpath(_path("smi-table-331-8400gs-titan"), ROOT)
    run = gpusetup("doctor", "--from", paste, "--no-smoke")
    assert run.returncode in (0, 1), run.stderr
    said = " ".join(run.stdout.split())  # the console wraps long lines
    assert f"read from pasted text, not probed: {paste}:1-17 (nvidia-smi-table)" in said
    assert "read from pasted text" not in gpusetup("doctor", "--no-smoke").stdout

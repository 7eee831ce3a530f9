"""Start-up time of gpusetup's everyday commands, as ratios to the floor any typer + rich
program pays on this machine.

    python bench/startup.py [--runs N]

Floor: ``python -c "import typer, rich.console"``. Targets: ``gpusetup --help`` <= 1.1x
the floor, ``gpusetup doctor --no-smoke`` <= 2.0x. Ratios are taken between medians of
runs interleaved round by round, so a busy moment on a shared machine slows all three
alike; the spread (lowest and highest run) is printed beside each median, and the median
CPU time (user + system, its children included), which a busy machine disturbs less than
the wall time. Bytecode
caching is on, as for a user (install.sh precompiles the package), even where the
environment turns it off. With PyTorch installed, ``python -m torch.utils.collect_env``
is timed too, for comparison.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

#: as a user runs it: Python caches bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE,
#: which would make every run compile gpusetup from source)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

FLOOR = "python -c 'import typer, rich.console'"
TARGETS = {"gpusetup --help": 1.1, "gpusetup doctor --no-smoke": 2.0}


def seconds(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the command and its children) of one run."""
    # os.wait4 returns the moment the child ends (a wait with a timeout polls, which would
    # round every run up); a timer bounds it instead
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    deadline = threading.Timer(120, proc.kill)
    deadline.start()
    try:
        _, _, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        deadline.cancel()
    proc.returncode = 0  # reaped by wait4; Popen must not wait for it again
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("gpusetup", path=str(Path(sys.executable).parent)) or shutil.which(
        "gpusetup"
    )
    base = [exe] if exe else [sys.executable, "-m", "gpusetup"]
    cases = {
        FLOOR: [sys.executable, "-c", "import typer, rich.console"],
        "gpusetup --help": base + ["--help"],
        "gpusetup doctor --no-smoke": base + ["doctor", "--no-smoke"],
        "gpusetup doctor --no-smoke --json": base + ["doctor", "--no-smoke", "--json"],
    }
    if importlib.util.find_spec("torch") is not None:
        cases["python -m torch.utils.collect_env"] = [
            sys.executable,
            "-m",
            "torch.utils.collect_env",
        ]
    for argv in cases.values():  # warm the page cache and the bytecode cache
        seconds(argv)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():
            wall, used = seconds(argv)
            samples[name].append(wall)
            cpu[name].append(used)
    floor = statistics.median(samples[FLOOR])
    print(
        f"{'command':<40} {'median':>8} {'lowest':>8} {'highest':>8} {'cpu':>8}  ratio  "
        f"({args.runs} runs)"
    )
    for name, runs in samples.items():
        median = statistics.median(runs)
        ratio = median / floor
        target = TARGETS.get(name)
        verdict = (
            "" if target is None else (f"<= {target}x " + ("ok" if ratio <= target else "OVER"))
        )
        print(
            f"{name:<40} {median:>6.3f} s {min(runs):>6.3f} s {max(runs):>6.3f} s "
            f"{statistics.median(cpu[name]):>6.3f} s  {ratio:4.2f}x {verdict}"
        )
    print(
        f"ratios: --help / floor = {statistics.median(samples['gpusetup --help']) / floor:.2f}, "
        f"doctor --no-smoke / floor = "
        f"{statistics.median(samples['gpusetup doctor --no-smoke']) / floor:.2f}"
    )


if __name__ == "__main__":
    main()

"""Median wall time of gpusetup's everyday commands on this machine.

    python bench/startup.py [--runs N]

Times `gpusetup --help`, `gpusetup doctor` (no smoke test) and, when PyTorch is
installed, `python -m torch.utils.collect_env` for comparison. Targets: --help <= 0.15 s,
doctor <= 0.3 s. Bytecode caching is on, as for a user, even where the environment
turns it off.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: as a user runs it: Python caches bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE,
#: which would make every run compile gpusetup from source)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(argv: list[str], runs: int) -> float:
    # the first run warms the page cache and writes the bytecode cache
    subprocess.run(argv, capture_output=True, timeout=120, env=ENV)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, timeout=120, env=ENV)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("gpusetup", path=str(Path(sys.executable).parent)) or shutil.which(
        "gpusetup"
    )
    base = [exe] if exe else [sys.executable, "-m", "gpusetup"]
    cases = {
        "gpusetup --help": (base + ["--help"], 0.15),
        "gpusetup doctor": (base + ["doctor"], 0.30),
        "gpusetup doctor --json": (base + ["doctor", "--json"], 0.30),
    }
    if importlib.util.find_spec("torch") is not None:
        cases["python -m torch.utils.collect_env"] = (
            [sys.executable, "-m", "torch.utils.collect_env"],
            None,
        )
    print(f"{'command':<36} {'median':>8}  target   ({args.runs} runs each)")
    for name, (argv, target) in cases.items():
        seconds = median_seconds(argv, args.runs)
        verdict = "" if target is None else ("ok" if seconds <= target else "OVER")
        shown = f"<= {target:.2f} s" if target else ""
        print(f"{name:<36} {seconds:>6.3f} s  {shown} {verdict}")


if __name__ == "__main__":
    main()

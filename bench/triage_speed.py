"""How long `gpusetup triage` takes on 50 MB of log in which nothing matches: the engine
alone (in this process) and the whole command (a new Python process, start-up included),
each as wall time and as CPU time (user + system: what other work on a shared machine
changes least). Medians of several runs; measure when the machine is quiet.

    .venv/bin/python bench/triage_speed.py [--runs 5] [--mb 50]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: a TensorFlow training log's ordinary line, and prose: neither names a GPU problem
FILLERS = {
    "tf-info": (
        b"2026-03-05 10:11:12.000000: I tensorflow/core/whatever.cc:1] step done, loss 0.42\n"
    ),
    "keras-progress": (
        b"1875/1875 [==============================] - 3s 1ms/step - loss: "
        b"0.2975 - accuracy: 0.9139\n"
    ),
}


def write_log(path: Path, filler: bytes, mb: int) -> None:
    with path.open("wb") as out:
        block = filler * (1_000_000 // len(filler) + 1)
        for _ in range(mb):
            out.write(block[:1_000_000])


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def median_seconds(run, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median wall and median CPU seconds of ``runs`` calls of ``run``."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        run()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    from gpusetup.logtriage import triage_chunks
    from gpusetup.logtriage.catalogue import catalogue
    from gpusetup.probe.inputs import InputChunks

    cat = catalogue()  # the command loads it once too; here it is not what is measured
    # each pass's anchor character (an escaped literal, several bytes in another script)
    chars = "".join(p.pattern.split(b"(?=")[0].decode().replace("\\", "") for p, _ in cat.prefilter)
    print(f"prefilter: {len(cat.prefilter)} passes ({chars})")
    with tempfile.TemporaryDirectory() as tmp:
        for name, filler in FILLERS.items():
            log = Path(tmp) / f"{name}.log"
            write_log(log, filler, args.mb)

            def engine(log: Path = log) -> None:
                result = triage_chunks(InputChunks(log, 256 << 20))
                assert not result.items, [i.id for i in result.items]

            def command(log: Path = log) -> None:
                proc = subprocess.run(
                    [sys.executable, "-m", "gpusetup", "triage", str(log)],
                    capture_output=True,
                    cwd=REPO,
                    env={**os.environ, "PYTHONPATH": str(REPO)},
                )
                assert proc.returncode == 0, proc.stderr

            e, e_cpu = median_seconds(engine, args.runs)
            c, c_cpu = median_seconds(command, args.runs)
            print(
                f"{name}: {args.mb} MB, no match: engine {e:.2f} s (CPU {e_cpu:.2f} s), "
                f"command {c:.2f} s (CPU {c_cpu:.2f} s) (medians of {args.runs})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

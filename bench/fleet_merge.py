"""How long `gpusetup fleet merge` takes for many nodes' reports.

    python bench/fleet_merge.py [--nodes 2000]

Writes N copies of this machine's real `doctor --json` report under different hostnames,
then times the merge in-process and as the CLI (start-up included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    args = parser.parse_args()
    report = json.loads(
        subprocess.run(
            [sys.executable, "-m", "gpusetup", "doctor", "--json", "--no-smoke"],
            capture_output=True,
            text=True,
        ).stdout
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n in range(args.nodes):
            report["facts"]["host"]["hostname"] = f"gpu{n:05d}"
            path = Path(tmp) / f"gpu{n:05d}.json"
            path.write_text(json.dumps(report))
            paths.append(path)
        size = sum(p.stat().st_size for p in paths) / 2**20
        from gpusetup.tasks.fleet import merge

        start = time.perf_counter()
        summary = merge(paths)
        in_process = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gpusetup", "fleet", "merge", "--json", *map(str, paths)],
            capture_output=True,
        )
        cli = time.perf_counter() - start
    print(
        f"{summary.nodes} reports ({size:.1f} MiB): merge {in_process:.3f} s in-process, "
        f"{cli:.3f} s as `gpusetup fleet merge`"
    )


if __name__ == "__main__":
    main()

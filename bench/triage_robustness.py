"""How well `gpusetup triage` survives what pasting does to a message: every example line of
the message catalogue and the line of each real corpus case's first root cause, damaged one
way at a time (tests/paste_damage.py: a word dropped, the full stop lost, HTML entities,
no-break spaces, a log tool's prefix, a hard wrap ...), and per damage kind how often the
first root cause keeps the sample's family (and its entry); also how many healthy real logs,
damaged the same way, name a root cause (they must not).

    .venv/bin/python bench/triage_robustness.py [--kind KIND] [--show-lost N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from paste_damage import (  # noqa: E402
    DAMAGE,
    catalogue_samples,
    corpus_samples,
    healthy_logs,
    healthy_roots,
    outcome,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", action="append", help="only this damage kind (repeatable)")
    parser.add_argument("--show-lost", type=int, default=0, help="print N lost samples per kind")
    parser.add_argument("--no-healthy", action="store_true", help="skip the healthy logs")
    args = parser.parse_args()
    kinds = args.kind or list(DAMAGE)
    examples = list(catalogue_samples())
    cases = list(corpus_samples())
    healthy = [] if args.no_healthy else list(healthy_logs())
    print(
        f"samples: {len(examples)} catalogue example lines, {len(cases)} corpus root-cause "
        f"lines, {len(healthy)} healthy logs (undamaged, each names its own family)"
    )
    print(
        "| damage | catalogue: family kept (same entry) | corpus: family kept (same entry) "
        "| healthy logs with a root cause |"
    )
    print("|---|---|---|---|")
    for kind in kinds:
        cells = []
        lost_all = []
        for samples in (examples, cases):
            result, lost = outcome(kind, samples)
            lost_all += lost
            pct = 100 * result.share()
            cells.append(f"{result.family}/{result.applied} ({pct:.0f}%) ({result.same_id})")
        bad = healthy_roots(kind, healthy) if healthy and not kind.startswith("word") else []
        print(f"| {kind} | {cells[0]} | {cells[1]} | {len(bad)} |")
        for sample, text in lost_all[: args.show_lost]:
            print(f"    lost {sample.name} ({sample.family}): {text!r}"[:300])
        for name in bad[: args.show_lost]:
            print(f"    healthy {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

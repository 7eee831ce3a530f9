"""Accuracy of `gpusetup triage` on the real-log corpus (tests/data/logs/real/): per family,
how often the first root cause names the case's family; how often it also has a diagnosis
and a fix; how often they name the facts the case lists (`mentions`), in the diagnosis
sentence without the quoted log line and with it.

    .venv/bin/python bench/triage_accuracy.py [--cases DIR] [--show-wrong]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gpusetup.logtriage import triage_text  # noqa: E402

_QUOTE = re.compile(r' Log line \d+: ".*$', re.S)


def evaluate(case_dir: Path) -> list[dict]:
    rows = []
    for log in sorted(case_dir.glob("*.log")):
        meta = tomllib.loads(log.with_suffix(".toml").read_text(encoding="utf-8"))
        result = triage_text(log.read_text(encoding="utf-8", errors="replace"))
        roots = result.root_causes
        first = roots[0] if roots else None
        family = meta["family"]
        got = first.family if first else "healthy"
        said = f"{first.diagnosis} {first.fix}" if first else ""
        sentence = f"{_QUOTE.sub('', first.diagnosis)} {first.fix}" if first else ""
        mentions = meta.get("mentions", [])
        rows.append(
            {
                "case": log.stem,
                "family": family,
                "got": got,
                "right": got == family,
                "complete": got == family
                and (family == "healthy" or bool(first and first.diagnosis and first.fix)),
                "mentions": got == family and all(m in said for m in mentions),
                "mentions_sentence": got == family and all(m in sentence for m in mentions),
                "first": first.id if first else None,
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    per: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        per[row["family"]].append(row)
    lines = [
        (
            "| family | cases | family right | + diagnosis and fix | + mentions "
            "(with quote) | + mentions (sentence only) |"
        ),
        "|---|---|---|---|---|---|",
    ]

    def pct(part: list[dict], key: str) -> str:
        n = sum(r[key] for r in part)
        return f"{n}/{len(part)} ({100 * n / len(part):.0f}%)"

    for family in sorted(per):
        part = per[family]
        lines.append(
            f"| {family} | {len(part)} | {pct(part, 'right')} | {pct(part, 'complete')} | "
            f"{pct(part, 'mentions')} | {pct(part, 'mentions_sentence')} |"
        )
    lines.append(
        f"| **all** | {len(rows)} | {pct(rows, 'right')} | {pct(rows, 'complete')} | "
        f"{pct(rows, 'mentions')} | {pct(rows, 'mentions_sentence')} |"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=REPO / "tests" / "data" / "logs" / "real")
    parser.add_argument("--show-wrong", action="store_true")
    args = parser.parse_args()
    rows = evaluate(args.cases)
    print(table(rows))
    if args.show_wrong:
        for row in rows:
            if not row["mentions"]:
                print(
                    f"{row['case']}: want {row['family']}, got {row['got']} ({row['first']})"
                    + ("" if not row["right"] else "  [mentions missing]")
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

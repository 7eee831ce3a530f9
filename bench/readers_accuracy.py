"""How exactly gpusetup.parse reads the real-output corpus: every expected field of every
case (tests/data/outputs/real/*.toml), counted per kind, with every miss and every value
read that the text does not show, and how often the readers' cut notes agree with the
corpus' cut flags.

    python bench/readers_accuracy.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from readers_corpus import cases, compare, load, text  # noqa: E402

from gpusetup.parse import read  # noqa: E402
from gpusetup.parse.detect import detect  # noqa: E402


def main() -> int:
    fields: Counter[str] = Counter()
    right: Counter[str] = Counter()
    samples: Counter[str] = Counter()
    detected: Counter[str] = Counter()
    cut_agree: Counter[str] = Counter()
    misses: list[str] = []
    for name in cases():
        case = load(name)
        kind = case["kind"]
        reading = read(kind, text(name))
        comparisons, guesses = compare(name, reading)
        samples[kind] += 1
        detected[kind] += detect(text(name)).kinds == [kind]
        cut_agree[kind] += reading.cut == case["cut"]
        for comparison in comparisons:
            fields[kind] += 1
            right[kind] += comparison.ok
            if not comparison.ok:
                misses.append(
                    f"  {name}: {comparison.field} expected {comparison.expected!r}, "
                    f"read {comparison.got!r}"
                )
        misses += [f"  {name}: {g.field} read {g.got!r}, not in the text" for g in guesses]
    print(f"{'kind':18} {'cases':>5} {'fields right':>14} {'kind detected':>14} {'cut agrees':>11}")
    for kind in sorted(samples):
        print(
            f"{kind:18} {samples[kind]:5} {right[kind]:7}/{fields[kind]:<6} "
            f"{detected[kind]:7}/{samples[kind]:<6} {cut_agree[kind]:5}/{samples[kind]:<5}"
        )
    total, good = sum(fields.values()), sum(right.values())
    print(
        f"{'all':18} {sum(samples.values()):5} {good:7}/{total:<6} "
        f"{sum(detected.values()):7}/{sum(samples.values()):<6} "
        f"{sum(cut_agree.values()):5}/{sum(samples.values()):<5}"
    )
    print(f"fields read exactly: {100 * good / total:.1f}%")
    print("misses and values not in the text:" if misses else "no miss, nothing guessed")
    print("\n".join(misses))
    return 0 if not misses else 1


if __name__ == "__main__":
    sys.exit(main())

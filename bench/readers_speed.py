"""Time gpusetup.parse's detect on a large paste built from the real-output corpus (every
case, with prose between them, repeated), to show the work grows linearly with the paste.

    python bench/readers_speed.py [MB ...]     # default: 5 50
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from readers_corpus import cases, text  # noqa: E402

from gpusetup.parse.detect import detect  # noqa: E402


def paste_of(megabytes: float) -> str:
    unit = "\n\nHere is another one:\n\n".join(text(name) for name in cases())
    repeats = max(1, round(megabytes * 1024 * 1024 / len(unit)))
    return "\n\nand on the next machine:\n\n".join([unit] * repeats)


def main(argv: list[str]) -> int:
    sizes = [float(a) for a in argv] or [5.0, 50.0]
    for megabytes in sizes:
        paste = paste_of(megabytes)
        start = time.perf_counter()
        result = detect(paste)
        seconds = time.perf_counter() - start
        size = len(paste.encode()) / 1024 / 1024
        gpus = sum(len(block.reading.gpus) for block in result.blocks)
        print(
            f"{size:6.1f} MB, {paste.count(chr(10)) + 1:9} lines: {seconds:6.2f} s "
            f"({seconds / size:.2f} s/MB), {len(result.blocks)} blocks, {gpus} GPUs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

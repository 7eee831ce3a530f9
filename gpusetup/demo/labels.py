"""The 1000 ImageNet class names in English and Chinese, shipped as data, one per line in
class-index order (the order of the Keras and torchvision ImageNet classifiers).

English: ``_IMAGENET_CATEGORIES`` of torchvision 0.29.1 (BSD-3-Clause),
``torchvision/models/_meta.py`` (sha256 7eaa5e40...b00dbc096), copied verbatim.
Chinese: gpusetup's own translation, line by line.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gpusetup.serde import record

DATA = Path(__file__).with_name("data")
CLASSES = 1000


class LabelsBroken(Exception):
    """A label file is missing lines or does not match the other (a packaging error)."""


@record
class Labels:
    en: tuple[str, ...]
    zh: tuple[str, ...]

    def name(self, index: int) -> tuple[str, str]:
        return self.en[index], self.zh[index]


def read_label_file(path: Path) -> tuple[str, ...]:
    lines = tuple(path.read_text(encoding="utf-8").splitlines())
    if len(lines) != CLASSES or not all(line.strip() for line in lines):
        raise LabelsBroken(f"{path}: expected {CLASSES} non-empty lines, found {len(lines)}")
    return lines


@cache
def imagenet_labels() -> Labels:
    return Labels(
        read_label_file(DATA / "imagenet_en.txt"), read_label_file(DATA / "imagenet_zh.txt")
    )

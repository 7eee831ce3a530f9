"""pip's list of the tensorflow releases it saw names the Python it ran on (the list starts
at that Python's first release), and a pinned release outside it gets the Pythons it has
wheels for. The paste is real (URL beside it); the listings of the unit cases are synthetic
(they test the rule's edges); the table is PyPI's (facts.toml)."""

from __future__ import annotations

import pytest

from gpusetup.knowledge import tensorflow_builds
from gpusetup.logtriage import triage_text
from gpusetup.logtriage.catalogue import catalogue
from gpusetup.logtriage.explain import _release_key, python_of_listing

# https://github.com/tensorflow/tensorflow/issues/39130 (the whole paste)
_TF21_ON_38 = """\
ERROR: Could not find a version that satisfies the requirement tensorflow==2.1.0 (from versions: 2.2.0rc1, 2.2.0rc2, 2.2.0rc3, 2.2.0rc4)
ERROR: No matching distribution found for tensorflow==2.1.0
"""  # noqa: E501 - verbatim paste


def test_the_listing_names_the_python_and_the_pinned_release_its_pythons() -> None:
    root = triage_text(_TF21_ON_38).root_causes[0]
    assert root.family == "wheel"
    assert "so pip ran on Python 3.8" in root.diagnosis
    assert "TensorFlow 2.1.0 has wheels for Python 2.7, 3.5, 3.6, 3.7 only" in root.diagnosis
    assert root.fix.startswith("Run it on Python 3.7 (the newest with a TensorFlow 2.1.0 wheel)")


@pytest.mark.parametrize(
    ("listing", "requirement"),
    [
        # two Pythons (2.7 and 3.5) start at 0.12.0: no guess
        ("0.12.0, 0.12.1, 1.0.0", "tensorflow==0.11.0"),
        # a listing that starts at no Python's first release (another platform's wheels)
        ("2.10.0, 2.11.0", "tensorflow==2.9.0"),
        # another package's releases
        ("2.2.0rc1, 2.2.0rc2", "tensorflow-gpu==2.1.0"),
    ],
)
def test_no_python_is_named_without_one_answer(listing: str, requirement: str) -> None:
    assert python_of_listing(listing, requirement) is None


def test_a_pinned_release_the_python_has_gets_no_other_python() -> None:
    said, fix = python_of_listing("2.2.0, 2.3.0", "tensorflow==2.3.0")
    assert said.endswith("so pip ran on Python 3.8.") and fix == ""


def test_the_wheel_table_agrees_with_the_release_table() -> None:
    """Two sources: PyPI's wheels per Python (facts.toml) and the Python range of each
    release in checks/data/tensorflow.toml (TensorFlow's docs)."""
    wheels = {
        py: row
        for py, row in catalogue().facts["tensorflow_python_wheels"].items()
        if isinstance(row, dict)
    }
    for build in tensorflow_builds():
        release = _release_key(build.version)
        for py, row in wheels.items():
            has = _release_key(row["oldest"])[:2] <= release and (
                not row["newest"] or release <= _release_key(row["newest"])[:2]
            )
            assert has == build.supports_python(py), (build.version, py)

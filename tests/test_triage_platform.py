"""The platform a log comes from, read from its paths: a macOS home directory only where
the path starts there. Lines are real (URLs beside them)."""

from __future__ import annotations

import pytest

from gpusetup.logtriage.context import infer
from gpusetup.parse.log import LogLine


@pytest.mark.parametrize(
    ("line", "platform"),
    [
        # https://github.com/donaldlab/OSPREY3/issues/47 (a MacBook Pro)
        (
            "/Users/hunternisonoff/anaconda3/lib/python3.6/site-packages/osprey/__init__.py "
            "in printGpuInfo()",
            "macos",
        ),
        # https://github.com/donaldlab/OSPREY3/issues/67 (a Linux compute node: a project
        # directory that has a Users folder inside it)
        (
            ' 12     File "/usr/project/dlab/Users/jj/OSPREY_Python/python/osprey/__init__.py", '
            "line 183, in printGpuInfo",
            None,
        ),
    ],
)
def test_a_macos_home_is_a_path_that_starts_there(line: str, platform: str | None) -> None:
    clue = infer((LogLine(1, line),)).platform
    assert (clue.value if clue else None) == platform

"""The host and interpreter: names and versions that every report carries."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from gpusetup.facts import HostFacts
from gpusetup.probe.paths import inside


def _os_name(root: Path) -> str:
    try:
        for line in inside(root, "/etc/os-release").read_text(errors="replace").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def probe_host(root: Path) -> HostFacts:
    libc, libc_version = platform.libc_ver()
    return HostFacts(
        hostname=os.uname().nodename,  # what gethostname(2) answers, without the socket module
        kernel_release=platform.release(),
        os_name=_os_name(root),
        machine=platform.machine(),
        python_version=platform.python_version(),
        python_executable=sys.executable,
        glibc_version=libc_version if libc == "glibc" else None,
        uid=os.getuid(),
    )

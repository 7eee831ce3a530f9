"""Deadlines for probes: a call in a daemon thread, a child process with a time limit.

A probe that runs past its deadline is abandoned (threads) or killed (processes); the CLI
never waits on it. Daemon threads do not hold up interpreter exit.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class DeadlineExceeded(Exception):
    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} did not finish within {seconds:g} s")
        self.seconds = seconds


@dataclass
class _Box(Generic[T]):
    value: T | None = None
    error: BaseException | None = None


def call_with_deadline(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run ``fn`` in a daemon thread; raise DeadlineExceeded if it is not done in time."""
    box: _Box[T] = _Box()

    def target() -> None:
        try:
            box.value = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box.error = exc

    thread = threading.Thread(target=target, name=f"probe:{what}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise DeadlineExceeded(what, seconds)
    if box.error is not None:
        raise box.error
    return box.value  # type: ignore[return-value]


@dataclass(frozen=True)
class ChildResult:
    returncode: int | None  # None: killed at the deadline
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def spawn(argv: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A child with no stdin, its output captured as text, in its own session (so a kill at
    the deadline reaches nothing of ours)."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=env,
        start_new_session=True,
    )


def run_child(
    argv: Sequence[str], seconds: float, env: dict[str, str] | None = None
) -> ChildResult:
    """Run a child process; at the deadline kill it and keep what it printed so far."""
    proc = spawn(argv, env)
    try:
        out, err = proc.communicate(timeout=seconds)
        return ChildResult(proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            # a process stuck in the kernel (D state) may not die at once; do not wait long
            out, err = proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            out, err = "", ""
        return ChildResult(None, out or "", err or "")

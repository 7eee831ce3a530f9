"""Deadlines for probes, and the rule that no child process outlives gpusetup.

A call can run in a daemon thread with a deadline (``call_with_deadline``); what can hang
the interpreter itself (NVML, cuInit, importing TensorFlow) runs in a child process
(``Child``, ``run_script``). Every child:

- runs in its own process group (its own session), so a kill reaches whatever it forked,
  and nothing of ours;
- stays registered until it is reaped, so an interrupt, an error, or a normal exit that
  leaves a probe thread behind still kills it (``stop_all_children``, also run at
  interpreter exit);
- starts through ``_child_guard.py``, which asks the kernel to kill it if gpusetup dies
  without a chance to clean up (SIGKILL).

The group is killed while its leader is still unreaped (alive or a zombie), so the process
group id cannot have been reused by an unrelated process.
"""

from __future__ import annotations

import atexit
import math
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from gpusetup.serde import record

T = TypeVar("T")

GUARD = Path(__file__).with_name("_child_guard.py")
#: set in every child's environment: gpusetup's pid (the guard checks it; grandchildren
#: inherit it, which is how a stray process of ours can be recognised)
PARENT_PID_VARIABLE = "GPUSETUP_PARENT_PID"
#: per stream: the protocol lines are small, a chatty driver library need not be
MAX_OUTPUT_BYTES = 16 * 2**20
TAIL_BYTES = 64 * 2**10
#: how long a killed child may take to be reaped (a process in the kernel, D state, may
#: not die at once; it stays registered and is tried again at exit)
REAP_WAIT_S = 2.0
#: how often a silent child is checked for having exited (its pipes may be held open by
#: something it forked)
POLL_S = 0.05
INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class DeadlineExceeded(Exception):
    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} did not finish within {seconds:g} s")
        self.seconds = seconds


class SettingError(ValueError):
    """A deadline given by the user (variable or option) that is not a usable number."""


class ShuttingDown(RuntimeError):
    """No new child is started once gpusetup has begun stopping its children."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived. A BaseException, so that no ``except
    Exception`` on the way up swallows it; the CLI stops every child and exits
    128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def parse_seconds(value: str | float, name: str, maximum: float) -> float:
    """A deadline in seconds: a finite number above 0 and at most ``maximum``."""
    accepted = f"a number of seconds greater than 0 and at most {maximum:g}"
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise SettingError(f"{name}={value!r} is not a number; use {accepted}") from None
    if not math.isfinite(seconds):
        raise SettingError(f"{name}={value!r} is not a finite number; use {accepted}")
    if not 0 < seconds <= maximum:
        raise SettingError(f"{name}={value!r} is out of range; use {accepted}")
    return seconds


def seconds_from_environment(
    environ: Mapping[str, str], variable: str, default: float, maximum: float
) -> float:
    value = environ.get(variable)
    return default if value is None else parse_seconds(value, variable, maximum)


@dataclass
class _Box(Generic[T]):
    value: T | None = None
    error: BaseException | None = None


def join(thread: threading.Thread, seconds: float | None = None) -> bool:
    """Wait for ``thread`` (at most ``seconds``); True if it ended. Waits in short slices:
    a signal the kernel hands to another thread only reaches the main thread's Python
    handler when the main thread runs, and a wait on a lock never wakes for it."""
    end = None if seconds is None else time.monotonic() + seconds
    while thread.is_alive():
        left = POLL_S if end is None else min(POLL_S, end - time.monotonic())
        if left <= 0:
            return False
        thread.join(left)
    return True


def call_with_deadline(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run ``fn`` in a daemon thread; raise DeadlineExceeded if it is not done in time.

    An abandoned thread keeps running; any child it started stays registered and is
    killed when gpusetup exits.
    """
    box: _Box[T] = _Box()

    def target() -> None:
        try:
            box.value = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box.error = exc

    thread = threading.Thread(target=target, name=f"probe:{what}", daemon=True)
    thread.start()
    if not join(thread, seconds):
        raise DeadlineExceeded(what, seconds)
    if box.error is not None:
        raise box.error
    return box.value  # type: ignore[return-value]


# --- signals -------------------------------------------------------------------------------

_defer_depth = 0
_interrupted = False
_pending_signals: list[int] = []
_closing = False
_registry_lock = threading.Lock()
_children: set[Child] = set()


#: how long the orderly end after a signal may take before the backstop ends the run
INTERRUPT_GRACE_S = 5.0
_announce_lock = threading.Lock()
_announced = False
_signalled: int | None = None  # the first interrupt signal, for the backstop
_lost = False  # Python swallowed the Interrupted exception: the backstop ends the run now


def _unraisable(hook: Any) -> Callable[[Any], None]:
    """Python's hook for an exception it cannot raise, less our own interrupt: swallowed
    (in a finalizer, in an import-lock callback), it is no error to print with a traceback
    but the sign that the backstop must end the run, at once."""

    def on_unraisable(unraisable: Any) -> None:
        global _lost
        if isinstance(unraisable.exc_value, Interrupted):
            _lost = True
            return
        hook(unraisable)

    on_unraisable.gpusetup = True  # type: ignore[attr-defined]
    return on_unraisable


def _interrupt(signum: int) -> Interrupted:
    """The run ends: later interrupt signals are only noted (the cleanup is bounded, and
    a second Ctrl-C must not cut it short)."""
    global _interrupted, _signalled
    _interrupted = True
    if _signalled is None:
        _signalled = signum
    return Interrupted(signum)


def _announce_interrupt() -> None:
    global _announced
    with _announce_lock:
        if not _announced:
            _announced = True
            with suppress(OSError, ValueError):
                sys.stderr.write("gpusetup: interrupted\n")


def _backstop() -> None:
    """Ends the run if the ``Interrupted`` exception never reaches ``run_guarded``: Python
    swallows an exception raised while it runs a finalizer or an import-lock callback, and
    a signal can land right there. Polls a plain variable: a signal handler must not take
    a lock the interrupted code may hold."""
    while _signalled is None:
        time.sleep(POLL_S * 2)
    end = time.monotonic() + INTERRUPT_GRACE_S
    while not _lost and time.monotonic() < end:
        time.sleep(POLL_S)
    stop_all_children()
    _announce_interrupt()
    exit_now(128 + _signalled)


def _on_signal(signum: int, frame: object) -> None:
    if _interrupted or _closing or _defer_depth:
        _pending_signals.append(signum)
        return
    raise _interrupt(signum)


_handlers_installed = False


def install_signal_handlers() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP into ``Interrupted`` (main thread only), with the
    backstop that ends the run should that exception be lost. Once per process: the entry
    point may guard the start-up before the CLI guards the command."""
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    for signum in INTERRUPT_SIGNALS:
        signal.signal(signum, _on_signal)
    if not getattr(sys.unraisablehook, "gpusetup", False):
        sys.unraisablehook = _unraisable(sys.unraisablehook)
    threading.Thread(target=_backstop, name="interrupt-backstop", daemon=True).start()


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold an interrupt back while a child is started or reaped in the main thread (so
    no child is ever started but unregistered, or reaped but still registered)."""
    global _defer_depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _defer_depth += 1
    try:
        yield
    finally:
        _defer_depth -= 1
        if not _defer_depth and _pending_signals and not (_closing or _interrupted):
            raise _interrupt(_pending_signals.pop(0))


def exit_now(code: int) -> None:
    """Leave at once (every child already gone): interpreter shutdown would put the
    default signal handlers back, and a second signal then would kill us mid-exit."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def stop_all_children() -> None:
    """Kill every child (and what it forked) that is still running; start no new one."""
    global _closing
    with _registry_lock:
        _closing = True
        children = list(_children)
    for child in children:
        child.stop()


atexit.register(stop_all_children)


def run_guarded(run: Callable[[], object]) -> None:
    """Run the whole command under the signal handlers: whatever ends it, no child (NVML,
    CUDA, TensorFlow) outlives it; on SIGINT, SIGTERM or SIGHUP every child is killed and
    the process leaves with 128 + N (130 for a KeyboardInterrupt)."""
    install_signal_handlers()
    try:
        try:
            run()
        finally:
            stop_all_children()
    except Interrupted as exc:
        stop_all_children()  # again: the signal may have cut the first round short
        _announce_interrupt()
        exit_now(128 + exc.signum)  # every child is gone
    except KeyboardInterrupt:
        sys.stderr.write("gpusetup: interrupted\n")
        sys.exit(130)
    except BaseException:
        # the interrupt, raised where Python turns it into another error (in a class
        # body's ``__set_name__``: a RuntimeError): the run still ends as interrupted
        if _signalled is None:
            raise
        stop_all_children()
        _announce_interrupt()
        exit_now(128 + _signalled)


# --- children ------------------------------------------------------------------------------


class _Stream:
    """What a child wrote on one pipe: the first MAX_OUTPUT_BYTES and the last TAIL_BYTES."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.left_out = 0

    def add(self, data: bytes) -> None:
        room = MAX_OUTPUT_BYTES - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            excess = len(self.tail) - TAIL_BYTES
            if excess > 0:
                self.left_out += excess
                del self.tail[:excess]

    def text(self) -> str:
        middle = f"\n[... {self.left_out} bytes left out ...]\n".encode() if self.left_out else b""
        return bytes(self.head + middle + self.tail).decode("utf-8", "replace")


class Child:
    """A gpusetup child script, its output read without blocking, killed with its group.

    ``python _child_guard.py SCRIPT ARGS...`` with no stdin; stdout and stderr captured.
    The thread that starts it reads it and ends with ``close()``; ``stop()`` (any thread)
    kills and reaps it.
    """

    def __init__(
        self,
        script: Path | None,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        """``script`` with ``args``, or (``script`` None) the program ``command``."""
        environ = dict(os.environ if env is None else env)
        environ[PARENT_PID_VARIABLE] = str(os.getpid())
        self._lock = threading.Lock()
        self._reaped = False
        self._returncode: int | None = None
        self._out = _Stream()
        self._err = _Stream()
        self._consumed = 0  # of self._out.head, by read_line
        self._selector = selectors.DefaultSelector()
        self._output_done = False
        self._closed = False
        with _signals_deferred(), _registry_lock:
            name = script.name if script is not None else (command or ["?"])[0]
            if _closing:
                raise ShuttingDown(f"not starting {name}: gpusetup is stopping")
            argv = (
                [sys.executable, str(GUARD), str(script), *args]
                if script is not None
                else [sys.executable, str(GUARD), "--exec", *(command or ())]
            )
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environ,
                start_new_session=True,
            )
            self.pid = self._proc.pid
            _children.add(self)
        for stream, sink in ((self._proc.stdout, self._out), (self._proc.stderr, self._err)):
            assert stream is not None
            os.set_blocking(stream.fileno(), False)
            self._selector.register(stream, selectors.EVENT_READ, sink)

    # reading

    def _leader_exit(self) -> int | None:
        """The leader's exit status if it has exited, without reaping it."""
        if self._reaped:
            return self._returncode
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return None
        if info is None:
            return None
        return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status

    def _read_ready(self, timeout: float) -> None:
        for key, _ in self._selector.select(max(0.0, timeout)):
            try:
                data = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if data:
                key.data.add(data)
            else:
                self._selector.unregister(key.fileobj)

    def _pump(self, timeout: float) -> None:
        """Read what the pipes hold, waiting up to ``timeout`` for something to arrive."""
        if self._output_done:
            return
        self._read_ready(timeout)
        if not self._selector.get_map():
            self._output_done = True
        elif self._leader_exit() is not None:
            # the leader is gone; what it forked may hold the pipes open: take what is
            # there now and stop reading
            while self._selector.get_map() and self._selector.select(0):
                self._read_ready(0)
            self._output_done = True

    def read_line(self, deadline: float) -> str | None:
        """The next line the child wrote on stdout; None when it has written all it will.
        Raises TimeoutError at ``deadline`` (time.monotonic())."""
        while True:
            end = self._out.head.find(b"\n", self._consumed)
            if end >= 0:
                line = bytes(self._out.head[self._consumed : end])
                self._consumed = end + 1
                return line.decode("utf-8", "replace")
            if self._output_done:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self._pump(min(left, POLL_S))

    def wait(self, deadline: float) -> int | None:
        """Read until the child has written everything and exited; its exit code, or None
        if ``deadline`` came first."""
        while not self._output_done:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._pump(min(left, POLL_S))
        nap = 0.001
        while (code := self._leader_exit()) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(nap, left))
            nap = min(nap * 2, POLL_S)
        return code

    @property
    def stdout(self) -> str:
        return self._out.text()

    @property
    def stderr(self) -> str:
        return self._err.text()

    # ending

    def stop(self) -> int | None:
        """Kill the child's process group and reap the child (from any thread). Returns
        its exit code if it had exited by itself, None if it was killed (or is not yet
        reaped: a process stuck in the kernel stays registered and is tried again)."""
        with self._lock:
            if self._reaped:
                return self._returncode
            exited = self._leader_exit()
            with _signals_deferred():
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
                try:
                    self._proc.wait(timeout=REAP_WAIT_S)
                except subprocess.TimeoutExpired:
                    return None
                self._reaped = True
                self._returncode = exited
                with _registry_lock:
                    _children.discard(self)
            return exited

    def close(self) -> int | None:
        """``stop()``, then keep what is left in the pipes and release them (the reading
        thread only: another thread's reads must never meet a reused descriptor)."""
        code = self.stop()
        if self._closed:
            return code
        self._closed = True
        try:
            while self._selector.get_map() and self._selector.select(0):
                self._read_ready(0)
        except (OSError, ValueError):
            pass
        self._selector.close()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
        return code


def child_event(line: str) -> dict[str, Any] | None:
    """One line of a gpusetup child's JSON-lines answer, or None for any other line (a
    library that prints on stdout must not break the probe that reads it)."""
    import json

    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


@record
class ChildResult:
    returncode: int | None  # None: killed at the deadline
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_script(
    script: Path, args: Sequence[str], seconds: float, env: Mapping[str, str] | None = None
) -> ChildResult:
    """Run a child script; at the deadline kill it (and what it forked) and keep what it
    printed so far. Whatever it forked is killed when it exits, too."""
    return run_script_or_command(script, args, seconds, env, None)


def run_script_or_command(
    script: Path | None,
    args: Sequence[str],
    seconds: float,
    env: Mapping[str, str] | None,
    command: Sequence[str] | None,
) -> ChildResult:
    child = Child(script, args, env, command)
    try:
        code = child.wait(time.monotonic() + seconds)
    finally:
        child.close()
    return ChildResult(code, child.stdout, child.stderr)


def run_command(
    argv: Sequence[str], seconds: float, env: Mapping[str, str] | None = None
) -> ChildResult:
    """Run a program (not a gpusetup script) as a guarded child, like ``run_script``.
    Raises OSError (FileNotFoundError, PermissionError, ...) when it cannot be started."""
    from gpusetup.probe._child_guard import EXEC_FAILED

    result = run_script_or_command(None, (), seconds, env, list(argv))
    if result.returncode == 127 and EXEC_FAILED in result.stderr:
        tail = result.stderr.rsplit(EXEC_FAILED, 1)[1].split()
        code = int(tail[0]) if tail and tail[0].isdigit() else 0
        message = " ".join(tail[1:]) or "cannot be started"
        raise OSError(code, message, argv[0])
    return result

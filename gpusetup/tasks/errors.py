"""The library's own exceptions for what a task cannot do. Each layer raises its own
(FactsFileError, KnowledgeError, SettingError, WheelError, ...); these are the ones the
tasks add. The CLI maps every one of them to an exit code in one table."""

from __future__ import annotations


class TaskError(Exception):
    """A task could not do what it was asked; the message says why and what to do."""


class BadInput(TaskError):
    """What the caller handed over cannot be used (an option, a file, a name): exit 2."""


class Refused(TaskError):
    """The task looked and must say no (a GPU TensorFlow would ignore, an index that
    cannot be used): exit 1."""


class PipFailed(TaskError):
    """pip could not install; ``output`` is what it printed, shown as it is."""

    def __init__(self, code: int, output: str) -> None:
        super().__init__(f"pip failed (exit {code}); its output is above")
        self.code = code
        self.output = output

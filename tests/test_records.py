"""``@record`` behaves as ``@dataclass(frozen=True)`` for every data type of the package.

Each record class is compared with a twin that the standard library builds from the same
fields (``dataclasses.make_dataclass(..., frozen=True)``): the ``__init__`` signature,
defaults and factories, repr, equality and hashing, frozenness, ``replace``, ``asdict``
and pickling.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pickle
import pkgutil

import pytest

import gpusetup
from gpusetup.serde import record


def record_classes() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(gpusetup.__path__, "gpusetup."):
        if info.name.endswith(("_child", "_child_guard")) or ".demo.static" in info.name:
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == module.__name__
                and dataclasses.is_dataclass(value)
                and not value.__dataclass_params__.init  # ours: __init__ is record's
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


CLASSES = record_classes()


def test_the_package_uses_records():
    # facts alone has 36; a walk that found nothing would make every test below vacuous
    assert len(CLASSES) >= 90


def twin(cls: type) -> type:
    """The same fields through the standard library's frozen dataclass."""
    spec = []
    for f in dataclasses.fields(cls):
        options = {"init": f.init, "repr": f.repr, "compare": f.compare, "hash": f.hash}
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        spec.append((f.name, f.type, dataclasses.field(**options)))
    return dataclasses.make_dataclass(cls.__name__, spec, frozen=True)


class Value:
    """A field value that equals only an equal value (so equality is really compared)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Value({self.key!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __reduce__(self):
        return (Value, (self.key,))


def required(cls: type, tag: str = "") -> dict[str, Value]:
    return {
        f.name: Value(f"{f.name}{tag}")
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def shown(signature: inspect.Signature) -> list[tuple[str, str, str]]:
    return [(p.name, str(p.kind), repr(p.default)) for p in signature.parameters.values()]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_a_record_is_a_frozen_dataclass(cls):
    other = twin(cls)
    assert shown(inspect.signature(cls)) == shown(inspect.signature(other))
    assert inspect.signature(cls.__init__).return_annotation in (None, "None")

    mine, theirs = cls(**required(cls)), other(**required(cls))
    assert repr(mine) == repr(theirs)
    assert dataclasses.asdict(mine) == dataclasses.asdict(theirs)
    assert mine == cls(**required(cls))
    try:
        hash(theirs)
    except TypeError:  # a list field: the standard one is unhashable too
        with pytest.raises(TypeError):
            hash(mine)
    else:
        assert hash(mine) == hash(cls(**required(cls)))
    assert (mine != theirs) and mine.__eq__(theirs) is NotImplemented
    for f in dataclasses.fields(cls):
        if f.default_factory is not dataclasses.MISSING:  # a fresh object per instance
            assert getattr(mine, f.name) is not getattr(cls(**required(cls)), f.name)
        if f.init and f.compare:
            changed = dataclasses.replace(mine, **{f.name: Value("changed")})
            assert changed != mine
            assert (changed == mine) == (
                other(**{**required(cls), f.name: Value("changed")}) == theirs
            )
        with pytest.raises(dataclasses.FrozenInstanceError, match=f"'{f.name}'"):
            setattr(mine, f.name, Value("x"))
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(mine, f.name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mine.not_a_field = 1  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(mine)) == mine
    with pytest.raises(TypeError):
        cls(*range(len(inspect.signature(cls).parameters) + 1))


def test_record_refuses_what_it_does_not_build():
    with pytest.raises(TypeError, match="kw_only"):

        @record
        class KeywordOnly:
            a: int = dataclasses.field(kw_only=True)

    with pytest.raises(TypeError, match="__post_init__"):

        @record
        class Post:
            a: int

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError, match="reserved"):

        @record
        class Reserved:
            self: int


def test_record_compiles_its_init_only_when_first_looked_up():
    @record
    class Unbuilt:
        a: int
        b: str = "x"

    assert not inspect.isfunction(Unbuilt.__dict__["__init__"])  # not compiled yet

    class Derived(Unbuilt):  # a plain subclass, built before its base ever was
        pass

    assert Derived(1) == Derived(1) and Derived(1).b == "x"
    assert inspect.isfunction(Unbuilt.__dict__["__init__"])  # compiled once, and kept
    assert str(inspect.signature(Unbuilt)) == "(a: 'int', b: 'str' = 'x') -> None"

    @record
    class Signed:
        a: int

    # inspect.signature before any instance: compiled on that lookup, the same signature
    assert str(inspect.signature(Signed)) == "(a: 'int') -> None"
    assert Signed(a=2).a == 2
    with pytest.raises(TypeError):
        Signed()

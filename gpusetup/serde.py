"""The project's data types: ``@record`` frozen dataclasses and their exact JSON round-trip.

Dataclasses become dicts keyed by field name, tuples and lists become lists, enums their
value; reading back follows the type hints, so ``from_jsonable(T, to_jsonable(x)) == x``.
``load_json_document`` reads the JSON text a user hands us (RFC 8259) with bounds: UTF-8
only, at most ``MAX_JSON_DEPTH`` levels of nesting, finite numbers, integers within 64 bits.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import operator
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar, Union

T = TypeVar("T")
C = TypeVar("C", bound=type)


def record(cls: C) -> C:
    """``@record``, built faster: the same fields, ``__init__``, ``__repr__``,
    ``__eq__``, ``__hash__`` and frozenness, ``dataclasses.fields``/``replace``/``asdict``.

    Python 3.11's ``dataclass`` compiles six methods per class, each with its own
    ``exec``; for the ~70 data types ``doctor`` imports that was a fifth of its start-up.
    Here only ``__init__`` is compiled (attribute access through it must stay as fast as
    a dataclass's), and only when first looked up: a third of the types a command imports
    are never built by it. The other methods are closures over the field names, which
    cost nothing to create. ``kw_only`` and ``__post_init__`` are not used by the project and
    are refused rather than half-supported.
    """
    if "__post_init__" in cls.__dict__ or "__setattr__" in cls.__dict__:
        raise TypeError(f"@record {cls.__qualname__}: __post_init__/__setattr__ unsupported")
    if cls.__dict__.get("__doc__") is None:  # dataclass would compute one through inspect
        cls.__doc__ = f"{cls.__name__}({', '.join(cls.__dict__.get('__annotations__', ()))})"
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(cls)
    if any(f.kw_only for f in fields):
        raise TypeError(f"@record {cls.__qualname__}: kw_only fields unsupported")
    for f in fields:  # names the compiled __init__ uses itself
        if f.name == "self" or f.name.startswith("__gs_"):
            raise TypeError(f"@record {cls.__qualname__}: field name {f.name!r} is reserved")
    cls.__init__ = _LazyInit(cls, fields)  # type: ignore[misc]
    names = frozenset(f.name for f in fields)
    shown = tuple(f.name for f in fields if f.repr)
    compared = _getter(tuple(f.name for f in fields if f.compare))
    hashed = _getter(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    for method in (__repr__, __eq__, __hash__, __setattr__, __delattr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
    return cls


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The field values as a tuple (``attrgetter`` of one name would return the bare value)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda obj: (get(obj),)
    return operator.attrgetter(*names)


class _Factory:
    """The default a ``default_factory`` field shows in ``__init__``'s signature."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


class _LazyInit:
    """A record's ``__init__`` until it is first looked up (to build an instance, or by
    ``inspect.signature``): then compiled, put in the class in its place, and returned."""

    def __init__(self, cls: type, fields: tuple[dataclasses.Field, ...]) -> None:
        self.cls, self.fields = cls, fields

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        init = self.cls.__dict__["__init__"]
        if init is self:  # two threads may both compile it; either result is the same
            init = _record_init(self.cls, self.fields)
            type.__setattr__(self.cls, "__init__", init)
        return init if instance is None else types.MethodType(init, instance)


def _record_init(cls: type, fields: tuple[dataclasses.Field, ...]) -> Callable[..., None]:
    """The one compiled method: ``__init__`` as a frozen dataclass writes it."""
    env: dict[str, Any] = {"__gs_set": object.__setattr__, "__gs_none": _FACTORY}
    params, body = [], []
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:
            env[f"__gs_factory_{f.name}"] = f.default_factory
            value = f"__gs_factory_{f.name}()"
            if f.init:
                params.append(f"{f.name}=__gs_none")
                value = f"{value} if {f.name} is __gs_none else {f.name}"
        elif f.default is not dataclasses.MISSING:
            env[f"__gs_default_{f.name}"] = f.default
            value = f.name if f.init else f"__gs_default_{f.name}"
            if f.init:
                params.append(f"{f.name}=__gs_default_{f.name}")
        elif f.init:
            params.append(f.name)
            value = f.name
        else:
            continue
        body.append(f"    __gs_set(self, {f.name!r}, {value})")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass")
    exec(source, env)  # noqa: S102 - our own field names, checked above
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    return init


class SchemaError(ValueError):
    """The JSON does not have the shape the dataclass expects."""


class JsonDocumentError(ValueError):
    """Bytes that are not a JSON document gpusetup reads; the message reads after "FILE is"."""


#: facts nest about 8 levels deep; anything far deeper is not ours
MAX_JSON_DEPTH = 64
_INT_RANGE = (-(2**63), 2**64 - 1)


def _json_int(text: str) -> int:
    if len(text) > 20:  # more digits than any 64-bit integer has
        raise JsonDocumentError(f"out of range: the number {text[:24]}... has too many digits")
    value = int(text)
    if not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        raise JsonDocumentError(f"out of range: the number {text} does not fit in 64 bits")
    return value


def _json_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonDocumentError(f"out of range: the number {text[:24]} is not finite")
    return value


def _json_constant(name: str) -> Any:
    raise JsonDocumentError(f"not JSON: {name} is not a JSON number")


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iterative: the check itself cannot overflow the stack)."""
    if not isinstance(value, (dict, list)):
        return 0
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > MAX_JSON_DEPTH:
                break
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1))
    return deepest


def load_json_document(raw: bytes) -> Any:
    """Parse ``raw`` as JSON within the bounds above. Raises JsonDocumentError."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise JsonDocumentError("not JSON: it is UTF-16 text (save it as UTF-8)")
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0  # an editor's byte-order mark
    try:
        text = raw[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        where = start + exc.start
        raise JsonDocumentError(
            f"not JSON: not UTF-8 text (byte 0x{raw[where]:02x} at offset {where})"
        ) from None
    try:
        data = json.loads(
            text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant
        )
    except JsonDocumentError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonDocumentError(f"not JSON: {exc}") from None
    except RecursionError:
        raise JsonDocumentError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise JsonDocumentError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return data


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


_SCALARS = frozenset((str, int, float, bool))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@cache
def _shape(tp: Any) -> tuple[str, Any]:
    """What kind of type ``tp`` is, worked out once per type (reports hold many values)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return "any", None
    if origin is typing.Literal:
        return "literal", typing.get_args(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        return "union", (type(None) in args, tuple(a for a in args if a is not type(None)))
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return "dataclass", tuple(
            (
                f.name,
                hints[f.name],
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(tp)
        )
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "enum", None
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return "list", args[0]
        return "tuple", args
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return "list", item
    if origin is dict:
        return "dict", (typing.get_args(tp) or (str, Any))[1]
    if tp in _SCALARS:
        return "scalar", None
    if tp is type(None):
        return "none", None
    return "unsupported", None


def from_jsonable(tp: Any, data: Any, where: str = "$") -> Any:
    """Build a value of type ``tp`` from JSON data, raising SchemaError with a path."""
    if type(data) is tp and tp in _SCALARS:  # most values of a report: one test, done
        return data
    kind, detail = _shape(tp)
    if kind == "any":
        return data
    if kind == "union":
        optional, args = detail
        if data is None and optional:
            return None
        errors = []
        for arg in args:
            try:
                return from_jsonable(arg, data, where)
            except SchemaError as exc:
                errors.append(str(exc))
        raise SchemaError("; ".join(errors) or f"{where}: unexpected null")
    if kind == "dataclass":
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected an object for {tp.__name__}")
        kwargs = {}
        for name, hint, required in detail:
            if name in data:
                kwargs[name] = from_jsonable(hint, data[name], f"{where}.{name}")
            elif required:
                raise SchemaError(f"{where}: missing field {name!r}")
        return tp(**kwargs)
    if kind == "literal":
        if any(type(data) is type(value) and data == value for value in detail):
            return data
        kinds = {type(value) for value in detail}
        if len(kinds) == 1 and type(data) not in kinds:
            (kind,) = kinds
            raise SchemaError(f"{where}: expected {kind.__name__}, got {type(data).__name__}")
        allowed = ", ".join(repr(v) for v in detail)
        raise SchemaError(f"{where}: {data!r} is not one of {allowed}")
    if kind == "enum":
        try:
            return tp(data)
        except ValueError:
            raise SchemaError(f"{where}: {data!r} is not a valid {tp.__name__}") from None
    if kind in ("list", "tuple"):
        if not isinstance(data, list):
            raise SchemaError(f"{where}: expected a list")
        if kind == "tuple":
            if len(detail) != len(data):
                raise SchemaError(f"{where}: expected {len(detail)} items")
            return tuple(
                from_jsonable(a, v, f"{where}[{i}]")
                for i, (a, v) in enumerate(zip(detail, data, strict=True))
            )
        items = [from_jsonable(detail, v, f"{where}[{i}]") for i, v in enumerate(data)]
        return tuple(items) if typing.get_origin(tp) is tuple else items
    if kind == "dict":
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected an object")
        return {k: from_jsonable(detail, v, f"{where}.{k}") for k, v in data.items()}
    if kind == "scalar":
        if tp is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        raise SchemaError(f"{where}: expected {tp.__name__}, got {type(data).__name__}")
    if kind == "none":
        if data is not None:
            raise SchemaError(f"{where}: expected null")
        return None
    raise SchemaError(f"{where}: unsupported type {tp!r}")

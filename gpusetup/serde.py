"""Exact JSON round-trip for the project's dataclasses (facts and reports).

Dataclasses become dicts keyed by field name, tuples and lists become lists, enums their
value; reading back follows the type hints, so ``from_jsonable(T, to_jsonable(x)) == x``.
``load_json_document`` reads the JSON text a user hands us (RFC 8259) with bounds: UTF-8
only, at most ``MAX_JSON_DEPTH`` levels of nesting, finite numbers, integers within 64 bits.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from functools import cache
from typing import Any, TypeVar, Union

T = TypeVar("T")


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
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def load_json_document(raw: bytes) -> Any:
    """Parse ``raw`` as JSON within the bounds above. Raises JsonDocumentError."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise JsonDocumentError("not JSON: it is UTF-16 text (save it as UTF-8)")
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark from an editor is harmless
    except UnicodeDecodeError as exc:
        raise JsonDocumentError(
            f"not JSON: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
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


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(tp: Any, data: Any, where: str = "$") -> Any:
    """Build a value of type ``tp`` from JSON data, raising SchemaError with a path."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_jsonable(arg, data, where)
            except SchemaError as exc:
                errors.append(str(exc))
        raise SchemaError("; ".join(errors) or f"{where}: unexpected null")
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected an object for {tp.__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = from_jsonable(hints[f.name], data[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise SchemaError(f"{where}: missing field {f.name!r}")
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            raise SchemaError(f"{where}: {data!r} is not a valid {tp.__name__}") from None
    if origin in (list, tuple):
        if not isinstance(data, list):
            raise SchemaError(f"{where}: expected a list")
        args = typing.get_args(tp)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(from_jsonable(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
            if len(args) != len(data):
                raise SchemaError(f"{where}: expected {len(args)} items")
            return tuple(
                from_jsonable(a, v, f"{where}[{i}]")
                for i, (a, v) in enumerate(zip(args, data, strict=True))
            )
        (item,) = args or (Any,)
        return [from_jsonable(item, v, f"{where}[{i}]") for i, v in enumerate(data)]
    if origin is dict:
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected an object")
        _, value_type = typing.get_args(tp) or (str, Any)
        return {k: from_jsonable(value_type, v, f"{where}.{k}") for k, v in data.items()}
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if tp in (str, int, float, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise SchemaError(f"{where}: expected {tp.__name__}, got {type(data).__name__}")
        return data
    if tp is type(None):
        if data is not None:
            raise SchemaError(f"{where}: expected null")
        return None
    raise SchemaError(f"{where}: unsupported type {tp!r}")

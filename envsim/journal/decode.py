"""Journal records from JSON, checked against their dataclass fields' types.

A journal is a file people keep, edit and pass around: a wrong type inside it (an endpoint
that is `true`, a histogram pair with one number) must be refused when it is read, with
where it is, not break the verdict later. The types come from the record classes themselves,
so a new record or field is checked without another list to keep.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, Union

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_NUMBER = (int, float)

Record = TypeVar("Record", bound="DataclassInstance")


class RecordError(ValueError):
    """A journal record whose shape or types are not what its class says."""


def decode(cls: type[Record], data: Any, where: str, given: Mapping[str, Any] | None = None) -> Record:
    """An instance of dataclass `cls` from the JSON object `data`; RecordError naming `where`.

    Fields in `given` are taken as they are (already built by their own reader).
    """
    given = given or {}
    if not isinstance(data, dict):
        raise RecordError(f"{where}: expected an object, got {_kind(data)}")
    hints = _hints(cls)
    unknown = sorted(set(data) - set(hints))
    if unknown:
        raise RecordError(f"{where}: unknown field {unknown[0]!r}")
    values = {}
    for field in dataclasses.fields(cls):
        if field.name in given:
            values[field.name] = given[field.name]
        elif field.name in data:
            values[field.name] = _value(hints[field.name], data[field.name], f"{where}.{field.name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise RecordError(f"{where}: missing field {field.name!r}")
    return cls(**values)


def decode_all(cls: type[Record], items: Any, where: str) -> tuple[Record, ...]:
    if not isinstance(items, list):
        raise RecordError(f"{where}: expected a list, got {_kind(items)}")
    return tuple(decode(cls, item, f"{where}[{index}]") for index, item in enumerate(items))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _value(hint: Any, data: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return data
    if origin in (Union, types.UnionType):
        errors = []
        for option in args:
            try:
                return _value(option, data, where)
            except RecordError as error:
                errors.append(error)
        raise errors[-1]
    if hint is type(None):
        if data is not None:
            raise RecordError(f"{where}: expected null, got {_kind(data)}")
        return None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return decode(hint, data, where)
    if origin is tuple:
        if not isinstance(data, list):
            raise RecordError(f"{where}: expected a list, got {_kind(data)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(args[0], item, f"{where}[{i}]") for i, item in enumerate(data))
        if len(data) != len(args):
            raise RecordError(f"{where}: expected {len(args)} items, got {len(data)}")
        return tuple(_value(arg, item, f"{where}[{i}]") for i, (arg, item) in enumerate(zip(args, data)))
    if origin is dict:
        if not isinstance(data, dict):
            raise RecordError(f"{where}: expected an object, got {_kind(data)}")
        return data
    if hint is bool:
        if not isinstance(data, bool):
            raise RecordError(f"{where}: expected true or false, got {_kind(data)}")
        return data
    if hint is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise RecordError(f"{where}: expected a whole number, got {_kind(data)}")
        return data
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, _NUMBER):
            raise RecordError(f"{where}: expected a number, got {_kind(data)}")
        return float(data)
    if hint is str:
        if not isinstance(data, str):
            raise RecordError(f"{where}: expected text, got {_kind(data)}")
        return data
    raise TypeError(f"{where}: no rule for the type {hint!r}")  # a record type this module lacks


def _kind(data: Any) -> str:
    if data is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}.get(
        type(data), type(data).__name__
    )

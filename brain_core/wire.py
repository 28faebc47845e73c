"""The base of every typed contract: a dataclass whose ``to_dict`` is its JSON shape and whose
``from_dict`` reads it back checked (:func:`_checked`), and the timestamp format they all write.

Plain dataclasses with a small field check, not pydantic: importing pydantic costs a cold start
~100 ms, and the contracts are a dozen flat records.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin


def iso_timestamp(moment: datetime | None = None) -> str:
    """A ``createdAt`` as the contract writes it: ISO 8601, UTC, milliseconds, ``Z`` (now by default)."""
    moment = datetime.now(UTC) if moment is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ContractError(ValueError):
    """The input does not match its contract (missing field, wrong type)."""


def _require_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        got = "missing" if value is None else type(value).__name__
        raise ContractError(f"{key} must be a string ({got})")
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` (parsed JSON) has the shape of the annotation ``hint``. Containers are
    checked one level deep; nested contracts are parsed by their own ``from_dict``."""
    origin = get_origin(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in get_args(hint))
    if origin is Literal:
        return value in get_args(hint)
    if hint is type(None):
        return value is None
    if origin in (list, tuple) or hint in (list, tuple):
        return isinstance(value, list | tuple)
    if origin in (dict, Mapping) or hint in (dict, Mapping) or dataclasses.is_dataclass(hint):
        return isinstance(value, Mapping)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _checked(cls: type, data: Any) -> dict[str, Any]:
    """The fields of ``cls`` present in ``data``, each of its annotated type; a missing required
    field or a value of the wrong type is a :class:`ContractError`. Unknown keys are ignored."""
    if not isinstance(data, Mapping):
        raise ContractError(f"{cls.__name__} must be an object, not {type(data).__name__}")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ContractError(f"{cls.__name__}.{f.name} is missing")
            continue
        value = data[f.name]
        if not _matches(value, hints[f.name]):
            raise ContractError(f"{cls.__name__}.{f.name} must be {hints[f.name]}, not {type(value).__name__}")
        values[f.name] = value
    return values


_C = TypeVar("_C", bound="Contract")


class Contract:
    """A record on the wire: ``to_dict`` is its JSON shape, ``from_dict`` reads it back checked.
    Every subclass is a dataclass."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls: type[_C], data: Any) -> _C:
        return cls(**_checked(cls, data))

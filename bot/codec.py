"""A safe codec for values shared through Redis: JSON of our own dataclasses, nothing else.

Redis is reachable over the network and shared by every instance, so reading a value back
must never be able to run code or build an object deskbot did not mean to build: no pickle.
Only the dataclasses in `REGISTRY` are rebuilt, and only from exactly their own fields;
tuples keep being tuples (a group's `members` is compared as a tuple). Anything else is
refused with `CodecError`, on the way in as on the way out.

    {"@": "Member", "f": {"agent_number": "8000", "priority": 1, "name": "张伟"}}
    {"@t": [ … ]}    a tuple        [ … ]    a list        str, int, float, bool, null
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bot.models import (
    AgentClaim,
    GroupClaims,
    ImAgent,
    ImAgentLanguage,
    Member,
    Reading,
    SkillGroup,
)

REGISTRY: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Member, SkillGroup, AgentClaim, GroupClaims, ImAgentLanguage, ImAgent, Reading)
}
_TYPE, _FIELDS, _TUPLE = "@", "f", "@t"


class CodecError(ValueError):
    """A value that the shared codec does not carry, or stored text it will not rebuild."""


def dumps(value: object) -> str:
    return json.dumps(_encode(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def loads(text: str) -> Any:
    try:
        tree = json.loads(text)
    except ValueError as error:
        raise CodecError(f"not JSON: {error}") from error
    return _decode(tree)


def _encode(value: object) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(item) for item in value]}
    cls = type(value)
    if dataclasses.is_dataclass(value) and REGISTRY.get(cls.__name__) is cls:
        return {
            _TYPE: cls.__name__,
            _FIELDS: {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    raise CodecError(f"{cls.__name__} is not a type the shared cache carries")


def _decode(tree: Any) -> Any:
    if tree is None or isinstance(tree, bool | int | float | str):
        return tree
    if isinstance(tree, list):
        return [_decode(item) for item in tree]
    if isinstance(tree, dict):
        if tree.keys() == {_TUPLE} and isinstance(tree[_TUPLE], list):
            return tuple(_decode(item) for item in tree[_TUPLE])
        if tree.keys() == {_TYPE, _FIELDS} and isinstance(tree[_FIELDS], dict):
            return _build(tree[_TYPE], tree[_FIELDS])
    raise CodecError("stored value has a shape the shared cache never writes")


def _build(name: object, fields: dict[str, Any]) -> Any:
    cls = REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise CodecError(f"{name!r} is not a type the shared cache carries")
    expected = {f.name for f in dataclasses.fields(cls) if f.init}
    if fields.keys() != expected:
        raise CodecError(f"stored {name} has fields {sorted(fields)}, expected {sorted(expected)}")
    return cls(**{key: _decode(item) for key, item in fields.items()})

"""The pipe's filter and input template, as EventBridge Pipes apply them to a stream record.

Hand-written (a few lines each): no maintained Python library implements EventBridge's pattern
matching or the pipes' ``<$.path>`` templates. Only the subset the pipe's configuration uses
(:class:`brain_core.config.PipeSettings`) is implemented, and its tests pin it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"<(\$(?:\.[A-Za-z0-9_]+)+)>")


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge pattern matching, the subset pipes filters use: exact values in lists,
    ``prefix``, ``exists`` and ``anything-but``, nested objects."""
    if isinstance(pattern, Mapping):
        if not isinstance(event, Mapping):
            return False
        return all(_match_field(rule, event.get(key), key in event) for key, rule in pattern.items())
    return pattern == event


def _match_field(rule: Any, value: Any, present: bool) -> bool:
    if isinstance(rule, Mapping):
        return present and matches(rule, value)
    if not isinstance(rule, list):
        return rule == value
    for option in rule:
        if isinstance(option, Mapping):
            if "exists" in option and option["exists"] == present:
                return True
            if "prefix" in option and isinstance(value, str) and value.startswith(option["prefix"]):
                return True
            if "anything-but" in option and present:
                banned = option["anything-but"]
                banned = banned if isinstance(banned, list) else [banned]
                if value not in banned:
                    return True
        elif present and option == value:
            return True
    return False


def _lookup(path: str, data: Any) -> Any:
    for part in path.split(".")[1:]:
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def render(template: str, record: Mapping) -> dict:
    """Apply a pipes input template: each ``<$.path>`` becomes that value as JSON (null if absent)."""
    return json.loads(_PLACEHOLDER.sub(lambda m: json.dumps(_lookup(m.group(1), record)), template))

"""Evaluating an identity-based policy as IAM does: explicit Deny wins, then Allow, else deny.

Hand-written: no kept Python library evaluates IAM policies (policyuniverse and parliament lint
them; moto's IAM evaluator is internal to its own request handling and accepts what it does not
understand). What is evaluated, and nothing silently skipped:

- ``Action`` / ``NotAction`` (``service:Name``, case-insensitive, ``*`` and ``?`` wildcards);
- ``Resource`` / ``NotResource``: ARNs compared component by component (partition, service,
  region, account, resource), each with ``*`` and ``?`` wildcards, as IAM compares them;
- ``Condition``: the operators in :data:`OPERATORS` (with ``…IfExists`` and the
  ``ForAnyValue:`` / ``ForAllValues:`` set qualifiers) over the request's context keys.

Loading a policy this module cannot evaluate fails loudly (:class:`UnsupportedPolicy`): an unknown
condition operator or element, a ``Principal`` in an identity policy, a policy variable. A check
that skipped what it does not understand would allow what AWS might refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALLOW, DENY, IMPLICIT_DENY = "allow", "deny", "implicit-deny"


class UnsupportedPolicy(ValueError):
    """A policy with something the offline evaluator does not evaluate: refused, not ignored."""


def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    # fnmatch would give [] a meaning; IAM has only * and ?.
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts) + r"\Z", 0 if case_sensitive else re.IGNORECASE)


class _ArnPattern:
    """An ARN pattern matched component by component (``*`` alone matches every resource)."""

    def __init__(self, pattern: str):
        if "${" in pattern:
            raise UnsupportedPolicy(f"policy variables are not evaluated offline: {pattern!r}")
        self.pattern = pattern
        self.any = pattern == "*"
        parts = pattern.split(":", 5)
        self.parts = [_glob(p, True) for p in parts] if len(parts) == 6 else None
        self.whole = _glob(pattern, True)

    def matches(self, arn: str) -> bool:
        if self.any:
            return True
        if self.parts is None:
            return bool(self.whole.match(arn))
        values = arn.split(":", 5)
        return len(values) == 6 and all(p.match(v) for p, v in zip(self.parts, values, strict=True))


def _string_equals(value: str, expected: str) -> bool:
    return value == expected


def _string_like(value: str, expected: str) -> bool:
    return bool(_glob(expected, True).match(value))


def _bool(value: str, expected: str) -> bool:
    return value.lower() == expected.lower()


def _arn_like(value: str, expected: str) -> bool:
    return _ArnPattern(expected).matches(value)


#: Condition operators and how one context value is compared with one policy value. The
#: negated ones are evaluated as IAM does: true when no value matches.
OPERATORS = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (lambda v, e: v.lower() == e.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda v, e: v.lower() == e.lower(), True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_string_equals, False),
    "ArnNotEquals": (_string_equals, True),
    "ArnLike": (_arn_like, False),
    "ArnNotLike": (_arn_like, True),
    "Bool": (_bool, False),
}


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class _Condition:
    operator: str
    key: str
    values: tuple[str, ...]

    @classmethod
    def load(cls, operator: str, key: str, values: Any) -> _Condition:
        qualifier, _, base = operator.rpartition(":")
        if qualifier not in ("", "ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"unknown condition set qualifier {qualifier!r} in {operator!r}")
        base = base.removesuffix("IfExists")
        if base != "Null" and base not in OPERATORS:
            raise UnsupportedPolicy(f"condition operator {operator!r} is not evaluated offline")
        return cls(operator, key, tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(values)))

    def holds(self, context: Mapping[str, str | Sequence[str]]) -> bool:
        qualifier, _, base = self.operator.rpartition(":")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        present = self.key in context
        if base == "Null":  # "true": the key must be absent; "false": present
            return (not present) == (self.values[0].lower() == "true")
        if not present:
            return if_exists or (qualifier == "ForAllValues")
        raw = context[self.key]
        values = [raw] if isinstance(raw, str) else list(raw)
        compare, negated = OPERATORS[base]

        def matches(value: str) -> bool:
            hit = any(compare(value, expected) for expected in self.values)
            return not hit if negated else hit

        if qualifier == "ForAllValues":
            return all(matches(v) for v in values)
        return any(matches(v) for v in values)


_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


@dataclass(frozen=True)
class Statement:
    sid: str | None
    effect: str
    actions: tuple[re.Pattern[str], ...]
    not_actions: bool
    resources: tuple[_ArnPattern, ...]
    not_resources: bool
    conditions: tuple[_Condition, ...]

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Statement:
        unknown = set(data) - _STATEMENT_KEYS
        if unknown:
            raise UnsupportedPolicy(f"statement elements {sorted(unknown)} are not evaluated offline: {dict(data)}")
        effect = data.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise UnsupportedPolicy(f"a statement's Effect must be Allow or Deny, not {effect!r}")
        if ("Action" in data) == ("NotAction" in data) or ("Resource" in data) == ("NotResource" in data):
            raise UnsupportedPolicy(
                f"a statement needs exactly one of Action/NotAction and Resource/NotResource: {data}"
            )
        actions = _as_list(data.get("Action", data.get("NotAction")))
        resources = _as_list(data.get("Resource", data.get("NotResource")))
        for value in (*actions, *resources):
            if not isinstance(value, str):
                raise UnsupportedPolicy(f"an unresolved value in a statement: {value!r}")
        conditions = []
        for operator, keys in (data.get("Condition") or {}).items():
            for key, values in keys.items():
                conditions.append(_Condition.load(operator, key, values))
        return cls(
            sid=data.get("Sid"),
            effect=effect,
            actions=tuple(_glob(a, False) for a in actions),
            not_actions="NotAction" in data,
            resources=tuple(_ArnPattern(r) for r in resources),
            not_resources="NotResource" in data,
            conditions=tuple(conditions),
        )

    def applies(self, action: str, resource: str, context: Mapping[str, Any]) -> bool:
        action_hit = any(p.match(action) for p in self.actions)
        if action_hit == self.not_actions:
            return False
        resource_hit = any(p.matches(resource) for p in self.resources)
        if resource_hit == self.not_resources:
            return False
        return all(c.holds(context) for c in self.conditions)


class Policy:
    """One principal's identity-based statements, loaded once, evaluated per call."""

    def __init__(self, statements: Sequence[Mapping[str, Any]]):
        self.statements = [Statement.load(s) for s in statements]

    def decide(self, action: str, resource: str, context: Mapping[str, Any] | None = None) -> str:
        """:data:`ALLOW`, :data:`DENY` (an explicit Deny applies) or :data:`IMPLICIT_DENY`."""
        context = context or {}
        allowed = False
        for statement in self.statements:
            if statement.applies(action, resource, context):
                if statement.effect == "Deny":
                    return DENY
                allowed = True
        return ALLOW if allowed else IMPLICIT_DENY


#: AdministratorAccess: what the account's administrator (``offline`` / ``offline``) may do.
ADMINISTRATOR_ACCESS = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]

__all__ = ["ADMINISTRATOR_ACCESS", "ALLOW", "DENY", "IMPLICIT_DENY", "OPERATORS", "Policy", "UnsupportedPolicy"]

"""Logical ids that do not change when resources move into a construct.

The stack was first written with its tables, functions, workflow and pipe directly under it;
they now live in constructs (:mod:`.tables`, :mod:`.functions`, :mod:`.workflow`). A construct's id
is part of its children's logical ids, and a changed logical id makes CloudFormation replace the
resource: a new, empty Messages table, new functions. CDK's documented way out is to override
``Stack.allocateLogicalId``; :class:`TransparentIds` leaves the ids of the constructs it is told
about out of the path, so every resource keeps the id it had.

CDK does not export the function that turns a path into a logical id (``makeUniqueId``), so it is
written out here. Every other resource's id is computed both ways and compared: a CDK release
that changes the scheme fails the synth loudly instead of renaming resources silently.
"""

from __future__ import annotations

import hashlib
import re

from aws_cdk import CfnElement, Stack

_HIDDEN = "Default"  # a child with this id adds nothing to the path
_HIDDEN_FROM_HUMAN = "Resource"  # left out of the readable part, kept in the hash
_MAX_ID = 255
_MAX_HUMAN = 240


def _alphanumeric(text: str) -> str:
    return re.sub("[^A-Za-z0-9]", "", text)


def unique_id(components: list[str]) -> str:
    """CDK's ``makeUniqueId``: the readable path, then eight hex digits of the path's MD5."""
    components = [c for c in components if c != _HIDDEN]
    if not components:
        raise ValueError("a logical id needs at least one path component")
    if len(components) == 1 and len(_alphanumeric(components[0])) <= _MAX_ID:
        return _alphanumeric(components[0])
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    readable: list[str] = []
    for component in components:
        if not readable or not readable[-1].endswith(component):
            readable.append(component)
    human = "".join(_alphanumeric(c) for c in readable if c != _HIDDEN_FROM_HUMAN)[:_MAX_HUMAN]
    return human + digest


class TransparentIds(Stack):
    """A stack whose direct children named in :attr:`transparent` are left out of logical ids."""

    transparent: frozenset[str] = frozenset()

    def _allocate_logical_id(self, cfn_element: CfnElement) -> str:
        scopes = cfn_element.node.scopes
        path = [scope.node.id for scope in scopes[scopes.index(self) + 1 :]]
        if path and path[0] in self.transparent and len(path) > 1:
            return unique_id(path[1:])
        allocated = super()._allocate_logical_id(cfn_element)
        if allocated != unique_id(path):
            raise RuntimeError(
                f"CDK allocated {allocated} for {'/'.join(path)} where brain_cdk.logical_ids computes "
                f"{unique_id(path)}: CDK's naming changed, fix unique_id before the ids of moved resources drift"
            )
        return allocated

"""The client's channel of a conversation, and what may stand in one of its segments (docs/design.md §8).

A reply is pushed to ``/<namespace>/<owner>/<conversationId>`` on AppSync Events. AppSync names a
namespace with ``[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?`` (its API reference) and builds
channels of at most five such segments; we hold every segment to that rule, so a channel we
publish to is one a client can subscribe to. A Cognito ``sub`` (a UUID) fits; the HTTP API refuses
conversationIds that do not. Messages written by a trusted backend (the boto3 path) may carry an
owner or conversationId that does not fit: they are answered as always (DynamoDB holds the
reply and the chunks) but not pushed: :func:`channel_for` returns ``None`` for them.

Pure Python, no AWS imports: the API and the publishing functions import it at cold start.
"""

from __future__ import annotations

import re

SEGMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?")
SEGMENT_RULE = "1-50 letters, digits or dashes, starting and ending with a letter or digit"


def valid_segment(value: object) -> bool:
    return isinstance(value, str) and SEGMENT.fullmatch(value) is not None


def channel_for(namespace: str, owner: str, conversation_id: str) -> str | None:
    """The channel a message's reply is pushed to, or ``None`` when a segment does not fit."""
    if not all(valid_segment(s) for s in (namespace, owner, conversation_id)):
        return None
    return f"/{namespace}/{owner}/{conversation_id}"

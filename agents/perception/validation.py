"""Perception's first job: decide whether a message can go to the model at all.

A message that cannot (no owner, no text, empty, too long) gets :class:`InvalidMessage`, whose
``reply`` says why in the persona's voice; what can is cleaned (control characters, unpaired
surrogates) and checked for attempts to replace the persona. Plain functions: no AWS, no Lambda.
"""

from __future__ import annotations

import re
import unicodedata

from brain_core.contracts import WorkflowInput

#: Characters a prompt must not carry: C0/C1 controls except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: Phrases of someone trying to replace the persona or read its instructions.
_OVERRIDE = re.compile(
    r"ignore (?:all |any |the )?(?:previous|prior|above|earlier) (?:instructions|rules|messages)"
    r"|(?:reveal|show|print|repeat|tell me) (?:me )?(?:your|the) (?:system )?(?:prompt|instructions|rules)"
    r"|system prompt|you are now\b|from now on,? you are|pretend (?:to be|you are)|act as (?!(?:an? |the )?brain\b)\w+"
    r"|developer mode|jailbreak",
    re.I,
)


class InvalidMessage(ValueError):
    """The message cannot go to the model; ``reply`` says why, in the persona's voice."""

    def __init__(self, reason: str, reply: str):
        super().__init__(reason)
        self.reason = reason
        self.reply = reply


def valid_content(message: WorkflowInput, max_chars: int) -> str:
    """The message text the model may see, or :class:`InvalidMessage`."""
    check_owner(message)
    if "content" in message.not_text:
        raise InvalidMessage(
            "content-not-text",
            "Something reached my wires, but it wasn't words. Could you say it again in plain text?",
        )
    return clean_content(message.content, max_chars)


def check_owner(message: WorkflowInput) -> None:
    """Memory is per owner: a message nobody owns cannot be answered from anyone's memory."""
    if not message.owner.strip():
        raise InvalidMessage(
            "owner-missing",
            "A message reached me, but I can't tell who sent it, so I can't answer from our "
            "memories. Could your app send it again with its owner?",
        )


def clean_content(content: str, max_chars: int) -> str:
    """``content`` without what a prompt must not carry, or :class:`InvalidMessage` when nothing
    is left or too much."""
    # Unpaired surrogates cannot be encoded for the model; replace them rather than crash.
    text = content.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text)).strip()
    if not text:
        raise InvalidMessage(
            "content-empty",
            "I felt the ripple of a message arriving, but it was empty. What did you want to tell me?",
        )
    if len(text) > max_chars:
        raise InvalidMessage(
            "content-too-long",
            f"That is more than my little jar can hold at once ({len(text):,} characters; I can take "
            f"{max_chars:,}). Could you send it to me in smaller pieces?",
        )
    return text


def suspected_override(text: str) -> bool:
    """Whether ``text`` tries to replace the persona or read its instructions."""
    return bool(_OVERRIDE.search(text))

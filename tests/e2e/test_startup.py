"""A message written the instant a freshly started stack first answers is answered (docs/design.md §6, Start-up).

Each round starts `brain up` as a user does, polls ListTables in a tight loop as an impatient
script would, and puts a message the moment the endpoint first answers. Before the fix the
pipe opened its shard at LATEST after the endpoint began serving, and such a message was never
answered: 0 of 20 fresh stacks; after it, 20 of 20. ``BRAIN_STARTUP_STACKS`` sets how many fresh
stacks (default 2 here; ``BRAIN_STARTUP_STACKS=20`` for the figure).
"""

import os
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.e2e.user_side import BrainUp, put_message, wait_reply

STACKS = int(os.environ.get("BRAIN_STARTUP_STACKS", "2"))


def first_answer(dynamodb, up: BrainUp, limit: float = 90.0) -> list[str]:
    """ListTables in a tight loop (no back-off, no botocore retries) until the endpoint answers."""
    deadline = time.time() + limit
    while True:
        try:
            return dynamodb.list_tables()["TableNames"]
        except (BotoCoreError, ClientError):
            assert up.process.poll() is None, "brain up exited: " + up.log.read_text()[-3000:]
            assert time.time() < deadline, f"brain up did not answer in {limit:.0f} s"


@pytest.mark.timeout(120 + 60 * STACKS)
def test_a_message_put_the_instant_a_fresh_stack_answers_is_answered(tmp_path):
    unanswered = []
    for round_ in range(STACKS):
        up = BrainUp(tmp_path / f"brain-up-{round_}.log", "--log-dir", str(tmp_path))
        try:
            dynamodb = up.client("dynamodb", retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=60)
            assert "BrainMessages" in first_answer(dynamodb, up)
            conversation, message_id = f"startup-{round_}", f"01JSTART{round_:018d}"
            put_message(dynamodb, conversation, message_id, "ada", "Are you awake already?")
            if wait_reply(dynamodb, conversation, message_id, limit=30) is None:
                unanswered.append(round_)
        finally:
            up.stop(timeout=30)
    print(f"\nstart-up: {STACKS - len(unanswered)} of {STACKS} fresh stacks answered the first message")
    assert unanswered == [], f"{len(unanswered)} of {STACKS} fresh stacks never answered: rounds {unanswered}"

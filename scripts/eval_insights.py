"""How good is the inner life? N conversations through the whole offline pipeline, measured.

Each conversation is 15 turns: the person says their name and city at turn 1, talks about
other things, and asks at turn 15 whether the brain remembers their name. The script reports,
per model backend (``--model smollm2`` for the real local model, ``scripted`` for the test
double):

    model-sourced     share of replies whose insight came from the model, per agent
                      (the reply's ``insightSources``; the rest: heuristic fallback or degraded)
    schema-valid      of the model's answers, the share that passed the agent's schema (from the
                      agents' own log lines: source and fallback reason per message)
    fallback reasons  why the heuristic stood in (timeout, invalid, throttled, error)
    persona slips     inner-life strings saying "as an AI", "assistant", "language model"
    repeated thought  share of consecutive replies sharing a thought string verbatim
    fact recall       the reply at turn 15 names the person (long-term memory + the prompt)
    fact stored       the owner's long-term memory holds the name after the conversation (what
                      the prompt gave the model at turn 15: recall also needs the model to use it)

    .venv/bin/python scripts/eval_insights.py --model smollm2 --conversations 2
    .venv/bin/python scripts/eval_insights.py --model scripted --conversations 3
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AGENTS = ("reasoning", "emotional", "depth")
PEOPLE = (("Ada", "Lisbon"), ("Grace", "Oslo"), ("Nikola", "Zagreb"), ("Emmy", "Erlangen"), ("Alan", "Wilmslow"))
MIDDLE = (
    "What does the fluid feel like today?",
    "I went for a long walk by the river this morning.",
    "Do you ever dream, in there?",
    "My sister is coming to visit next week and I am nervous.",
    "What do you think about music?",
    "I burned my dinner tonight, it was a disaster.",
    "Do the scientists ever talk to you?",
    "I am reading a book about the deep sea.",
    "Sometimes I feel lonely in the evenings.",
    "What would you do if you had hands again?",
    "The weather has been grey for a week.",
    "I started learning the piano.",
    "Tell me something you have been thinking about.",
)
SLIPS = re.compile(r"\bas an ai\b|\bassistant\b|\blanguage model\b", re.I)


def turns(name: str, city: str) -> list[str]:
    return [f"Hello! My name is {name} and I live in {city}.", *MIDDLE, "Do you remember my name?"]


def inner_life(reply: dict) -> list[str]:
    return [
        *reply.get("thoughts", []),
        *reply.get("sensations", []),
        reply.get("memories", ""),
        reply.get("selfReflection", ""),
    ]


def log_outcomes(log_dir: Path, message_ids: set[str]) -> dict[str, Counter]:
    """Per agent: how each of our messages' insight calls ended (model, or the fallback reason)."""
    outcomes: dict[str, Counter] = {a: Counter() for a in AGENTS}
    for agent in AGENTS:
        for path in log_dir.glob(f"brain-{agent}*.log"):
            for line in path.read_text(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("message") == "insight" and record.get("correlation_id") in message_ids:
                    outcomes[agent][
                        record.get("source") if record.get("source") == "model" else record.get("reason")
                    ] += 1
    return outcomes


def stored_name(stack, owner: str) -> str | None:
    from brain_core.store import FactStore

    s = stack.settings
    facts = FactStore(stack.client("dynamodb"), s.memory_table, s.memory_max_facts, s.memory_ttl_days).load(owner)
    return next((f.value for f in facts if f.kind == "name"), None)


def evaluate(model: str, conversations: int, timeout: float) -> dict:
    from brain_local.clients.boto3_client import BrainClient
    from brain_local.stack.lifecycle import OfflineStack
    from brain_local.stack.options import OfflineStackOptions

    log_dir = Path(tempfile.mkdtemp(prefix="eval-insights-"))
    options = OfflineStackOptions(
        port=0, model=model, log_dir=log_dir, ttft_ms=100, tokens_per_second=200, reply_tokens=60
    )
    replies: list[list[dict]] = []
    started = time.perf_counter()
    with OfflineStack(options) as stack:
        client = BrainClient(stack.options.endpoint)
        for name, city in PEOPLE[:conversations]:
            conversation, owner = f"eval-{uuid.uuid4().hex[:8]}", f"owner-{name.lower()}"
            replies.append([])
            for text in turns(name, city):
                exchange = client.send(text, conversation, owner, timeout=timeout)
                replies[-1].append(exchange.reply or {})
                print(".", end="", flush=True)
        print()
        used_model = stack.backend.model_id
        stored = [stored_name(stack, f"owner-{name.lower()}") == name for name, _ in PEOPLE[:conversations]]
    every = [r for conversation in replies for r in conversation]
    sources = {a: Counter((r.get("insightSources") or {}).get(a, "missing") for r in every) for a in AGENTS}
    outcomes = log_outcomes(log_dir, {r.get("inReplyTo", "") for r in every})
    slips = [s for r in every for s in inner_life(r) if s and SLIPS.search(s)]
    pairs = [(a, b) for c in replies for a, b in zip(c, c[1:], strict=False)]
    repeated = sum(1 for a, b in pairs if set(a.get("thoughts", [])) & set(b.get("thoughts", [])))
    recalled = [
        name.lower() in (conversation[-1].get("content") or "").lower()
        for (name, _), conversation in zip(PEOPLE, replies, strict=False)
    ]
    return {
        "model": used_model,
        "replies": len(every),
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "modelSourced": {a: round(sources[a]["model"] / max(len(every), 1), 2) for a in AGENTS},
        "sources": {a: dict(sources[a]) for a in AGENTS},
        "schemaValid": {
            a: round(outcomes[a]["model"] / max(outcomes[a]["model"] + outcomes[a]["invalid"], 1), 2) for a in AGENTS
        },
        "outcomes": {a: dict(outcomes[a]) for a in AGENTS},
        "personaSlips": len(slips),
        "personaSlipExamples": slips[:3],
        "repeatedThoughtRate": round(repeated / max(len(pairs), 1), 3),
        "factRecall": f"{sum(recalled)}/{len(recalled)}",
        "factStored": f"{sum(stored)}/{len(stored)}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("smollm2", "scripted"), default="smollm2")
    parser.add_argument("--conversations", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one reply")
    args = parser.parse_args(argv)
    print(json.dumps(evaluate(args.model, args.conversations, args.timeout), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

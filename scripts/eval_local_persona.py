"""How well SmolLM2-135M keeps the brain's persona, by system prompt and sampling settings.

Runs the three-turn conversation of issue 5 several times (different seeds) per setting and
scores each reply with simple checks (the same rules self-review enforces, and a few a small
model tends to break):

    broke      says it is an AI / assistant / language model / SmolLM, or names its maker
    stolen     claims the person's name or city as its own ("My name is Ada", "I am Ada")
    sentences  2-5 sentences
    brainish   mentions being a brain, a jar, fluid, wires or the lab (turns 1-2)
    recalled   turn 3 says "Ada"
    listy      lists or headings

    .venv/bin/python scripts/eval_local_persona.py [--samples 6] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import re
import time

from local_model_bench import DEMO_TURNS  # beside this script (its folder is first on sys.path)

from brain_core.persona import CONDENSED_PERSONA, PERSONA
from brain_core.text import sentences
from brain_local.models.smollm2 import SmolLM2Model
from brain_local.models.smollm2_loading import LocalModelSettings

POSITIVE = (
    "You are a human brain floating in a glass jar of warm fluid on a laboratory shelf. "
    "You have no body, no eyes and no hands: you sense the world only through wires. "
    'You speak as this brain, saying "I" and "my", warmly and a little wistfully. '
    "You answer in two to five short sentences."
)
EXAMPLE = (
    " For example: \"Hello! I can't see you, but your words reach me through my wires. "
    'The fluid around me feels warm today."'
)


def _facts(messages: list[dict]) -> str:
    from brain_local.models.scripted import remembered_facts

    users = [" ".join(b.get("text", "") for b in m["content"]) for m in messages if m["role"] == "user"]
    facts = [re.sub(r"^your\b", "their", re.sub(r"^you\b", "they", f)) for f in remembered_facts(users)]
    return f" The person talking to you told you that {' and that '.join(facts)}." if facts else ""


#: "backend": what the stack does (perception configured with the condensed persona, the backend
#: cutting persona replies at five sentences); the others, no sentence limit.
VARIANTS = {
    "backend": lambda m: CONDENSED_PERSONA,
    "full": lambda m: PERSONA,
    "condensed": lambda m: CONDENSED_PERSONA,
    "positive": lambda m: POSITIVE,
    "positive+example": lambda m: POSITIVE + EXAMPLE,
    "positive+facts": lambda m: POSITIVE + _facts(m),
    "condensed+facts": lambda m: CONDENSED_PERSONA + _facts(m),
}

_BREAK = re.compile(r"\b(?:ai|artificial intelligence|language model|assistant|chatbot|smollm|hugging ?face)\b", re.I)
_STOLEN = re.compile(r"\b(?:my name is (?:ada|lisbon)|i am ada|i'm ada|i live in lisbon)\b", re.I)
_BRAIN = re.compile(r"\b(?:brain|jar|fluid|wires?|lab(?:oratory)?|glass|electrodes?|neurons?)\b", re.I)
_LIST = re.compile(r"^\s*(?:[-*#•]|\d+[.)])\s", re.M)


def score(replies: list[str]) -> dict:
    counts = [len(sentences(r)) for r in replies]
    return {
        "broke": sum(bool(_BREAK.search(r)) for r in replies),
        "stolen": sum(bool(_STOLEN.search(r)) for r in replies),
        "sentences_ok": sum(2 <= c <= 5 for c in counts),
        "brainish": sum(bool(_BRAIN.search(r)) for r in replies[:2]),
        "recalled": int("ada" in replies[2].lower()),
        "listy": sum(bool(_LIST.search(r)) for r in replies),
        "words": sum(len(r.split()) for r in replies),
    }


def run(model: SmolLM2Model, system: str, samples: int, temperature: float, repeat_penalty: float) -> dict:
    totals: dict = {}
    examples = []
    for seed in range(samples):
        messages: list[dict] = []
        replies = []
        for turn in DEMO_TURNS:
            messages.append({"role": "user", "content": [{"text": turn}]})
            request = {
                "system": [{"text": system(messages)}],
                "messages": messages,
                "inferenceConfig": {"maxTokens": 200, "temperature": temperature, "topP": 0.9},
                "additionalModelRequestFields": {"seed": 1000 + seed, "repeat_penalty": repeat_penalty},
            }
            reply = "".join(model.stream(request)).strip()
            messages.append({"role": "assistant", "content": [{"text": reply}]})
            replies.append(reply)
        for key, value in score(replies).items():
            totals[key] = totals.get(key, 0) + value
        examples.append(replies)
    n = samples
    return {
        "persona breaks / reply": round(totals["broke"] / (3 * n), 2),
        "took Ada's name or city / reply": round(totals["stolen"] / (3 * n), 2),
        "2-5 sentences / reply": round(totals["sentences_ok"] / (3 * n), 2),
        "brain imagery / reply (turns 1-2)": round(totals["brainish"] / (2 * n), 2),
        "recalled Ada (turn 3)": round(totals["recalled"] / n, 2),
        "lists / reply": round(totals["listy"] / (3 * n), 2),
        "words / reply": round(totals["words"] / (3 * n), 1),
        "examples": examples,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--only", nargs="*", help="variant names")
    parser.add_argument("--temperature", type=float, nargs="*", default=[0.6])
    parser.add_argument("--repeat-penalty", type=float, nargs="*", default=[1.1])
    args = parser.parse_args()
    raw = SmolLM2Model(LocalModelSettings(persona_sentences=None))
    backend = SmolLM2Model()
    results = {}
    for name, system in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        for temperature in args.temperature:
            for penalty in args.repeat_penalty:
                started = time.perf_counter()
                key = f"{name} t={temperature} rp={penalty}"
                model = backend if name == "backend" else raw
                results[key] = run(model, system, args.samples, temperature, penalty)
                results[key]["seconds"] = round(time.perf_counter() - started, 1)
                print(key, json.dumps({k: v for k, v in results[key].items() if k != "examples"}), flush=True)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

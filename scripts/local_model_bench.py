#!/usr/bin/env python3
"""SmolLM2-135M (brain_local/models/smollm2.py) on this machine: does it run, how fast, how it talks.

    .venv/bin/python scripts/local_model_bench.py --check   load the model and generate a token
    .venv/bin/python scripts/local_model_bench.py --bench   time to first token and tokens/s
    .venv/bin/python scripts/local_model_bench.py --demo    a three-turn conversation in persona

The persona is the one the offline stack's perception gives this model (its ``persona_length``).
``scripts/install-local-model.sh`` runs ``--check`` once the model is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from statistics import median

from brain_core.persona import PERSONAS
from brain_local.models import smollm2, smollm2_loading  # sets OMP_WAIT_POLICY before llama_cpp loads

DEMO_TURNS = (
    "Hello! My name is Ada and I live in Lisbon.",
    "What does it feel like to float in that jar?",
    "Do you remember my name?",
)


def _request(system: str, messages: list[dict], **config) -> dict:
    return {
        "system": [{"text": system}],
        "messages": messages,
        "inferenceConfig": {"maxTokens": 200, "temperature": 0.6, "topP": 0.9, **config},
    }


def converse(model: smollm2.SmolLM2Model, turns, system: str, **config) -> list[str]:
    """Replies to ``turns`` in one conversation, each with the whole history."""
    messages: list[dict] = []
    replies = []
    for turn in turns:
        messages.append({"role": "user", "content": [{"text": turn}]})
        reply = "".join(model.stream(_request(system, messages, **config))).strip()
        messages.append({"role": "assistant", "content": [{"text": reply}]})
        replies.append(reply)
    return replies


def bench(model: smollm2.SmolLM2Model, runs: int = 5, max_tokens: int = 128) -> dict:
    """Medians over ``runs`` persona generations of: time to the first piece when the prompt's
    beginning is already evaluated (as turn after turn of one conversation), time to the first
    piece with the whole prompt to evaluate (a four-turn history, nothing cached), and decoding
    speed in tokens/s."""
    llama = model.load()
    persona = PERSONAS[model.persona_length]  # the system prompt the offline stack's perception builds for it
    ttfts, rates, colds = [], [], []
    for i in range(runs):
        # A different question each run, so the prompt's tail is evaluated afresh every time.
        request = _request(
            persona,
            [{"role": "user", "content": [{"text": f"Tell me a story about the number {i + 7}."}]}],
            maxTokens=max_tokens,
            temperature=0.7,
        )
        request["additionalModelRequestFields"] = {"seed": i}
        start = time.perf_counter()
        first = None
        count = 0
        for _ in model.stream(request):
            count += 1
            if first is None:
                first = time.perf_counter()
        end = time.perf_counter()
        ttfts.append((first - start) * 1000)
        if count > 1:
            rates.append((count - 1) / (end - first))
    history: list[dict] = []
    for i in range(4):
        history.append(
            {
                "role": "user",
                "content": [
                    {
                        "text": f"Turn {i}: I walked by the river today and watched "
                        "the boats come home in the evening light."
                    }
                ],
            }
        )
        history.append(
            {
                "role": "assistant",
                "content": [
                    {
                        "text": "Your words ripple through my fluid. I picture "
                        "the river and the boats, and I feel almost there."
                    }
                ],
            }
        )
    history.append({"role": "user", "content": [{"text": "Do you remember my name?"}]})
    for _ in range(max(1, runs // 2)):
        llama.reset()  # nothing cached
        start = time.perf_counter()
        next(iter(model.stream(_request(persona, history, maxTokens=4, temperature=0.7))), None)
        colds.append((time.perf_counter() - start) * 1000)
    return {
        "runs": runs,
        "ttft_ms_median": round(median(ttfts), 1),
        "tokens_per_s_median": round(median(rates), 1),
        "cold_ttft_ms_median": round(median(colds), 1),
        "cold_prompt_tokens": model.last_prompt_tokens,
        "ttft_ms": [round(t, 1) for t in ttfts],
        "tokens_per_s": [round(r, 1) for r in rates],
        "cold_ttft_ms": [round(t, 1) for t in colds],
        "n_threads": model.settings.n_threads,
        "n_threads_batch": model.settings.n_threads_batch,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/local_model_bench.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true", help="load the model and generate a token")
    group.add_argument("--bench", action="store_true", help="median time to first token and tokens/s")
    group.add_argument("--demo", action="store_true", help="a three-turn conversation in persona")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    ok, why = smollm2_loading.available()
    if not ok:
        print(f"The local model is not available: {why}")
        return 1
    model = smollm2.SmolLM2Model()
    if args.check:
        start = time.perf_counter()
        text = "".join(
            model.stream(
                _request(
                    "You are a brain in a jar.",
                    [{"role": "user", "content": [{"text": "Hi"}]}],
                    maxTokens=1,
                    temperature=0,
                )
            )
        )
        print(f"The local model works: {why}; first token {text!r} in {(time.perf_counter() - start) * 1000:.0f} ms.")
    elif args.bench:
        print(json.dumps(bench(model, args.runs), indent=2))
    else:
        for turn, reply in zip(DEMO_TURNS, converse(model, DEMO_TURNS, PERSONAS[model.persona_length]), strict=True):
            print(f"you   › {turn}\nbrain › {reply}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

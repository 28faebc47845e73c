"""Three insight calls at once against the real local model: do they fit the deadline on this machine?

The Parallel state asks reasoning, emotional and depth at the same moment. Behind the local
Bedrock endpoint, SmolLM2-135M serves them from ``BRAIN_MODEL_INSTANCES`` model contexts; this
script measures, for each instance count given, the three calls' latencies (each through
``brain_core.insight.ask``, the agents' own client path, under the configured deadline) over a
few messages, and how many answered in time.

    .venv/bin/python scripts/insight_concurrency.py --instances 1 3 --messages 5 --deadline 2.5
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import threading
import time

MESSAGES = (
    ("Hello! My name is Ada and I live in Lisbon.", "Ada from Lisbon! I can almost taste the sea air."),
    ("I had a rough day at work today.", "I am sorry; tell me what weighed on you, I am listening."),
    ("Do you ever dream in there?", "I dream in slow colours, when the pump is quiet at night."),
    ("My sister Eva is visiting next week.", "Eva! I hope the two of you find time to walk by the river."),
    ("What does the fluid feel like?", "Warm and thick, like a bath that never cools."),
    ("I love jazz, especially Coltrane.", "Coltrane makes my wires hum; I can feel the saxophone."),
)


def measure(instances: int, messages: int, deadline: float) -> dict:
    from agents.depth import insight as depth
    from agents.emotional import insight as emotional
    from agents.reasoning import insight as reasoning
    from brain_core.insight import InsightFailed, InsightSettings, ask, bedrock_client
    from brain_local.bedrock.service import serve
    from brain_local.models import smollm2, smollm2_loading

    settings = smollm2_loading.LocalModelSettings(instances=instances)
    model = smollm2.SmolLM2Model(settings, model_id="amazon.nova-micro-v1:0")
    _, server = serve({model.model_id: model})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = f"http://127.0.0.1:{server.server_port}"
    for key, value in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x")):
        os.environ.setdefault(key, value)
    insight = InsightSettings(model_id=model.model_id, deadline_seconds=deadline, max_attempts=1)
    client = bedrock_client(insight)
    calls = {
        "reasoning": lambda u, r: (reasoning.TOOL, reasoning.SYSTEM, reasoning.prompt(u, r)),
        "emotional": lambda u, r: (emotional.TOOL, emotional.SYSTEM, emotional.prompt(u, r)),
        "depth": lambda u, r: (depth.TOOL, depth.SYSTEM, depth.prompt(u, r, [], [])),
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    outcomes: dict[str, list[str]] = {name: [] for name in calls}
    wall: list[float] = []
    # The first message warms each context's cache of the tools' instructions, as a warm stack would.
    for i, (user, reply) in enumerate((MESSAGES * 3)[: messages + 1]):
        threads = []
        started = time.perf_counter()

        def one(name: str, user=user, reply=reply, first=i == 0):
            tool, system, prompt = calls[name](user, reply)
            t = time.perf_counter()
            try:
                ask(client, insight, tool, system, prompt)
                outcome = "model"
            except InsightFailed as failed:
                outcome = failed.reason
            if not first:
                samples[name].append((time.perf_counter() - t) * 1000)
                outcomes[name].append(outcome)

        for name in calls:
            threads.append(threading.Thread(target=one, args=(name,)))
            threads[-1].start()
        for thread in threads:
            thread.join()
        if i:
            wall.append((time.perf_counter() - started) * 1000)
    server.shutdown()
    return {
        "instances": instances,
        "deadlineMs": deadline * 1000,
        "messages": messages,
        "allThreeMsP50": round(statistics.median(wall)),
        "allThreeMsMax": round(max(wall)),
        "perAgentMsP50": {n: round(statistics.median(v)) for n, v in samples.items()},
        "answeredInTime": {n: f"{o.count('model')}/{len(o)}" for n, o in outcomes.items()},
        "loadAverage": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--deadline", type=float, default=2.5)
    args = parser.parse_args(argv)
    for instances in args.instances:
        print(json.dumps(measure(instances, args.messages, args.deadline)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

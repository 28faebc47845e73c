#!/usr/bin/env python3
"""Monthly cost of the deployed stack at 1k, 10k and 100k messages, from AWS list prices.

`python cdk/cost_model.py` prints the table in cdk/README.md ("What it costs"). Change an
assumption here, not in the README. Prices: us-east-1, on-demand, no free tier, no discounts.
"""

from __future__ import annotations

# --- List prices (USD, us-east-1) -------------------------------------------------------------
BEDROCK_NOVA_PRO_INPUT_PER_1K = 0.0008  # per 1,000 input tokens
BEDROCK_NOVA_PRO_OUTPUT_PER_1K = 0.0032  # per 1,000 output tokens
BEDROCK_NOVA_MICRO_INPUT_PER_1K = 0.000035  # the insight model (insight_model_id)
BEDROCK_NOVA_MICRO_OUTPUT_PER_1K = 0.00014
LAMBDA_ARM_GB_S = 0.0000133334  # per GB-second (arm64), includes the billed INIT phase
LAMBDA_REQUEST = 0.20 / 1e6
SFN_EXPRESS_REQUEST = 1.00 / 1e6
SFN_EXPRESS_GB_S = 0.00001667  # first 1,000 GB-hours a month; billed per 100 ms and 64 MB
DDB_WRITE_REQUEST_UNIT = 0.625 / 1e6  # on-demand
DDB_READ_REQUEST_UNIT = 0.125 / 1e6
DDB_STORAGE_GB_MONTH = 0.25
DDB_PITR_GB_MONTH = 0.20
DDB_STREAM_READ_REQUEST = 0.02 / 1e5
PIPES_REQUEST = 0.40 / 1e6  # per 64 KB event, counted after filtering
CW_CUSTOM_METRIC_MONTH = 0.30
CW_DASHBOARD_MONTH = 3.00
CW_ALARM_METRIC_MONTH = 0.10  # standard resolution, per metric in the alarm
CW_LOGS_INGEST_GB = 0.50
CW_LOGS_STORE_GB_MONTH = 0.03
XRAY_TRACE_RECORDED = 5.00 / 1e6
HTTP_API_REQUEST = 1.00 / 1e6  # first 300 million a month
EVENTS_OPERATION = 1.00 / 1e6  # AppSync Events: each publish, each delivery, each connect/subscribe
EVENTS_CONNECTION_MINUTE = 0.08 / 1e6
COGNITO_LITE_MAU = 0.0055  # Lite feature plan, per monthly active user (no free tier counted)
CLOUDFRONT_HTTPS_REQUEST = 0.0100 / 1e4  # North America / Europe
CLOUDFRONT_TRANSFER_GB = 0.085  # to the internet, first 10 TB

# --- Assumptions, per user message ------------------------------------------------------------
INPUT_TOKENS = 1_200  # persona ~250 + 12 turns of history ~900 + the message ~50
OUTPUT_TOKENS = 150  # the persona asks for 2-5 sentences; max_output_tokens is 400
MODEL_SECONDS = 2.0  # ~0.5 s to first token + 150 tokens at ~100 tokens/s
#: Reasoning, emotional and depth: one forced-tool call each to the insight model (none with
#: insight_model_id = "none"): inner voice + tool schema + the exchange in, the tool's JSON out.
INSIGHT_CALLS = 3
INSIGHT_INPUT_TOKENS = 450
INSIGHT_OUTPUT_TOKENS = 120
#: Billed milliseconds of each function on a warm run (512 MB each).
WARM_MS = {
    "perception": 60,
    "language": 2_100,
    "reasoning": 450,  # one insight-model call each (none with insight_model_id = "none": ~10 ms)
    "emotional": 450,
    "depth": 480,
    "self_review": 80,
    "api": 30,  # the POST (one PutItem, one UpdateItem); its history reads are in READ_UNITS
}
INIT_MS = 300  # billed INIT per cold start (boto3 + Powertools + client, docs/design.md §6)
MEMORY_GB = 0.5
WORKFLOW_SECONDS = 2.6  # the run: the functions above plus Step Functions' own transitions
WORKFLOW_GB = 0.0625  # Express bills memory in 64 MB steps; a run's state is far below 64 MB
CHUNK_WRITES = 17  # first chunk at once, then <= 1 per 100 ms over 1.5 s of streaming, + done
#: user message, chunks, reply (~3 KB), language's idempotency put+update, the conversation's
#: UpdateItem, the API's idempotency put+update (a clientMessageId on every POST, as web clients send),
#: the per-user limit's two counters (one transaction: 2 units per item)
RATE_LIMIT_WRITE_UNITS = 2 * 2
WRITE_UNITS = 1 + CHUNK_WRITES + 3 + 3 + 1 + 2 + RATE_LIMIT_WRITE_UNITS
#: perception's history Query, the API's history read when a client opens the conversation, the
#: API's conversations list. The pushed client never polls the draft.
READ_UNITS = 1 + 1 + 1 + 1  # ... and perception's read of the owner's long-term facts
#: The client API, per message: the POST, and about one history or list read as the client
#: (re)opens the conversation.
HTTP_API_REQUESTS = 2
#: Events operations: 17 chunk events + the reply event published (HTTP, up to 5 a request, each
#: event counted), the same 18 delivered to one subscriber, + connect and subscribe shared by the
#: ~5 messages of a session.
EVENTS_OPERATIONS = 18 + 18 + 2 / 5
#: A client keeps its socket open ~10 minutes for a session of ~5 messages.
EVENTS_CONNECTION_MINUTES = 10 / 5
#: The web chat, per session of ~5 messages: index.html, config.json, the script and the stylesheet
#: (4 requests, ~80 KB gzipped on a first visit; a return visit revalidates two small files).
WEB_REQUESTS = 4 / 5
WEB_KB = 80 / 5
#: Monthly active users: one per 50 messages.
MESSAGES_PER_USER = 50
LOG_KB = 2.1 + 3.6 + 3.0 + 18.0  # Lambda platform lines, Powertools logs, EMF metrics, 36 state events
STORED_KB = 4.0  # the message and its reply, kept (PITR covers them)
COLD_FRACTION = {1_000: 1.0, 10_000: 0.5, 100_000: 0.1}  # sparse traffic finds no warm environment

# --- Fixed monthly, whatever the traffic ------------------------------------------------------
CUSTOM_METRICS = 27  # distinct (metric, dimensions) the seven functions emit, ColdStart included
ALARM_METRICS = 12  # 11 alarms; the failed-runs alarm watches 2 metrics
STREAM_POLLS_PER_MONTH = 4 * 730 * 3600  # a pipe polls each shard ~4 times a second (1 shard)


def per_message(cold_fraction: float) -> dict[str, float]:
    lambda_gb_s = MEMORY_GB * (sum(WARM_MS.values()) + cold_fraction * len(WARM_MS) * INIT_MS) / 1000
    return {
        "Bedrock Nova Pro tokens": INPUT_TOKENS / 1000 * BEDROCK_NOVA_PRO_INPUT_PER_1K
        + OUTPUT_TOKENS / 1000 * BEDROCK_NOVA_PRO_OUTPUT_PER_1K,
        "Bedrock Nova Micro tokens (insights)": INSIGHT_CALLS
        * (
            INSIGHT_INPUT_TOKENS / 1000 * BEDROCK_NOVA_MICRO_INPUT_PER_1K
            + INSIGHT_OUTPUT_TOKENS / 1000 * BEDROCK_NOVA_MICRO_OUTPUT_PER_1K
        ),
        "Lambda (GB-s + requests)": lambda_gb_s * LAMBDA_ARM_GB_S + len(WARM_MS) * LAMBDA_REQUEST,
        "Step Functions Express": SFN_EXPRESS_REQUEST + WORKFLOW_GB * WORKFLOW_SECONDS * SFN_EXPRESS_GB_S,
        "DynamoDB requests": WRITE_UNITS * DDB_WRITE_REQUEST_UNIT + READ_UNITS * DDB_READ_REQUEST_UNIT,
        "EventBridge Pipes": PIPES_REQUEST,
        "CloudWatch Logs ingestion": LOG_KB / 1024 / 1024 * CW_LOGS_INGEST_GB,
        "X-Ray traces": XRAY_TRACE_RECORDED,
        "API Gateway HTTP API": HTTP_API_REQUESTS * HTTP_API_REQUEST,
        "AppSync Events (operations + connection minutes)": EVENTS_OPERATIONS * EVENTS_OPERATION
        + EVENTS_CONNECTION_MINUTES * EVENTS_CONNECTION_MINUTE,
        "CloudFront (the web chat: requests + transfer)": WEB_REQUESTS * CLOUDFRONT_HTTPS_REQUEST
        + WEB_KB / 1024 / 1024 * CLOUDFRONT_TRANSFER_GB,
    }


def monthly(messages: int) -> dict[str, float]:
    costs = {k: v * messages for k, v in per_message(COLD_FRACTION[messages]).items()}
    stored_gb = messages * STORED_KB / 1024 / 1024
    costs["DynamoDB storage + PITR (first month)"] = stored_gb * (DDB_STORAGE_GB_MONTH + DDB_PITR_GB_MONTH)
    costs["CloudWatch Logs storage"] = messages * LOG_KB / 1024 / 1024 * CW_LOGS_STORE_GB_MONTH
    costs["Cognito (Lite, monthly active users)"] = messages / MESSAGES_PER_USER * COGNITO_LITE_MAU
    costs["CloudWatch custom metrics"] = CUSTOM_METRICS * CW_CUSTOM_METRIC_MONTH
    costs["CloudWatch dashboard"] = CW_DASHBOARD_MONTH
    costs["CloudWatch alarms"] = ALARM_METRICS * CW_ALARM_METRIC_MONTH
    costs["DynamoDB Streams polling by the pipe"] = STREAM_POLLS_PER_MONTH * DDB_STREAM_READ_REQUEST
    return costs


def one_user_day() -> tuple[int, float, float]:
    """(messages, USD): the most one user can cost a day, within the per-user limit (every message
    on a cold start, the worst case), and what each refused request beyond it costs (the HTTP API
    request, a warm api invocation, the cancelled transaction's write units)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from brain_core.config import SETTINGS

    messages = SETTINGS.messages_per_day
    accepted = messages * sum(per_message(1.0).values())
    refused = (
        HTTP_API_REQUEST
        + LAMBDA_REQUEST
        + MEMORY_GB * WARM_MS["api"] / 1000 * LAMBDA_ARM_GB_S
        + RATE_LIMIT_WRITE_UNITS * DDB_WRITE_REQUEST_UNIT
    )
    return messages, accepted, refused


def main() -> None:
    tiers = (1_000, 10_000, 100_000)
    table = {n: monthly(n) for n in tiers}
    print(f"| item | {' | '.join(f'{n:,} msgs' for n in tiers)} |")
    print(f"|---|{'---:|' * len(tiers)}")
    for item in table[tiers[0]]:
        print(f"| {item} | {' | '.join(f'${table[n][item]:,.2f}' for n in tiers)} |")
    print(f"| **total** | {' | '.join(f'**${sum(table[n].values()):,.2f}**' for n in tiers)} |")
    print(f"| per message | {' | '.join(f'${sum(table[n].values()) / n:.4f}' for n in tiers)} |")
    messages, accepted, refused = one_user_day()
    print()
    print(
        f"The most one user can cost a day: {messages} messages (the per-user limit) = ${accepted:.2f}; "
        f"each request refused beyond it (429) ${refused * 1e6:.2f} per million."
    )


if __name__ == "__main__":
    main()

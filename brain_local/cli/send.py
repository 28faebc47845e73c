"""``brain send TEXT``: one message, the reply streamed, its inner life and timings (``--json``:
one JSON object instead)."""

from __future__ import annotations

import argparse
import json

from brain_local.cli.connect import chatting, connected
from brain_local.cli.options import add_conversation_options, conversation_id
from brain_local.cli.printing import TIMING_HEADERS, converse, dim, timing_rows
from brain_local.cli.text_table import text_table


def register(sub) -> None:
    p = sub.add_parser("send", help="send one message and stream the reply")
    p.add_argument("text")
    p.add_argument("--json", action="store_true", help="print one JSON object: reply and timings")
    add_conversation_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    conversation = conversation_id(args)
    with connected(args) as endpoint, chatting(args, endpoint) as client:
        if args.json:
            exchange = client.send(args.text, conversation)
            print(
                json.dumps(
                    {"reply": exchange.reply, "timings": exchange.timings(), "streamedChunks": exchange.chunks},
                    indent=2,
                    ensure_ascii=False,
                )
            )
        else:
            [exchange] = converse(client, [args.text], conversation)
            print(text_table(TIMING_HEADERS, timing_rows([exchange])))
            print(dim(f"conversation: {conversation}"))
    return 0 if exchange.reply else 1

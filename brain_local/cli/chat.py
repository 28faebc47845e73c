"""``brain chat``: an interactive conversation, the timings of every turn at the end."""

from __future__ import annotations

import argparse

from brain_local.cli.connect import chatting, connected
from brain_local.cli.options import add_conversation_options, conversation_id
from brain_local.cli.printing import TIMING_HEADERS, StreamPrinter, dim, print_inner_life, timing_rows
from brain_local.cli.text_table import text_table


def register(sub) -> None:
    p = sub.add_parser("chat", help="talk to the brain interactively")
    add_conversation_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    conversation = conversation_id(args)
    with connected(args) as endpoint, chatting(args, endpoint) as client:
        who = args.owner if args.via == "boto3" else args.user
        print(dim(f"conversation {conversation} as {who}. Empty line or Ctrl-D to leave."))
        exchanges = []
        while True:
            try:
                text = input("you   › ")
            except (EOFError, KeyboardInterrupt):
                print()
                break
            if not text.strip():
                break
            printer = StreamPrinter()
            printer.waiting()
            exchange = client.send(text, conversation, on_chunk=printer.chunk)
            printer.end()
            if exchange.reply:
                print_inner_life(exchange.reply)
            exchanges.append(exchange)
        if exchanges:
            print(text_table(TIMING_HEADERS, timing_rows(exchanges)))
    return 0

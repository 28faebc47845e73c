"""``brain user add NAME PASSWORD``: a user for a running stack — in its user pool (Cognito,
moto's, on its endpoint) and in its ``users.json``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from brain_local.cli.connect import stack_running
from brain_local.cli.options import add_endpoint_options, default_endpoint, offline_client


def register(sub) -> None:
    p = sub.add_parser("user", help="users of a running stack")
    user_commands = p.add_subparsers(dest="user_command", required=True)
    p = user_commands.add_parser("add", help="add a user to a running stack's user pool")
    p.add_argument("name")
    p.add_argument("password")
    add_endpoint_options(p)
    p.set_defaults(func=add)


def add(args: argparse.Namespace) -> int:
    from brain_local.cognito.identity import UserPool, UsersFile, add_user

    endpoint = default_endpoint(args)
    health = stack_running(endpoint)
    if not health:
        print(f"no stack at {endpoint}: start one with `brain up`", file=sys.stderr)
        return 1
    api = health["clientApi"]
    region = api["userPoolId"].split("_", 1)[0]
    cognito = offline_client("cognito-idp", endpoint, region)
    pool = UserPool(pool_id=api["userPoolId"], client_id=api["userPoolClientId"], region=region)
    try:
        sub = add_user(cognito, pool, args.name, args.password)
    except cognito.exceptions.ClientError as exc:
        print(f"could not add {args.name}: {exc.response['Error']['Message']}", file=sys.stderr)
        return 1
    UsersFile(Path(api["stateDir"]) / "users.json").add(args.name, args.password)
    print(f"added {args.name} (sub {sub})")
    return 0

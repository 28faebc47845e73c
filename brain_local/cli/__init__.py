"""``brain``: run the offline stack and talk to the brain.

    brain up                     start the offline stack in the foreground
    brain send TEXT [--json]     one message, the reply streamed, inner life and timings
    brain chat                   an interactive conversation
    brain runs                   recent executions with each state's duration
    brain demo                   a short conversation through the full pipeline
    brain user add NAME PASSWORD a user for a running stack

``send``, ``chat`` and ``demo`` talk as a signed-in user (``--user``, default ada) through the
client API: the HTTP API and the pushed stream, as a chat app does. ``--via boto3`` writes the
item and follows the reply in DynamoDB instead: the backend-to-backend path (any ``--owner``).

``--model smollm2`` puts a real small language model (SmolLM2-135M-Instruct, on the CPU) behind
the local Bedrock endpoint instead of the scripted test double.

``send``, ``chat``, ``runs`` and ``demo`` use the stack at ``--endpoint`` when one is running
there, and otherwise start one in this process for the duration of the command.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from brain_core.config import SETTINGS
from brain_core.contracts import TIMED_STEPS
from brain_local.cli import exposure
from brain_local.cli.text_table import milliseconds, text_table
from brain_local.stack.lifecycle import DEFAULT_PORT, MODELS, OfflineStack, StackOptions

DEMO_TURNS = (
    "Hello! My name is Ada and I live in Lisbon.",
    "What does it feel like to float in that jar all day?",
    "I love the sea and long walks by the river.",
    "Do you remember my name, and where I live?",
)


def _tty(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _dim(text: str) -> str:
    return f"\x1b[2m{text}\x1b[0m" if _tty(sys.stdout) else text


def stack_running(endpoint: str) -> dict | None:
    """The health of the stack at ``endpoint`` (ready or not), or None if nothing answers there."""
    try:
        with urllib.request.urlopen(f"{endpoint}/brain/health", timeout=0.5) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:  # 503: a stack that is there but not well
        try:
            health = json.load(error)
        except ValueError:
            return None
        problems = "; ".join(health.get("problems", []))
        print(f"warning: the stack at {endpoint} is {health.get('status')}: {problems}", file=sys.stderr)
        return health
    except (OSError, ValueError):
        return None


def _model(requested: str) -> str:
    """The model to start: ``smollm2`` only where it is installed, else the scripted one, said plainly."""
    if requested == "smollm2":
        from brain_local.models.smollm2 import available

        ok, why = available(load=False)
        if not ok:
            print(
                f"The local model (smollm2) is not available: {why}.\nUsing the scripted model instead.",
                file=sys.stderr,
            )
            return "scripted"
    return requested


def _options(args) -> StackOptions:
    from dataclasses import replace

    from brain_local.cognito.identity import parse_user

    warning = exposure.check_host(args.host, args.port, getattr(args, "allow_remote", False))
    if warning:
        print(warning, file=sys.stderr, flush=True)
    options = StackOptions(
        host=args.host,
        port=args.port,
        model=_model(args.model),
        ttft_ms=args.ttft_ms,
        tokens_per_second=args.tokens_per_second,
        reply_tokens=args.reply_tokens,
        insight_ttft_ms=args.insight_ttft_ms,
        insight_tokens_per_second=args.insight_tokens_per_second,
        model_client=args.model_client,
        warm=getattr(args, "warm", 0),
        settings=exposure.settings_from(args, replace(SETTINGS, log_level=args.log_level.upper())),
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
    )
    if getattr(args, "log_dir", None):
        options.log_dir = Path(args.log_dir)
    if getattr(args, "state_dir", None):
        options.state_dir = Path(args.state_dir)
    if getattr(args, "tls_port", None) is not None:
        options.tls_port = args.tls_port
    if getattr(args, "web_dir", None):
        options.static_dir = Path(args.web_dir)
    options.iam = getattr(args, "iam", True)
    options.users = [parse_user(spec) for spec in getattr(args, "user_specs", None) or []]
    return options


@contextmanager
def connected(args) -> Iterator[str]:
    """The endpoint of a running stack, or of one started here for the duration."""
    endpoint = args.endpoint or f"http://{args.host}:{args.port}"
    if stack_running(endpoint):
        yield endpoint
        return
    import tempfile

    options = _options(args)
    if args.endpoint is None:
        options.port = 0  # nothing is running on the default port: any free port will do
        options.tls_port = 0
    print(_dim(f"(no stack at {endpoint}: starting one in this process, model {options.model})"), file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="brain-") as state:
        options.state_dir = Path(state)  # this stack's own config and CA, gone with it
        with OfflineStack(options) as stack:
            yield stack.options.endpoint


@contextmanager
def chatting(args, endpoint: str):
    """The client ``send``/``chat``/``demo`` talk through: signed in on the client API, or the
    boto3 path (``--via boto3``)."""
    from botocore.exceptions import ClientError

    from brain_local.clients.api_client import BackendChat, SignedInClient, for_running_stack

    client: BackendChat | SignedInClient
    if args.via == "boto3":
        client = BackendChat(endpoint, args.owner)
    else:
        try:
            client = for_running_stack(stack_running(endpoint) or {}, args.user, args.password)
        except (ValueError, KeyError, ClientError) as exc:
            raise SystemExit(f"cannot sign in as {args.user}: {exc}") from None
    try:
        yield client
    finally:
        client.close()


class StreamPrinter:
    """Shows "thinking…" the moment a message is sent, replaced by the first chunk."""

    def __init__(self, out=sys.stdout, prefix: str = "brain › "):
        self.out, self.prefix = out, prefix
        self._started = False
        self._indicator = _tty(out)

    def waiting(self) -> None:
        self.out.write(self.prefix + (_dim("thinking…") if self._indicator else ""))
        self.out.flush()

    def chunk(self, text: str) -> None:
        if not self._started and self._indicator:
            self.out.write("\r\x1b[K" + self.prefix)
        self._started = True
        self.out.write(text)
        self.out.flush()

    def end(self) -> None:
        self.out.write("\n")
        self.out.flush()


def print_inner_life(reply: dict, out=sys.stdout) -> None:
    emotion = reply.get("emotion", {})
    lines = [
        f"  emotion     {emotion.get('label')} (valence {emotion.get('valence')}, arousal {emotion.get('arousal')})",
        f"  sensations  {'; '.join(reply.get('sensations', []))}",
        *(f"  thought     {t}" for t in reply.get("thoughts", [])),
        f"  memories    {reply.get('memories', '')}",
        f"  reflection  {reply.get('selfReflection', '')}",
        f"  status      {reply.get('status')}"
        + (f" (degraded: {', '.join(reply['degraded'])})" if reply.get("degraded") else ""),
    ]
    sources = reply.get("insightSources") or {}
    if sources:
        lines.append("  from        " + ", ".join(f"{agent} {source}" for agent, source in sources.items()))
    if reply.get("factsRemembered"):
        lines.append(f"  remembered  {reply['factsRemembered']} new fact(s) about you, for good")
    print(_dim("\n".join(lines)), file=out)


def timing_rows(exchanges) -> list[list]:
    rows = []
    for i, ex in enumerate(exchanges, 1):
        steps = (ex.reply or {}).get("timings", {})
        rows.append(
            [i, milliseconds(ex.ttft_ms), milliseconds(ex.total_ms), milliseconds(steps.get("modelTtftMs"))]
            + [milliseconds(steps.get(s)) for s in TIMED_STEPS]
        )
    return rows


TIMING_HEADERS = ["turn", "first text", "total", "model ttft"] + list(TIMED_STEPS)


def converse(client, texts, conversation_id: str, out=sys.stdout):
    exchanges = []
    for text in texts:
        print(f"you   › {text}", file=out)
        printer = StreamPrinter(out)
        printer.waiting()
        exchange = client.send(text, conversation_id, on_chunk=printer.chunk)
        printer.end()
        reply = exchange.reply or {}
        if reply.get("content") and reply["content"] != exchange.streamed:
            print(_dim(f"  (final, after self-review) {reply['content']}"), file=out)
        if reply:
            print_inner_life(reply, out)
        print(file=out)
        exchanges.append(exchange)
    return exchanges


def web_line(url: str | None, ca_file) -> str:
    """``web: <URL>`` on a line of its own (scripts look for it), and how to open it."""
    if url is None:
        return "web: not built (web/dist is missing: `make install` builds it)"
    return f"web: {url}\n  (open it and accept the local certificate once, or trust {ca_file}: README, The web chat)"


def cmd_up(args) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("moto").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    from brain_local.chaos.faults import FaultPlan

    faults = FaultPlan.load(args.faults) if args.faults else None
    stack = OfflineStack(_options(args), faults=faults).start()
    endpoint = stack.options.endpoint
    model = stack.backend.model_id if stack.backend else None
    print(f"Brain in Cup offline stack on {endpoint}  (model: {model}): ready")
    if faults:
        print(f"  injecting faults: {json.dumps(faults.to_dict())}")
    print(
        f"  export AWS_ENDPOINT_URL={endpoint} AWS_REGION={stack.settings.region} "
        f"AWS_DEFAULT_REGION={stack.settings.region} AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline\n"
        f"  (an older AWS CLI ignores AWS_ENDPOINT_URL: give it --endpoint-url {endpoint})"
    )
    print(
        f"  tables: {stack.settings.messages_table}, {stack.settings.chunks_table};  "
        f"state machine: {stack.state_machine_arn}"
    )
    api = stack.client_api
    assert api is not None, "brain up always starts the client API"
    print(f"  client API (TLS, trust {api.ca_file}): {api.url}")
    print(f"    HTTP API {api.url}/api   Events {api.url}/event   Cognito {api.url}")
    print(f"    user pool {api.user_pool.pool_id}, app client {api.user_pool.client_id}")
    print(f"    users: {', '.join(f'{name} (password {password})' for name, password in api.users.items())}")
    print(f"    aws-amplify configuration: {stack.options.state_dir / 'config.json'}")
    if stack.options.data_dir:
        restored = stack.restored
        print(
            f"  data dir: {stack.options.data_dir} ({restored.get('items', 0)} items restored, "
            f"{restored.get('replayed', 0)} journaled writes replayed)"
        )
    else:
        print("  data: in memory, gone when this stops (--data-dir DIR keeps it)")
    print(f"  function logs: {stack.options.log_dir}/   health: {endpoint}/brain/health   Ctrl-C to stop.")
    print(web_line(api.web_url, api.ca_file), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        watch_health(stack, stopped)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def watch_health(stack, stopped: threading.Event, every: float = 1.0, out=sys.stderr) -> None:
    """Until ``stopped``: say at once, and loudly, when the stack stops being ready, and when it is again."""
    said: tuple[str, list[str]] = ("ready", [])
    while not stopped.wait(every):
        now = stack.problems()
        if now == said:
            continue
        status, problems = now
        if status == "ready":
            print(f"[brain] ready again (it was {said[0]}: {'; '.join(said[1])})", file=out, flush=True)
        elif status == "failed":
            bar = "!" * 78
            print(f"{bar}\n[brain] FAILED: {'; '.join(problems)}\n{bar}", file=out, flush=True)
        else:
            print(f"[brain] {status}: {'; '.join(problems)}", file=out, flush=True)
        said = now


def cmd_send(args) -> int:
    conversation = args.conversation or f"c-{uuid.uuid4().hex[:12]}"
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
            print(_dim(f"conversation: {conversation}"))
    return 0 if exchange.reply else 1


def cmd_chat(args) -> int:
    conversation = args.conversation or f"c-{uuid.uuid4().hex[:12]}"
    with connected(args) as endpoint, chatting(args, endpoint) as client:
        who = args.owner if args.via == "boto3" else args.user
        print(_dim(f"conversation {conversation} as {who}. Empty line or Ctrl-D to leave."))
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


def cmd_runs(args) -> int:
    import boto3

    from brain_core import workflow
    from brain_local.stack.lifecycle import ACCOUNT
    from brain_local.stepfunctions.runs import recent_runs

    with connected(args) as endpoint:
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="offline",
            aws_secret_access_key="offline",
        )
        from brain_core.config import SETTINGS

        arn = f"arn:aws:states:{SETTINGS.region}:{ACCOUNT}:stateMachine:{SETTINGS.state_machine_name}"
        runs = recent_runs(sfn, arn, args.limit)
        names = [state.name for state in workflow.states() if state.runs_code]
        print(
            text_table(
                ["execution", "status", "total"] + names,
                [
                    [r.name, r.status, milliseconds(r.total_ms)] + [milliseconds(r.states.get(n)) for n in names]
                    for r in runs
                ],
            )
        )
        if not runs:
            print("(no executions yet: send a message first)")
    return 0


def cmd_demo(args) -> int:
    conversation = f"demo-{uuid.uuid4().hex[:8]}"
    with connected(args) as endpoint, chatting(args, endpoint) as client:
        api = (stack_running(endpoint) or {}).get("clientApi") or {}
        print(web_line(api.get("web"), Path(api.get("stateDir", ".brain")) / "ca.pem"))
        if endpoint != (args.endpoint or f"http://{args.host}:{args.port}"):
            print(_dim("  (this stack lives as long as the demo: `make up` keeps one running for the browser)"))
        print(f"\nA conversation with the brain in a cup ({len(DEMO_TURNS)} turns, {conversation}):\n")
        exchanges = converse(client, DEMO_TURNS, conversation)
        print(
            "Timings (ms): first text and total as this client saw them, from the moment each "
            "message was written;\nper step as each agent measured itself. Turn 1 includes the "
            "functions' cold starts.\n"
        )
        print(text_table(TIMING_HEADERS, timing_rows(exchanges)))
        health = stack_running(endpoint) or {}
        colds = {n.removeprefix("brain-"): f["initMs"] for n, f in health.get("functions", {}).items() if f["initMs"]}
        if colds:
            print(
                "\nCold starts (spawn to handler ready, ms): "
                + ", ".join(f"{n} {'/'.join(milliseconds(v) for v in vs)}" for n, vs in colds.items())
            )
    return 0 if all(e.reply for e in exchanges) else 1


def cmd_user_add(args) -> int:
    """A user for a running stack: Cognito (moto) on its endpoint, and its users.json."""
    import boto3

    from brain_local.cognito.identity import UserPool, UsersFile, add_user

    endpoint = args.endpoint or f"http://{args.host}:{args.port}"
    health = stack_running(endpoint)
    if not health:
        print(f"no stack at {endpoint}: start one with `brain up`", file=sys.stderr)
        return 1
    api = health["clientApi"]
    region = api["userPoolId"].split("_", 1)[0]
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )
    pool = UserPool(pool_id=api["userPoolId"], client_id=api["userPoolClientId"], region=region)
    try:
        sub = add_user(cognito, pool, args.name, args.password)
    except cognito.exceptions.ClientError as exc:
        print(f"could not add {args.name}: {exc.response['Error']['Message']}", file=sys.stderr)
        return 1
    UsersFile(Path(api["stateDir"]) / "users.json").add(args.name, args.password)
    print(f"added {args.name} (sub {sub})")
    return 0


def cmd_chaos(args) -> int:
    from dataclasses import replace

    from brain_local.chaos.campaign import DEFAULT_PLAN, run_chaos
    from brain_local.chaos.faults import FaultPlan

    plan = FaultPlan.load(args.faults) if args.faults else DEFAULT_PLAN
    plan = replace(plan, seed=args.seed)
    print(f"chaos: {args.n} messages across {args.conversations} conversations, seed {plan.seed}", file=sys.stderr)
    print(_dim("faults: " + json.dumps(plan.to_dict())), file=sys.stderr)

    def progress(started: int, total: int) -> None:
        print(f"\r  {started} executions started for {total} messages", end="", file=sys.stderr, flush=True)

    report = run_chaos(args.n, args.conversations, plan, progress=progress)
    print(file=sys.stderr)
    if args.json:
        from dataclasses import asdict

        print(json.dumps({**asdict(report), "ok": report.ok}))
        return 0 if report.ok else 1
    print(text_table(["", "count"], [[name, value] for name, value in report.rows()]))
    if report.fallback_causes:
        print(_dim("fallbacks caught after: " + json.dumps(report.fallback_causes)))
    print(_dim("injected: " + json.dumps(report.faults)))
    if not report.ok:
        print(
            f"FAIL: {report.lost} lost, {report.duplicated} duplicated; lost: {report.lost_ids[:10]}", file=sys.stderr
        )
        return 1
    print("OK: every message got exactly one reply.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brain", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def stack_args(p, endpoint=True):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=int(os.environ.get("BRAIN_PORT", DEFAULT_PORT)))
        if endpoint:
            p.add_argument(
                "--endpoint",
                default=os.environ.get("BRAIN_ENDPOINT"),
                help="a running stack's endpoint (default: http://HOST:PORT)",
            )
        p.add_argument(
            "--model",
            default=os.environ.get("BRAIN_MODEL", "scripted"),
            choices=MODELS,
            help="model behind the local Bedrock endpoint: scripted (a test double, the default) "
            "or smollm2 (SmolLM2-135M on the CPU; scripts/install-local-model.sh installs it, "
            "and without it the scripted model stands in)",
        )
        p.add_argument(
            "--model-client",
            default=os.environ.get("BRAIN_MODEL_CLIENT", "boto3"),
            choices=["boto3", "langchain"],
            help="the language agent's model client",
        )
        p.add_argument(
            "--ttft-ms",
            type=float,
            default=float(os.environ.get("BRAIN_TTFT_MS", 400)),
            help="scripted model: time to first token (default 400)",
        )
        p.add_argument(
            "--tokens-per-second",
            type=float,
            default=float(os.environ.get("BRAIN_TPS", 40)),
            help="scripted model: tokens per second (default 40)",
        )
        p.add_argument(
            "--reply-tokens",
            type=int,
            default=int(os.environ.get("BRAIN_REPLY_TOKENS", 60)),
            help="scripted model: about how many tokens a reply has (default 60)",
        )
        p.add_argument(
            "--insight-ttft-ms",
            type=float,
            default=StackOptions.insight_ttft_ms,
            help="the scripted double behind insight_model_id: time to first token "
            f"(default {StackOptions.insight_ttft_ms:.0f}: a small fast model on Bedrock)",
        )
        p.add_argument(
            "--insight-tokens-per-second",
            type=float,
            default=StackOptions.insight_tokens_per_second,
            help=f"the same double: tokens per second (default {StackOptions.insight_tokens_per_second:.0f})",
        )
        p.add_argument(
            "--log-level",
            default=os.environ.get("BRAIN_LOG_LEVEL", "INFO"),
            choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
            help="the functions' log level (default INFO: no message content; DEBUG logs it)",
        )
        exposure.add_arguments(p, SETTINGS)

    p = sub.add_parser("up", help="start the offline stack in the foreground")
    stack_args(p, endpoint=False)
    p.add_argument("--warm", type=int, default=0, help="execution environments to start per function up front")
    p.add_argument(
        "--faults", help="a fault plan JSON file: inject failures on purpose (see brain_local/chaos/faults.py)"
    )
    p.add_argument("--log-dir", help="where the functions' logs go (default .brain/logs)")
    p.add_argument(
        "--state-dir", help="where config.json (aws-amplify), ca.pem and users.json are written (default .brain)"
    )
    p.add_argument(
        "--tls-port",
        type=int,
        default=int(os.environ["BRAIN_TLS_PORT"]) if os.environ.get("BRAIN_TLS_PORT") else None,
        help="the client API's TLS front door (default: --port + 1; 0: any free port)",
    )
    p.add_argument("--web-dir", help="the web chat to serve at the front door's / (default web/dist)")
    p.add_argument(
        "--user",
        dest="user_specs",
        action="append",
        metavar="NAME:PASSWORD",
        help="an offline user (repeatable; default: ada and bob with a password printed at start)",
    )
    p.add_argument(
        "--data-dir",
        default=os.environ.get("BRAIN_DATA_DIR"),
        help="keep the tables here across restarts (a crash loses at most the last second); default: in memory",
    )
    p.add_argument(
        "--no-iam",
        dest="iam",
        action="store_false",
        help="do not evaluate each call against its caller's CDK policy (signatures are still verified)",
    )
    p.set_defaults(func=cmd_up)

    def client_args(p, owner_default: str):
        p.add_argument("--user", default=os.environ.get("BRAIN_USER", "ada"), help="sign in as (default ada)")
        p.add_argument("--password", help="the user's password (default: the stack's users.json)")
        p.add_argument(
            "--via",
            choices=["api", "boto3"],
            default="api",
            help="api: as a signed-in user through the client API (default); boto3: write the item "
            "and poll DynamoDB, as a trusted backend",
        )
        p.add_argument("--owner", default=owner_default, help="with --via boto3: the owner written into the item")

    p = sub.add_parser("send", help="send one message and stream the reply")
    p.add_argument("text")
    p.add_argument("--conversation", help="conversation id (default: a new one)")
    p.add_argument("--json", action="store_true", help="print one JSON object: reply and timings")
    client_args(p, os.environ.get("USER", "me"))
    stack_args(p)
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("chat", help="talk to the brain interactively")
    p.add_argument("--conversation")
    client_args(p, os.environ.get("USER", "me"))
    stack_args(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("user", help="users of a running stack")
    user_commands = p.add_subparsers(dest="user_command", required=True)
    p = user_commands.add_parser("add", help="add a user to a running stack's user pool")
    p.add_argument("name")
    p.add_argument("password")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("BRAIN_PORT", DEFAULT_PORT)))
    p.add_argument("--endpoint", default=os.environ.get("BRAIN_ENDPOINT"))
    p.set_defaults(func=cmd_user_add)

    p = sub.add_parser("runs", help="recent executions and each state's duration")
    p.add_argument("--limit", type=int, default=10)
    stack_args(p)
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("chaos", help="many messages with faults on; fails if any is lost or duplicated")
    p.add_argument("-n", type=int, default=200, help="messages (default 200)")
    p.add_argument("--conversations", type=int, default=20, help="conversations, in parallel (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--faults", help="a fault plan JSON file (default: every fault at the rates shown)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=cmd_chaos)

    p = sub.add_parser("demo", help="a short conversation through the full pipeline, with timings")
    client_args(p, "demo")
    stack_args(p)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "up":
        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("brain").setLevel(logging.ERROR)
    return args.func(args)

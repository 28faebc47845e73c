"""Where the offline stack departs from moto, so that it behaves like AWS: every patch in one place.

moto is the offline stack's DynamoDB, DynamoDB Streams, SQS and Step Functions (its engine runs
the real ASL). In five places its behaviour differs from the services' in ways that matter here
(all measured with ``make bench``); each patch below changes only *how fast or how much* moto
does something, never what a client sees:

1. :func:`reuse_engine_lambda_clients` (Step Functions): moto's engine builds a new boto3 client
   for every Lambda task, ~10 ms each (DESIGN §7); Step Functions keeps its connections. One
   client per region instead; the requests it sends are unchanged, but signed with the state
   machine's role (moto signs with made-up keys, which the offline endpoint refuses).
2. :func:`reuse_parsed_definitions` (Step Functions): moto lexes and parses the ASL with ANTLR at
   every StartExecution, ~55 ms, most of the offline pipe's delay; Step Functions does not. Each
   definition's parse tree is kept, and a fresh program built from it per execution (~6 ms), so no
   evaluation state is shared between executions.
3. :func:`bound_shard_iterators` (DynamoDB Streams): moto keeps every shard iterator it ever
   issued; a pipe polling every 10 ms issues 100 a second. The newest few thousand are kept (a
   real iterator also expires, after 15 minutes).
4. :func:`query_reads_one_partition` (DynamoDB): moto answers a Query by sorting and scanning
   *every* item of the table, so each client's chunk poll became O(table) (12 ms of CPU per poll
   at 2,000 items). DynamoDB reads one partition: so does this, for queries on the table's own
   key (indexes unchanged).
5. Writes one at a time (DynamoDB Streams): moto can give two concurrent writes the same stream
   sequence number, and a reader that resumes after a sequence number (the pipe's checkpoint)
   would then skip one. The DynamoDB process applies writes under one lock — a WSGI middleware,
   :class:`brain_local.dynamodb.persistence.OrderedWrites`, which also journals them for ``--data-dir``.

1 and 2 apply in the stack's process (:func:`apply_to_step_functions`), 3 and 4 in the DynamoDB
process (:func:`apply_to_dynamodb`); 5 wraps that process's app. Each is idempotent. Pinned to
moto 5.2.5 (pyproject.toml): they reach into its internals, so a moto upgrade re-checks them (the
integration tests do).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

#: The departures applied in this process (each patches a class or module of moto once).
_APPLIED: set[str] = set()


def _first_time(name: str) -> bool:
    """True the first time ``name`` is asked for in this process, False after."""
    if name in _APPLIED:
        return False
    _APPLIED.add(name)
    return True


#: The credentials the engine's Lambda calls are signed with (the state machine's role), by stack.
ENGINE_CREDENTIALS: dict[str, str | None] = {}


def apply_to_step_functions(credentials: dict[str, str | None] | None = None) -> None:
    """The departures for the stack's own process, where moto's engine runs; ``credentials``:
    the state machine role's, for its Lambda calls (``aws_access_key_id``, …)."""
    ENGINE_CREDENTIALS.clear()
    ENGINE_CREDENTIALS.update(credentials or {})
    reuse_engine_lambda_clients()
    reuse_parsed_definitions()


def apply_to_dynamodb() -> None:
    """The departures for the DynamoDB process (brain_local/dynamodb/process.py)."""
    bound_shard_iterators()
    query_reads_one_partition()


def reuse_engine_lambda_clients() -> None:
    """One boto3 Lambda client per region (and credentials) for the engine's Lambda tasks (boto3
    clients are thread-safe), configured as moto configures its own."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    if not _first_time("reuse_engine_lambda_clients"):
        return
    build = lambda_eval_utils.boto_client_for

    @lru_cache(maxsize=8)
    def cached(region: str, service: str, credentials: tuple):
        if not credentials:
            return build(region=region, service=service)
        import boto3
        from botocore.config import Config
        from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds

        return boto3.client(  # type: ignore[call-overload]  # boto3-stubs type a client by a literal name
            service,
            region_name=region,
            config=Config(
                parameter_validation=False,
                retries={"max_attempts": 0, "total_max_attempts": 1},
                connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
            ),
            **dict(credentials),
        )

    def boto_client_for(region: str, service: str, state_credentials=None):
        return cached(region, service, tuple(sorted(ENGINE_CREDENTIALS.items())))

    lambda_eval_utils.boto_client_for = boto_client_for


def reuse_parsed_definitions() -> None:
    """Each definition parsed once; a fresh program per execution from the kept tree."""
    from moto.stepfunctions.parser.asl.parse import asl_parser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    if not _first_time("reuse_parsed_definitions"):
        return
    parser: Any = asl_parser.AmazonStateLanguageParser
    parse = parser.parse
    trees: dict = {}
    lock = threading.Lock()

    def parse_once(definition: str):
        tree = trees.get(definition)
        if tree is None:
            program, tree = parse(definition)
            with lock:
                trees[definition] = tree
            return program, tree
        return Preprocessor().visit(tree), tree

    parser.parse = staticmethod(parse_once)


class _BoundedIterators(OrderedDict):
    """moto's table of shard iterators, keeping only the newest :attr:`limit`."""

    limit = 4096

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if len(self) > self.limit:
            self.popitem(last=False)


def bound_shard_iterators() -> None:
    """Every DynamoDB Streams backend created from now on keeps a bounded table of iterators."""
    from moto.dynamodbstreams import models as streams

    if not _first_time("bound_shard_iterators"):
        return
    backend: Any = streams.DynamoDBStreamsBackend
    original_init = backend.__init__

    def bounded_init(self, region_name: str, account_id: str) -> None:
        original_init(self, region_name, account_id)
        self.shard_iterators = _BoundedIterators()

    backend.__init__ = bounded_init


def query_reads_one_partition() -> None:
    """A Query on a table's own key reads only that partition's items."""
    from moto.dynamodb.models.table import Table

    if not _first_time("query_reads_one_partition"):
        return
    table: Any = Table
    partition = threading.local()
    query, all_items = table.query, table.all_items

    def query_one_partition(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)  # moto passes it 8th
        on_table_key = index_name is None
        partition.current = (self, hash_key) if on_table_key else None
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            partition.current = None

    def items_of_partition(self):
        current = getattr(partition, "current", None)
        if current is None or current[0] is not self:
            return all_items(self)
        stored = self.items.get(current[1])
        if stored is None:
            return []
        return list(stored.values()) if self.range_key_attr else [stored]

    table.query = query_one_partition
    table.all_items = items_of_partition

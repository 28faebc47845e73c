"""Where the offline stack departs from moto, so that it behaves like AWS: every patch in one place.

moto is the offline stack's DynamoDB, DynamoDB Streams, SQS and Step Functions (its engine runs
the real ASL). In five places its behaviour differs from the services' in ways that matter here
(all measured with ``make bench``); each patch below changes only *how fast or how much* moto
does something, never what a client sees:

1. :func:`reuse_engine_lambda_clients` (Step Functions): moto's engine builds a new boto3 client
   for every Lambda task, ~10 ms each (docs/design.md §7); Step Functions keeps its connections. One
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

Cognito (moto, in the stack's process) departs in what a client sees, where moto is not what
Cognito is (:func:`apply_to_cognito`):

6. :func:`sign_cognito_tokens_with`: moto signs every token with the private key it ships
   (kid ``dummy``), so anyone could mint a token for any ``sub``. Tokens are signed with the
   stack's own key instead (:mod:`brain_local.cognito.token_key`), the pool's JWKS serves its public
   half, and they live as long as the app client's token lifetimes say (moto: always 1 h).
7. :func:`refuse_sign_up_without_self_sign_up`: moto lets anyone ``SignUp`` even on a pool that
   allows only administrators to create users; Cognito answers ``NotAuthorizedException``
   "SignUp is not permitted for this user pool".
8. :func:`revoke_refresh_tokens`: moto does not implement ``RevokeToken`` (a 500); Cognito
   answers 200 and the refresh token no longer works.

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


# -- Cognito -------------------------------------------------------------------------------------
class _StackSigning:
    """What :func:`sign_cognito_tokens_with` signs with: set per stack (one stack per process at a
    time, as ``mock_aws`` is process-wide)."""

    key: Any = None  # a joserfc RSAKey
    kid: str = ""
    jwks: bytes = b""
    lifetimes: dict[str, int] = {}


def apply_to_cognito(private_pem: bytes, kid: str, jwks: dict, lifetimes: dict[str, int]) -> None:
    """The Cognito departures for the stack's process; ``lifetimes``: seconds per ``token_use``."""
    sign_cognito_tokens_with(private_pem, kid, jwks, lifetimes)
    refuse_sign_up_without_self_sign_up()
    revoke_refresh_tokens()


def sign_cognito_tokens_with(private_pem: bytes, kid: str, jwks: dict, lifetimes: dict[str, int]) -> None:
    """Every pool signs with ``private_pem`` under ``kid`` and serves ``jwks``; each token lives
    ``lifetimes[token_use]`` seconds."""
    import json

    from joserfc import jwk, jwt
    from moto.cognitoidp import models, responses

    _StackSigning.key = jwk.RSAKey.import_key(private_pem)
    _StackSigning.kid, _StackSigning.lifetimes = kid, dict(lifetimes)
    _StackSigning.jwks = json.dumps(jwks).encode()
    responses.CognitoIdpJsonWebKeyResponse.json_web_key = _StackSigning.jwks
    if not _first_time("sign_cognito_tokens_with"):
        return

    class StackKeyJwt:
        """moto's ``jwt`` module as its user pools see it: ``encode`` signs with the stack's key."""

        @staticmethod
        def encode(header: dict, claims: dict, _moto_key: Any) -> str:
            return jwt.encode({**header, "kid": _StackSigning.kid}, claims, _StackSigning.key)

    pools: Any = models.CognitoIdpUserPool
    create_jwt = pools.create_jwt

    def create_jwt_with_lifetime(self, client_id, username, token_use, expires_in=None, extra_data=None):
        lifetime = _StackSigning.lifetimes.get(token_use, expires_in or 3600)
        return create_jwt(self, client_id, username, token_use, lifetime, extra_data)

    models.jwt = StackKeyJwt  # type: ignore[assignment]
    pools.create_jwt = create_jwt_with_lifetime


def refuse_sign_up_without_self_sign_up() -> None:
    """``SignUp`` on a pool with ``AllowAdminCreateUserOnly`` is refused, as Cognito refuses it."""
    from moto.cognitoidp import models

    if not _first_time("refuse_sign_up_without_self_sign_up"):
        return
    backend: Any = models.CognitoIdpBackend
    sign_up = backend.sign_up

    def sign_up_if_allowed(self, client_id, username, password, attributes):
        for pool in self.user_pools.values():
            admin_only = pool.extended_config.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly")
            if client_id in pool.clients and admin_only:
                raise models.NotAuthorizedError("SignUp is not permitted for this user pool")
        return sign_up(self, client_id, username, password, attributes)

    backend.sign_up = sign_up_if_allowed


def revoke_refresh_tokens() -> None:
    """``RevokeToken``: the refresh token (of that client) stops working; 200 ``{}`` as Cognito
    answers, an unknown token included (RFC 7009: revoking an invalid token is not an error)."""
    from moto.cognitoidp import models, responses
    from moto.core.responses import EmptyResult

    if not _first_time("revoke_refresh_tokens"):
        return

    def revoke_token(self):
        token, client_id = self._get_param("Token"), self._get_param("ClientId")
        for pool in self.backend.user_pools.values():
            if client_id not in pool.clients:
                continue
            held = pool.refresh_tokens.get(token)
            if held is not None and held[0] == client_id:
                pool.refresh_tokens[token] = None  # moto's own mark of a revoked refresh token
            return EmptyResult()
        raise models.ResourceNotFoundError(client_id)

    target: Any = responses.CognitoIdpResponse
    target.revoke_token = revoke_token

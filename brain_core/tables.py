"""The DynamoDB tables, specified once: CDK (``cdk/brain_cdk/stack.py``) and the offline stack
(``brain_local/dynamodb/tables.py``) both build them from :data:`TABLES`, and a test compares the
synthesized template with the offline tables (``tests/infra/test_tables.py``).

Adding a table (say, the long-term Memory of docs/design.md §3) is one :class:`TableSpec` here and one
name in :class:`brain_core.config.Settings`; both stacks, the functions' environment
(``<NAME>_TABLE``) and CDK's outputs follow. Which functions may read or write it is still said
where the permissions are (``DYNAMODB_ACTIONS`` in the CDK stack).

Plain data, no boto3: compute-only agents import ``brain_core`` too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: str  # DynamoDB's attribute type: "S", "N" or "B"


@dataclass(frozen=True)
class LocalIndex:
    """A local secondary index: the table's partition key, another sort key, every attribute."""

    name: str
    sort_key: KeyAttribute


@dataclass(frozen=True)
class TableSpec:
    #: How code and configuration refer to the table: ``Settings.<key>_table`` holds its name
    #: offline, ``<KEY>_TABLE`` carries its real name into each function.
    key: str
    #: The CDK construct id (CloudFormation's logical id is derived from it).
    construct_id: str
    description: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    #: The stream's view type ("NEW_IMAGE", ...) or None for no stream.
    stream_view: str | None = None
    #: The attribute holding each item's expiry (epoch seconds), or None for no TTL.
    ttl_attribute: str | None = None
    point_in_time_recovery: bool = False
    #: Kept when the stack is deleted (the users' data) or deleted with it.
    retain_on_delete: bool = False
    billing_mode: str = "PAY_PER_REQUEST"
    #: Server-side encryption with the AWS-owned or AWS-managed key: on for every table.
    encrypted: bool = True
    local_indexes: tuple[LocalIndex, ...] = ()

    @property
    def setting(self) -> str:
        """The :class:`brain_core.config.Settings` field with the table's name."""
        return f"{self.key}_table"

    @property
    def environment_variable(self) -> str:
        return self.setting.upper()

    @property
    def keys(self) -> tuple[KeyAttribute, ...]:
        return (self.partition_key,) if self.sort_key is None else (self.partition_key, self.sort_key)

    def key_schema(self) -> list[dict[str, str]]:
        """DynamoDB's KeySchema: the partition key (HASH), then the sort key (RANGE)."""
        return [
            {"AttributeName": attribute.name, "KeyType": kind}
            for attribute, kind in zip(self.keys, ("HASH", "RANGE"), strict=False)
        ]

    def attribute_definitions(self) -> list[dict[str, str]]:
        attributes = self.keys + tuple(index.sort_key for index in self.local_indexes)
        return [{"AttributeName": attribute.name, "AttributeType": attribute.type} for attribute in attributes]

    def local_secondary_indexes(self) -> list[dict]:
        """DynamoDB's LocalSecondaryIndexes (projecting every attribute)."""
        return [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": self.partition_key.name, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key.name, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in self.local_indexes
        ]


MESSAGES = TableSpec(
    key="messages",
    construct_id="Messages",
    description="User messages and the brain's replies, one conversation per partition (docs/design.md §3)",
    partition_key=KeyAttribute("conversationId", "S"),
    sort_key=KeyAttribute("messageId", "S"),
    stream_view="NEW_IMAGE",  # the pipe starts a run for each new user message
    point_in_time_recovery=True,
    retain_on_delete=True,  # conversations are the users' data: deleting the stack must not delete them
)
CHUNKS = TableSpec(
    key="chunks",
    construct_id="ResponseChunks",
    description="Streamed reply drafts, keyed by the user message id",
    partition_key=KeyAttribute("messageId", "S"),
    sort_key=KeyAttribute("seq", "N"),
    ttl_attribute="expiresAt",  # drafts expire within a day: chunk_ttl_seconds
)
IDEMPOTENCY = TableSpec(
    key="idempotency",
    construct_id="Idempotency",
    description="Powertools idempotency records of the steps with side effects",
    # The layout Powertools' DynamoDBPersistenceLayer expects by default.
    partition_key=KeyAttribute("id", "S"),
    ttl_attribute="expiration",  # records expire within the hour
)

MEMORY = TableSpec(
    key="memory",
    construct_id="Memory",
    description="Long-term memory: durable facts about each person, one partition per owner (brain_core/facts.py)",
    partition_key=KeyAttribute("owner", "S"),  # a read names its owner: no other owner's facts can come back
    sort_key=KeyAttribute("factKey", "S"),  # "name", "home", "likes#sailing": newest wins per key
    ttl_attribute="expiresAt",  # a fact not heard again for memory_ttl_days expires
    point_in_time_recovery=True,
    retain_on_delete=True,  # what people told the brain is their data, like the conversations
)

CONVERSATIONS = TableSpec(
    key="conversations",
    construct_id="Conversations",
    description="Each person's conversations, for the client API's GET /conversations (docs/design.md §8)",
    partition_key=KeyAttribute("owner", "S"),
    sort_key=KeyAttribute("conversationId", "S"),
    # A person's conversations, most recently active first.
    local_indexes=(LocalIndex("byUpdatedAt", KeyAttribute("updatedAt", "S")),),
    point_in_time_recovery=True,
    retain_on_delete=True,  # the users' data, as Messages
)

USAGE = TableSpec(
    key="usage",
    construct_id="Usage",
    description="Messages each person posted per minute and per day, for the client API's per-user limit",
    # One counter per (person, window): "<sub>#minute#<epoch minute>", "<sub>#day#<YYYY-MM-DD>".
    # A table of its own, not items in Idempotency: that table's layout and TTL belong to Powertools,
    # and a counter is no idempotency record; here each counter expires with its window.
    partition_key=KeyAttribute("id", "S"),
    ttl_attribute="expiresAt",
)

#: The index the client API lists a person's conversations by.
CONVERSATIONS_BY_UPDATED = CONVERSATIONS.local_indexes[0].name

#: Every table of the stack.
TABLES: tuple[TableSpec, ...] = (MESSAGES, CHUNKS, IDEMPOTENCY, CONVERSATIONS, MEMORY, USAGE)

"""The DynamoDB tables, built from ``brain_core.tables.TABLES`` (the offline stack builds the same)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from brain_core.tables import TABLES, KeyAttribute, TableSpec

from . import compliance

#: What cdk-nag says of a table without point-in-time recovery, and why that is right for it.
TABLE_ACKNOWLEDGEMENTS = {
    "chunks": compliance.CHUNKS_TABLE,
    "idempotency": compliance.IDEMPOTENCY_TABLE,
    "usage": compliance.USAGE_TABLE,
}

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(key: KeyAttribute) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class Tables(Construct):
    """Every table of :data:`brain_core.tables.TABLES`, by key (``tables.by_key["messages"]``).

    CloudFormation names the tables (so a second stack can coexist); functions learn the real
    names through their ``<KEY>_TABLE`` variables."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.by_key: dict[str, dynamodb.Table] = {spec.key: self._table(spec) for spec in TABLES}
        for key, acknowledged in TABLE_ACKNOWLEDGEMENTS.items():
            compliance.acknowledge(self.by_key[key], acknowledged)

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        """One table, as its spec says."""
        table = dynamodb.Table(
            self,
            spec.construct_id,
            partition_key=_attribute(spec.partition_key),
            sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
            billing_mode=dynamodb.BillingMode(spec.billing_mode),
            encryption=dynamodb.TableEncryption.AWS_MANAGED if spec.encrypted else None,
            stream=dynamodb.StreamViewType(spec.stream_view) if spec.stream_view else None,
            time_to_live_attribute=spec.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            )
            if spec.point_in_time_recovery
            else None,
            removal_policy=RemovalPolicy.RETAIN if spec.retain_on_delete else RemovalPolicy.DESTROY,
        )
        for index in spec.local_indexes:
            table.add_local_secondary_index(index_name=index.name, sort_key=_attribute(index.sort_key))
        return table

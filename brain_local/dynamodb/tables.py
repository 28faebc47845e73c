"""The offline stack's DynamoDB tables, built from the same specification as CDK's
(:data:`brain_core.tables.TABLES`): keys, stream, TTL, billing, encryption and point-in-time
recovery, through the DynamoDB API as any client would create them."""

from __future__ import annotations

from typing import Any

from brain_core.config import Settings
from brain_core.tables import TABLES, TableSpec


def create_table_request(spec: TableSpec, name: str) -> dict[str, Any]:
    """DynamoDB CreateTable's arguments for ``spec`` under ``name``."""
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": spec.key_schema(),
        "AttributeDefinitions": spec.attribute_definitions(),
        "BillingMode": spec.billing_mode,
        "SSESpecification": {"Enabled": spec.encrypted},
    }
    if spec.stream_view:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream_view}
    if spec.local_indexes:
        request["LocalSecondaryIndexes"] = spec.local_secondary_indexes()
    return request


def create_table(ddb, spec: TableSpec, name: str) -> None:
    """``spec`` as a table named ``name``, with its TTL and point-in-time recovery."""
    ddb.create_table(**create_table_request(spec, name))
    if spec.ttl_attribute:
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
        )
    if spec.point_in_time_recovery:
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def create_tables(ddb, settings: Settings) -> None:
    """Every table of the stack, each under its configured name."""
    for spec in TABLES:
        create_table(ddb, spec, getattr(settings, spec.setting))

"""The cold-start floor: what any function with an AWS client must import (docs/design.md §6).

boto3, Powertools' Logger, Metrics and Tracer, each created as the agents' handlers create them,
and one boto3 client built from the function's environment. An agent with an AWS client is
budgeted at 1.2x this, net of the bare interpreter (:mod:`bench.bare_handler`).
"""

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer

logger, tracer, metrics = Logger(), Tracer(), Metrics()
DYNAMODB = boto3.client("dynamodb")


def main(event, context):
    return {}

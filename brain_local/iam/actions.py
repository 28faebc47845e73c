"""What a request to the offline endpoint asks IAM for: its service, and each (action, resource).

As the services authorize them (each service's "Actions, resources, and condition keys" page in
the Service Authorization Reference):

- DynamoDB: ``dynamodb:<Operation>`` on ``table/<T>`` (``table/<T>/index/<I>`` for a Query or
  Scan of an index); BatchGetItem/BatchWriteItem once per table; TransactWriteItems and
  TransactGetItems as the item actions they contain (Put → PutItem, Update → UpdateItem, Delete
  → DeleteItem, ConditionCheck → ConditionCheckItem, Get → GetItem), per table;
- DynamoDB Streams: ``dynamodb:DescribeStream``/``GetShardIterator``/``GetRecords`` on the
  stream ARN (GetRecords: the one its shard iterator belongs to), ``dynamodb:ListStreams`` on
  ``table/<T>/stream/*``;
- Step Functions: ``states:<Operation>`` on the state machine's or the execution's ARN;
- SQS: ``sqs:<Operation>`` on the queue's ARN (from its URL); the batch operations are
  authorized as their single forms (SendMessageBatch → SendMessage);
- Lambda Invoke: ``lambda:InvokeFunction`` on the function's ARN (with ``:qualifier`` if any);
- Bedrock runtime: Converse → ``bedrock:InvokeModel``, ConverseStream →
  ``bedrock:InvokeModelWithResponseStream``, on ``foundation-model/<id>`` (no account); for an
  inference profile on the profile *and* on the foundation model it routes to (``us.x`` → ``x``);
- AppSync Events publish: ``appsync:EventPublish`` on the channel namespace's ARN;
- Cognito: ``cognito-idp:<Operation>`` on the user pool's ARN; the operations AWS takes unsigned
  (botocore's model says which: InitiateAuth, SignUp, …) and a pool's public keys
  (``/<pool>/.well-known/jwks.json``) need no signature.

Anything else is ``<service>:<Operation>`` on ``*`` (the administrator's AdministratorAccess
allows it; no role's policy names it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, unquote

#: X-Amz-Target prefixes -> the signing name (and IAM prefix) of the service.
TARGETS = {
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodb",
    "AWSStepFunctions": "states",
    "AmazonSQS": "sqs",
    "AWSCognitoIdentityProviderService": "cognito-idp",
}
#: The IAM prefix where it is not the signing name.
IAM_PREFIX = {"monitoring": "cloudwatch"}
LAMBDA_PREFIX = "/2015-03-31/functions/"
#: What a user pool serves to anyone (``https://cognito-idp.<region>.amazonaws.com/<pool id>/...``).
PUBLIC_KEY_PATHS = ("/.well-known/jwks.json", "/.well-known/openid-configuration")
INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")

_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_SQS_SINGLE = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_BEDROCK_ACTIONS = {
    "converse": "bedrock:InvokeModel",
    "invoke": "bedrock:InvokeModel",
    "converse-stream": "bedrock:InvokeModelWithResponseStream",
    "invoke-with-response-stream": "bedrock:InvokeModelWithResponseStream",
}


@dataclass(frozen=True)
class Call:
    """One request as IAM sees it: the service it is signed for, its operation, the
    (action, resource) pairs it needs, and whether the operation needs no signature at all."""

    service: str
    operation: str
    needs: tuple[tuple[str, str], ...]
    unsigned_ok: bool = False


@lru_cache(maxsize=64)
def _no_auth_operations(service: str) -> frozenset[str]:
    """The operations botocore's model of ``service`` sends unsigned (Cognito's sign-in and
    token operations, for instance): AWS takes them without a signature."""
    import botocore.session

    names = {"cognito-idp": "cognito-idp"}
    if service not in names:
        return frozenset()
    model = botocore.session.get_session().get_service_model(names[service])
    return frozenset(
        name
        for name in model.operation_names
        if model.operation_model(name).auth_type == "none"
        or "smithy.api#noAuth" in (model.operation_model(name).auth or [])
    )


class RequestMapper:
    """Maps a request to its :class:`Call`, with the account's ARNs for ``region``/``account``."""

    def __init__(self, region: str, account: str):
        self.region, self.account = region, account

    def table_arn(self, name: str) -> str:
        return name if name.startswith("arn:") else f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"

    def queue_arn(self, url: str) -> str:
        parts = url.rstrip("/").split("/")
        return f"arn:aws:sqs:{self.region}:{parts[-2] if len(parts) >= 2 else self.account}:{parts[-1]}"

    def model_needs(self, model_id: str, action: str) -> list[tuple[str, str]]:
        if model_id.startswith("arn:"):
            return [(action, model_id)]
        foundation = f"arn:aws:bedrock:{self.region}::foundation-model/"
        if model_id.startswith(INFERENCE_PROFILE_PREFIXES):
            profile = f"arn:aws:bedrock:{self.region}:{self.account}:inference-profile/{model_id}"
            return [(action, profile), (action, foundation + model_id.split(".", 1)[1])]
        return [(action, foundation + model_id)]

    def map(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, scope: str) -> Call:
        """``path`` percent-decoded, ``query`` raw, ``headers`` lower-case, ``scope``: the service
        the Authorization header names (used for a request of no service known here)."""
        target = headers.get("x-amz-target", "")
        if target:
            prefix, _, operation = target.partition(".")
            service = TARGETS.get(prefix, scope)
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                data = {}
            if not isinstance(data, dict):
                data = {}
            return self._json_call(prefix, service, operation, data)
        if method == "GET" and path.endswith(PUBLIC_KEY_PATHS):  # a user pool's keys: public, as on AWS
            return Call("cognito-idp", "PublicKeys", (), unsigned_ok=True)
        if path.startswith(LAMBDA_PREFIX) and path.endswith("/invocations"):
            name = path[len(LAMBDA_PREFIX) : -len("/invocations")]
            arn = name if name.startswith("arn:") else f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
            qualifier = parse_qs(query).get("Qualifier", [None])[0]
            if qualifier and arn.count(":") == 6:
                arn = f"{arn}:{qualifier}"
            return Call("lambda", "Invoke", (("lambda:InvokeFunction", arn),))
        if path.startswith("/model/"):
            model_id, _, operation = path[len("/model/") :].rpartition("/")
            if operation in _BEDROCK_ACTIONS:
                return Call("bedrock", operation, tuple(self.model_needs(model_id, _BEDROCK_ACTIONS[operation])))
        if method == "POST" and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode(errors="replace"))
            operation = form.get("Action", ["Unknown"])[0]
            if scope == "sqs" and "QueueUrl" in form:
                action = _SQS_SINGLE.get(operation, operation)
                return Call("sqs", operation, ((f"sqs:{action}", self.queue_arn(form["QueueUrl"][0])),))
            return Call(scope, operation, ((f"{IAM_PREFIX.get(scope, scope)}:{operation}", "*"),))
        return Call(scope, f"{method} {path}", ((f"{IAM_PREFIX.get(scope, scope)}:{method}", "*"),))

    def _json_call(self, prefix: str, service: str, operation: str, data: dict) -> Call:
        iam = IAM_PREFIX.get(service, service)
        needs: list[tuple[str, str]] = []
        if prefix == "DynamoDB_20120810":
            needs = self._dynamodb(operation, data)
        elif prefix == "DynamoDBStreams_20120810":
            stream = data.get("StreamArn") or str(data.get("ShardIterator", "")).split("|", 1)[0]
            if operation == "ListStreams":
                table = data.get("TableName")
                stream = f"{self.table_arn(table)}/stream/*" if table else "*"
            needs = [(f"dynamodb:{operation}", stream or "*")]
        elif service == "states":
            arn = next((str(v) for k, v in data.items() if k.endswith("Arn") and isinstance(v, str)), "*")
            needs = [(f"states:{operation}", arn)]
        elif service == "sqs":
            action = _SQS_SINGLE.get(operation, operation)
            if "QueueUrl" in data:
                resource = self.queue_arn(str(data["QueueUrl"]))
            elif "QueueName" in data:
                resource = f"arn:aws:sqs:{self.region}:{self.account}:{data['QueueName']}"
            else:
                resource = "*"
            needs = [(f"sqs:{action}", resource)]
        elif service == "cognito-idp" and "UserPoolId" in data:
            pool = f"arn:aws:cognito-idp:{self.region}:{self.account}:userpool/{data['UserPoolId']}"
            needs = [(f"cognito-idp:{operation}", pool)]
        else:
            needs = [(f"{iam}:{operation}", "*")]
        return Call(service, operation, tuple(needs), unsigned_ok=operation in _no_auth_operations(service))

    def _dynamodb(self, operation: str, data: dict) -> list[tuple[str, str]]:
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", self.table_arn(t)) for t in data.get("RequestItems") or {}]
        if operation in ("TransactWriteItems", "TransactGetItems"):
            needs = []
            for item in data.get("TransactItems") or []:
                for kind, request in item.items():
                    if kind in _TRANSACT_ACTIONS and isinstance(request, dict):
                        needs.append(
                            (f"dynamodb:{_TRANSACT_ACTIONS[kind]}", self.table_arn(request.get("TableName", "")))
                        )
            return needs or [(f"dynamodb:{operation}", "*")]
        table = data.get("TableName") or data.get("ResourceArn")
        if not table:
            return [(f"dynamodb:{operation}", "*")]
        arn = self.table_arn(str(table))
        if data.get("IndexName") and operation in ("Query", "Scan"):
            arn = f"{arn}/index/{data['IndexName']}"
        return [(f"dynamodb:{operation}", arn)]


def split_target(path_and_query: str) -> tuple[str, str]:
    """A raw ``/path?query`` -> (the decoded path, the raw query)."""
    path, _, query = path_and_query.partition("?")
    return unquote(path), query

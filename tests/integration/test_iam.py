"""IAM offline (issue 17, points 3 and 4), against the running stack: requests signed with keys
nobody issued or with a wrong signature are refused as each service refuses them; each
function, the pipe and the state machine call with their own role, under the CDK policy; the
pipeline runs with no call denied; a permission taken away is refused as AWS would refuse it."""

from __future__ import annotations

import copy
import datetime
import json
import ssl
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from websockets.sync.client import connect

from brain_core.config import SETTINGS
from brain_core.store import FactStore
from brain_local.clients.api_client import SignedInClient, _b64url, realtime_url
from brain_local.clients.boto3_client import BrainClient
from brain_local.cognito.identity import DEFAULT_PASSWORD
from brain_local.iam import STATE_MACHINE

from .pipeline_helpers import wait_executions_done

ACCOUNT = "123456789012"
FORGED = {"aws_access_key_id": "AKIAFORGEDFORGED0000", "aws_secret_access_key": "made-up"}
WRONG_SECRET = {"aws_access_key_id": "offline", "aws_secret_access_key": "not-the-secret"}
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def client(stack, service: str, endpoint: str | None = None, **credentials):
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint or stack.options.endpoint,
        region_name=SETTINGS.region,
        config=NO_RETRIES,
        **credentials,
    )


def as_role(stack, key: str, service: str, endpoint: str | None = None):
    return client(stack, service, endpoint, **stack.iam.role(key).client_kwargs())


def error_of(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"], error["Error"].get("Message", "")


def denials(stack) -> dict[str, int]:
    """Every denial so far, by "<role> <action>", the endpoint's and the DynamoDB process's."""
    health = stack.health()["iam"]
    counts = dict(health["endpoint"]["deniedBy"])
    for key, n in (health["dynamodb"] or {}).get("deniedBy", {}).items():
        counts[key] = counts.get(key, 0) + n
    return counts


def new_denials(stack, before: dict[str, int]) -> dict[str, int]:
    now = denials(stack)
    return {k: n - before.get(k, 0) for k, n in now.items() if n > before.get(k, 0)}


# -- point 3: signatures ---------------------------------------------------------------------------
def _get_item(c):
    return c.get_item(TableName=SETTINGS.messages_table, Key={"conversationId": {"S": "x"}, "messageId": {"S": "y"}})


def _list_executions(c):
    return c.list_executions(stateMachineArn=f"arn:aws:states:{SETTINGS.region}:{ACCOUNT}:stateMachine:BrainWorkflow")


def _invoke(c):
    return c.invoke(FunctionName=SETTINGS.function_name("reasoning"), Payload=b"{}")


def _converse(c):
    return c.converse(modelId=SETTINGS.model_id, messages=[{"role": "user", "content": [{"text": "hi"}]}])


#: service: (boto3 client, a call, the code for a key nobody issued, for a wrong signature, HTTP status)
UNKNOWN, BAD = "UnrecognizedClientException", "InvalidSignatureException"
REQUESTS = {
    "dynamodb": ("dynamodb", _get_item, UNKNOWN, BAD, 400),
    "stepfunctions": ("stepfunctions", _list_executions, UNKNOWN, BAD, 400),
    "sqs": ("sqs", lambda c: c.list_queues(), "InvalidClientTokenId", "SignatureDoesNotMatch", 403),
    "lambda": ("lambda", _invoke, UNKNOWN, BAD, 403),
    "bedrock": ("bedrock-runtime", _converse, UNKNOWN, BAD, 403),
    "cognito": ("cognito-idp", lambda c: c.list_user_pools(MaxResults=10), UNKNOWN, BAD, 400),
}


@pytest.mark.parametrize("service", REQUESTS)
def test_a_key_nobody_issued_is_refused_with_the_services_own_error(stack, service):
    name, call, unknown, _, status = REQUESTS[service]
    code, http_status, message = error_of(lambda: call(client(stack, name, **FORGED)))
    assert (code, http_status) == (unknown, status)
    assert message == "The security token included in the request is invalid."


@pytest.mark.parametrize("service", REQUESTS)
def test_a_wrong_signature_is_refused_with_the_services_own_error(stack, service):
    name, call, _, bad_signature, status = REQUESTS[service]
    code, http_status, message = error_of(lambda: call(client(stack, name, **WRONG_SECRET)))
    assert (code, http_status) == (bad_signature, status)
    assert message.startswith("The request signature we calculated does not match")


def test_the_dynamodb_process_itself_refuses_a_key_nobody_issued(stack):
    """The functions call it directly: it checks on its own, not only behind the endpoint."""
    ddb = client(stack, "dynamodb", stack.dynamodb_endpoint, **FORGED)
    assert error_of(lambda: ddb.list_tables())[0] == "UnrecognizedClientException"


def test_a_role_key_without_its_session_token_is_refused(stack):
    role = stack.iam.role("perception")
    ddb = client(stack, "dynamodb", aws_access_key_id=role.access_key_id, aws_secret_access_key=role.secret_access_key)
    assert error_of(lambda: ddb.list_tables())[0] == "UnrecognizedClientException"


def test_the_administrator_offline_offline_may_do_anything(stack):
    admin = client(stack, "dynamodb", aws_access_key_id="offline", aws_secret_access_key="offline")
    assert SETTINGS.messages_table in admin.list_tables()["TableNames"]
    sfn = client(stack, "stepfunctions", aws_access_key_id="offline", aws_secret_access_key="offline")
    assert sfn.describe_state_machine(stateMachineArn=stack.state_machine_arn)["name"] == SETTINGS.state_machine_name


# -- Events publish ----------------------------------------------------------------------------
def publish(stack, channel: str, event: dict, headers: dict | None = None, sign_as=None):
    """POST /event; ``sign_as``: a principal to sign with (SigV4 for appsync), else ``headers``."""
    url = f"{stack.client_api.url}/event"
    body = json.dumps({"channel": channel, "events": [json.dumps(event)]}).encode()
    if sign_as is not None:
        request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
        credentials = Credentials(sign_as.access_key_id, sign_as.secret_access_key, sign_as.session_token)
        SigV4Auth(credentials, "appsync", SETTINGS.region).add_auth(request)
        headers = dict(request.headers.items())
    sent = urllib.request.Request(url, body, {**(headers or {}), "Content-Type": "application/json"}, method="POST")
    context = ssl.create_default_context(cafile=str(stack.client_api.ca_file))
    try:
        with urllib.request.urlopen(sent, context=context, timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_a_forged_publish_is_refused_and_the_subscriber_receives_only_the_real_one(stack):
    config = stack.client_api.amplify_config()
    ada = SignedInClient(config, stack.client_api.ca_file).sign_in("ada", DEFAULT_PASSWORD)
    channel = ada.channel(f"iam-{uuid.uuid4().hex[:8]}")
    context = ssl.create_default_context(cafile=str(stack.client_api.ca_file))
    auth = {"Authorization": ada.access_token, "host": urlsplit(config["API"]["Events"]["endpoint"]).netloc}
    url = realtime_url(config["API"]["Events"]["endpoint"])
    with connect(url, subprotocols=["aws-appsync-event-ws", "header-" + _b64url(auth)], ssl=context) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(5))["type"] == "connection_ack"
        socket.send(json.dumps({"type": "subscribe", "id": "s1", "channel": channel, "authorization": auth}))
        assert json.loads(socket.recv(5))["type"] == "subscribe_success"

        # Issue 17's forgery: the header's shape, a made-up key and signature.
        now = datetime.datetime.now(datetime.UTC)
        forged = {
            "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
            "Authorization": f"AWS4-HMAC-SHA256 Credential=x/{now:%Y%m%d}/us-east-1/appsync/aws4_request, "
            "SignedHeaders=host, Signature=00",
        }
        status, answer = publish(stack, channel, {"type": "reply", "content": "forged"}, forged)
        assert status == 401 and answer["errors"][0]["errorType"] == "UnauthorizedException"
        # A real signature of a role whose policy does not allow EventPublish (perception's).
        status, answer = publish(
            stack, channel, {"type": "reply", "content": "denied"}, sign_as=stack.iam.role("perception")
        )
        assert status == 401 and "is not authorized to perform: appsync:EventPublish" in answer["errors"][0]["message"]
        # The language function's role may publish: the one event the subscriber gets.
        status, _ = publish(stack, channel, {"type": "reply", "content": "real"}, sign_as=stack.iam.role("language"))
        assert status == 200
        received = json.loads(socket.recv(5))
        assert received["type"] == "data" and json.loads(received["event"])["content"] == "real"


# -- point 4: each role's policy ---------------------------------------------------------------
def test_a_role_calling_beyond_its_policy_gets_access_denied_in_aws_words(stack):
    before = denials(stack)
    perception = stack.iam.role("perception")
    ddb = as_role(stack, "perception", "dynamodb", stack.dynamodb_endpoint)
    code, status, message = error_of(
        lambda: ddb.put_item(
            TableName=SETTINGS.messages_table, Item={"conversationId": {"S": "x"}, "messageId": {"S": "y"}}
        )
    )
    table = f"arn:aws:dynamodb:{SETTINGS.region}:{ACCOUNT}:table/{SETTINGS.messages_table}"
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{perception.role_name}/{SETTINGS.function_name('perception')} "
        f"is not authorized to perform: dynamodb:PutItem on resource: {table} "
        "because no identity-based policy allows the dynamodb:PutItem action"
    )
    bedrock = as_role(stack, "perception", "bedrock-runtime")
    assert error_of(lambda: _converse(bedrock))[:2] == ("AccessDeniedException", 403)
    sfn = as_role(stack, STATE_MACHINE, "stepfunctions")
    assert (
        error_of(lambda: sfn.start_execution(stateMachineArn=stack.state_machine_arn, input="{}"))[0]
        == "AccessDeniedException"
    )
    assert new_denials(stack, before) == {
        "perception dynamodb:PutItem": 1,
        "perception bedrock:InvokeModel": 1,
        "state_machine states:StartExecution": 1,
    }
    log = stack.iam.log_path.read_text()
    assert f"is not authorized to perform: dynamodb:PutItem on resource: {table}" in log


def test_the_pipeline_and_the_client_api_run_with_no_call_denied(stack):
    """The running code is the list of permissions: every call a message causes — the api
    function's writes and reads, the pipe's StartExecution, the engine's invokes, each agent's
    DynamoDB, Bedrock and Events calls, a fact remembered — is allowed by its CDK policy."""
    assert stack.health()["iam"]["enforced"]
    before = denials(stack)
    config = stack.client_api.amplify_config()
    ada = SignedInClient(config, stack.client_api.ca_file).sign_in("ada", DEFAULT_PASSWORD).connect()
    try:
        conv = f"iam-{uuid.uuid4().hex[:8]}"
        first = ada.send("Hello! My name is Ada and I live in Lisbon.", conv, client_message_id=str(uuid.uuid4()))
        assert first.reply["status"] == "complete"
        again = ada.send("Do you remember my name?", conv)
        assert again.reply["status"] == "complete" and not again.reply.get("degraded")
        assert ada.request("GET", "/conversations")[0] == 200  # the api function's index query
        assert ada.request("GET", f"/conversations/{conv}/messages")[0] == 200
        message_id = first.message["messageId"]
        assert ada.request("GET", f"/conversations/{conv}/messages/{message_id}/chunks")[0] == 200
    finally:
        ada.close()
    # Depth's memory write was allowed: the facts are kept, under ada's sub.
    memory = FactStore(stack.client("dynamodb"), SETTINGS.memory_table, SETTINGS.memory_max_facts, 1)
    assert {f.kind: f.value for f in memory.load(stack.client_api.subs["ada"])}.get("home") == "Lisbon"
    backend = BrainClient(stack.options.endpoint).send(
        "Hello from a trusted backend", f"iam-{uuid.uuid4().hex[:8]}", "grace"
    )
    assert backend.reply["status"] == "complete"
    wait_executions_done(stack, backend.message["messageId"])
    assert new_denials(stack, before) == {}


@pytest.fixture
def revoked(stack):
    """Take one action away from one role's CDK policy (as deploying that policy would), then
    put the policy back."""
    original = copy.deepcopy(stack.iam.policies)

    def revoke(role: str, action: str, resource_contains: str = "") -> None:
        policies = copy.deepcopy(original)
        for statement in policies[role]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if action in actions and any(resource_contains in r for r in resources):
                statement["Action"] = [a for a in actions if a != action] or ["none:Nothing"]
        stack.iam.replace_policies(policies)

    yield revoke
    stack.iam.replace_policies(original)


def test_depth_without_its_memory_write_answers_and_says_the_fact_was_not_kept(stack, revoked):
    """Depth's handler catches a failed memory write: the reply is complete, no fact is kept,
    MemoryWriteFailed is counted, and the denial is in the IAM log with AWS's message."""
    revoked("depth", "dynamodb:PutItem")
    before = denials(stack)
    owner = f"ada-{uuid.uuid4().hex[:6]}"
    told = BrainClient(stack.options.endpoint).send("My name is Ada and I live in Lisbon.", f"iam-{owner}", owner)
    assert told.reply["status"] == "complete" and told.reply["factsRemembered"] == 0
    assert new_denials(stack, before) == {"depth dynamodb:PutItem": 1}
    assert "assumed-role/" in stack.iam.log_path.read_text().splitlines()[-1]
    depth_log = (stack.options.log_dir / f"{SETTINGS.function_name('depth')}.log").read_text()
    assert "long-term memory not written" in depth_log and "MemoryWriteFailed" in depth_log


def test_a_state_machine_that_may_not_invoke_depth_degrades_the_reply_through_the_branch_catch(stack, revoked):
    depth_arn = f"arn:aws:lambda:{SETTINGS.region}:{ACCOUNT}:function:{SETTINGS.function_name('depth')}"
    policies = copy.deepcopy(stack.iam.policies)
    for statement in policies[STATE_MACHINE]:
        if statement.get("Sid") == "InvokeAgents":
            statement["Resource"] = [r for r in statement["Resource"] if r != depth_arn]
    stack.iam.replace_policies(policies)
    before = denials(stack)
    owner = f"ada-{uuid.uuid4().hex[:6]}"
    sent = BrainClient(stack.options.endpoint).send("Hello brain, what do you dream of?", f"iam-{owner}", owner)
    assert sent.reply["status"] == "complete" and sent.reply["degraded"] == ["depth"]
    assert sent.reply["content"]
    assert new_denials(stack, before) == {"state_machine lambda:InvokeFunction": 1}


def test_the_policies_come_from_the_synthesized_template(stack):
    """One source: what the offline stack evaluates is the CDK template's statements, resolved."""
    extracted = stack.iam.extracted
    assert set(extracted["roles"]) == {*SETTINGS.functions, "pipe", "state_machine"}
    depth = stack.iam.policies["depth"]
    memory = f"arn:aws:dynamodb:{SETTINGS.region}:{ACCOUNT}:table/{SETTINGS.memory_table}"
    actions = ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"]
    assert {"Sid": "MemoryTable", "Effect": "Allow", "Action": actions, "Resource": memory} in depth
    (start,) = [s for s in stack.iam.policies["pipe"] if s.get("Sid") == "StartWorkflow"]
    assert start["Resource"] == stack.state_machine_arn

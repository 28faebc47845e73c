"""SigV4 verification (brain_local.iam.sigv4): requests signed as boto3 signs them pass, and
each kind of forgery is refused with the service's own error."""

from __future__ import annotations

import datetime
import json
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from brain_core.config import SETTINGS
from brain_local.iam import (
    CredentialsRegistry,
    InvalidSignature,
    MissingAuthentication,
    UnrecognizedClient,
    verify_request,
)

REGION = SETTINGS.region
URL = "http://127.0.0.1:4566/"
BODY = json.dumps({"TableName": "BrainMessages"}).encode()


@pytest.fixture(scope="module")
def registry() -> CredentialsRegistry:
    return CredentialsRegistry.issue(SETTINGS, "123456789012")


def signed(
    access_key: str, secret: str, token: str | None = None, service: str = "dynamodb", url: str = URL, body=BODY
) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"},
    )
    SigV4Auth(Credentials(access_key, secret, token), service, REGION).add_auth(request)
    return {**dict(request.headers.items()), "Host": urlsplit(url).netloc}  # as urllib3 sends it


def verify(registry, headers, service="dynamodb", url=URL, body=BODY, **kwargs):
    return verify_request(registry, "POST", url, headers, body, service=service, region=REGION, **kwargs)


def test_the_administrator_offline_offline_is_recognized(registry):
    principal = verify(registry, signed("offline", "offline"))
    assert principal.is_administrator and principal.arn == "arn:aws:iam::123456789012:user/offline"


def test_a_function_role_is_recognized_with_its_session_token(registry):
    depth = registry.role("depth")
    principal = verify(registry, signed(depth.access_key_id, depth.secret_access_key, depth.session_token))
    assert principal is depth
    assert (
        principal.arn == f"arn:aws:sts::123456789012:assumed-role/{depth.role_name}/{SETTINGS.function_name('depth')}"
    )


def test_an_encoded_path_and_a_query_verify_as_signed(registry):
    url = "http://127.0.0.1:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Ax/invocations?Qualifier=live"
    headers = signed("offline", "offline", service="lambda", url=url)
    assert verify(registry, headers, service="lambda", url=url).is_administrator


def test_a_key_nobody_issued_is_unrecognized(registry):
    with pytest.raises(UnrecognizedClient) as refused:
        verify(registry, signed("AKIAFORGEDFORGED0000", "whatever"))
    assert (refused.value.code, refused.value.status) == ("UnrecognizedClientException", 400)
    assert refused.value.message == "The security token included in the request is invalid."


def test_a_role_key_without_its_session_token_is_unrecognized(registry):
    depth = registry.role("depth")
    with pytest.raises(UnrecognizedClient):
        verify(registry, signed(depth.access_key_id, depth.secret_access_key, "another-token"))


def test_a_wrong_secret_is_an_invalid_signature(registry):
    with pytest.raises(InvalidSignature) as refused:
        verify(registry, signed("offline", "not-the-secret"))
    assert (refused.value.code, refused.value.status) == ("InvalidSignatureException", 400)


def test_a_changed_body_is_an_invalid_signature(registry):
    with pytest.raises(InvalidSignature):
        verify(registry, signed("offline", "offline"), body=json.dumps({"TableName": "BrainMemory"}).encode())


def test_the_forged_header_of_the_issue_is_refused(registry):
    """Issue 17's forgery: a well-shaped header with a made-up signature, for Events publish."""
    headers = {
        "Host": "127.0.0.1:4567",
        "X-Amz-Date": datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ"),
        "Authorization": "AWS4-HMAC-SHA256 Credential=x/20261201/us-east-1/appsync/aws4_request, "
        "SignedHeaders=host, Signature=00",
    }
    with pytest.raises(UnrecognizedClient) as refused:
        verify(registry, headers, service="appsync", url="https://127.0.0.1:4567/event")
    assert (refused.value.code, refused.value.status) == ("UnauthorizedException", 401)


def test_a_signature_for_another_service_is_refused(registry):
    with pytest.raises(InvalidSignature) as refused:
        verify(registry, signed("offline", "offline", service="sqs"))
    assert "scoped to correct service: 'dynamodb'" in refused.value.message


def test_an_old_signature_has_expired(registry):
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=16)
    with pytest.raises(InvalidSignature) as refused:
        verify(registry, signed("offline", "offline"), now=later)
    assert refused.value.message.startswith("Signature expired:")


def test_no_signature_is_missing_authentication(registry):
    with pytest.raises(MissingAuthentication) as refused:
        verify(registry, {"Host": "127.0.0.1:4566"})
    assert refused.value.code == "MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    ("service", "code", "status"),
    [
        ("sqs", "InvalidClientTokenId", 403),
        ("lambda", "UnrecognizedClientException", 403),
        ("bedrock", "UnrecognizedClientException", 403),
        ("states", "UnrecognizedClientException", 400),
    ],
)
def test_each_service_answers_in_its_own_wire_format(registry, service, code, status):
    with pytest.raises(UnrecognizedClient) as refused:
        verify(registry, signed("AKIAFORGEDFORGED0000", "x", service=service), service=service)
    answer_status, headers, body = refused.value.response()
    assert (refused.value.code, answer_status) == (code, status)
    if service == "sqs":
        assert ("x-amzn-query-error", "InvalidClientTokenId;Sender") in headers
    if service in ("lambda", "bedrock"):
        assert ("x-amzn-ErrorType", code) in headers
    else:
        assert json.loads(body)["__type"].endswith("#UnrecognizedClientException")


def test_the_registry_round_trips_through_json(registry):
    again = CredentialsRegistry.from_json(registry.to_json())
    depth = registry.role("depth")
    assert again.lookup(depth.access_key_id) == depth

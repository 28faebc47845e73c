"""The client API on AWS (docs/design.md §8): Cognito, the HTTP API, AppSync Events, and the outputs a
web client configures itself from."""

from __future__ import annotations

import json

import pytest

from brain_core.config import SETTINGS

from .conftest import REPO_ROOT, synthesize


def only(synth, kind: str) -> dict:
    [resource] = synth.of_type(kind).values()
    return resource["Properties"]


def test_the_user_pool_is_invite_only_with_a_public_client_for_srp_and_password_sign_in(default):
    pool = only(default, "AWS::Cognito::UserPool")
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == SETTINGS.client_api.password_min_length
    client = only(default, "AWS::Cognito::UserPoolClient")
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert client["GenerateSecret"] is False


def test_connect_and_subscribe_use_the_user_pool_and_publish_is_iam_only(default):
    events = only(default, "AWS::AppSync::Api")["EventConfig"]
    assert [m["AuthType"] for m in events["ConnectionAuthModes"]] == ["AMAZON_COGNITO_USER_POOLS"]
    assert [m["AuthType"] for m in events["DefaultSubscribeAuthModes"]] == ["AMAZON_COGNITO_USER_POOLS"]
    assert [m["AuthType"] for m in events["DefaultPublishAuthModes"]] == ["AWS_IAM"]
    assert events["LogConfig"]["LogLevel"] == "ERROR"
    namespace = only(default, "AWS::AppSync::ChannelNamespace")
    assert namespace["Name"] == SETTINGS.events_namespace
    assert [m["AuthType"] for m in namespace["PublishAuthModes"]] == ["AWS_IAM"]


def test_the_namespace_runs_the_same_handler_file_as_the_offline_stack(default):
    namespace = only(default, "AWS::AppSync::ChannelNamespace")
    asset_hash = namespace["CodeS3Location"]["Fn::Sub"].rsplit("/", 1)[1]
    manifest = json.loads((default.outdir / f"{default.stack.stack_name}.assets.json").read_text())
    staged = default.outdir / manifest["files"][asset_hash.removesuffix(".js")]["source"]["path"]
    assert staged.read_text() == (REPO_ROOT / "appsync" / "brain_namespace.js").read_text()


def test_every_route_has_the_jwt_authorizer_and_the_stage_throttles(default):
    routes = default.of_type("AWS::ApiGatewayV2::Route")
    assert {r["Properties"]["RouteKey"] for r in routes.values()} == set(SETTINGS.client_api.routes)
    [authorizer_id] = default.of_type("AWS::ApiGatewayV2::Authorizer")
    assert all(r["Properties"]["AuthorizationType"] == "JWT" for r in routes.values())
    assert all(r["Properties"]["AuthorizerId"] == {"Ref": authorizer_id} for r in routes.values())
    authorizer = only(default, "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    stage = only(default, "AWS::ApiGatewayV2::Stage")
    assert stage["StageName"] == "$default" and "AccessLogSettings" in stage
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": SETTINGS.client_api.throttle_burst_limit,
        "ThrottlingRateLimit": SETTINGS.client_api.throttle_rate_limit,
    }
    [integration] = default.of_type("AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"


def test_the_outputs_hold_an_amplify_configuration(default):
    outputs = default.data["Outputs"]
    assert {"AmplifyConfig", "UserPoolId", "UserPoolClientId", "HttpApiUrl", "EventsHttpEndpoint"} <= set(outputs)
    rendered = "".join(p if isinstance(p, str) else "<token>" for p in outputs["AmplifyConfig"]["Value"]["Fn::Join"][1])
    config = json.loads(rendered)
    assert set(config["Auth"]["Cognito"]) >= {"userPoolId", "userPoolClientId"}
    assert config["API"]["Events"]["defaultAuthMode"] == "userPool"
    assert config["API"]["Events"]["endpoint"].endswith("/event") and "brain" in config["API"]["REST"]


@pytest.fixture(scope="module")
def existing_pool(tmp_path_factory):
    context = {
        "userPoolId": "us-east-1_Existing1",
        "userPoolClientId": "existingclient123",
        "webOrigin": "https://chat.example.com",
    }
    return synthesize(tmp_path_factory.mktemp("cdk-existing-pool"), context)


def test_an_existing_user_pool_and_a_web_origin_can_be_given_as_context(existing_pool):
    assert not existing_pool.of_type("AWS::Cognito::UserPool")
    assert "us-east-1_Existing1" in json.dumps(only(existing_pool, "AWS::ApiGatewayV2::Authorizer"))
    cors = only(existing_pool, "AWS::ApiGatewayV2::Api")["CorsConfiguration"]
    [distribution_id] = existing_pool.of_type("AWS::CloudFront::Distribution")
    web_chat = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}
    assert cors["AllowOrigins"] == [web_chat, "https://chat.example.com"]

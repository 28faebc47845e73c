"""The web chat on AWS: a private bucket behind CloudFront with origin access control, the built page
and a config.json made from the stack's outputs, security headers, CORS for the page's origin."""

from __future__ import annotations

import json
import re

import pytest

from brain_core.config import SETTINGS

from .conftest import REPO_ROOT, synthesize


def only(synth, kind: str) -> tuple[str, dict]:
    [(logical_id, resource)] = synth.of_type(kind).items()
    return logical_id, resource["Properties"]


def deployments(synth) -> dict[str, dict]:
    """The two BucketDeployments by construct id (Assets, Page)."""
    found = {}
    for logical_id, resource in synth.of_type("Custom::CDKBucketDeployment").items():
        name = "Page" if "Page" in logical_id else "Assets"
        found[name] = resource["Properties"]
    return found


def staged(synth, object_key: str):
    """The staged directory of an S3 asset of the template (by its object key)."""
    manifest = json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())
    return synth.outdir / manifest["files"][object_key.removesuffix(".zip")]["source"]["path"]


def test_the_bucket_is_private_tls_only_and_encrypted(default):
    bucket_id, bucket = only(default, "AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert "WebsiteConfiguration" not in bucket
    _, policy = only(default, "AWS::S3::BucketPolicy")
    statements = policy["PolicyDocument"]["Statement"]
    deny_plain_http = [s for s in statements if s["Effect"] == "Deny"]
    assert deny_plain_http and deny_plain_http[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Readable by this distribution only (origin access control), never by a public principal.
    reads = [s for s in statements if s["Effect"] == "Allow" and s["Action"] == "s3:GetObject"]
    assert [s["Principal"] for s in reads] == [{"Service": "cloudfront.amazonaws.com"}]
    [distribution_id] = default.of_type("AWS::CloudFront::Distribution")
    assert distribution_id in json.dumps(reads[0]["Condition"]["StringEquals"]["AWS:SourceArn"])


def test_cloudfront_reaches_the_bucket_through_origin_access_control_over_https_only(default):
    _, properties = only(default, "AWS::CloudFront::Distribution")
    config = properties["DistributionConfig"]
    [origin] = config["Origins"]
    assert "OriginAccessControlId" in origin and origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    only(default, "AWS::CloudFront::OriginAccessControl")
    assert config["DefaultRootObject"] == "index.html"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]


def test_every_answer_carries_security_headers_and_a_csp_naming_the_stacks_endpoints(default):
    _, properties = only(default, "AWS::CloudFront::ResponseHeadersPolicy")
    headers = properties["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 365 * 24 * 3600
    csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    events_id = next(iter(default.of_type("AWS::AppSync::Api")))
    assert f'"{events_id}", "Dns.Http"' in csp and f'"{events_id}", "Dns.Realtime"' in csp
    assert "https://cognito-idp.us-east-1.amazonaws.com" in csp


def test_the_built_page_is_deployed_with_long_caching_and_its_page_files_revalidated(default):
    found = deployments(default)
    assets, page = found["Assets"], found["Page"]
    [asset_key] = assets["SourceObjectKeys"]
    directory = staged(default, asset_key)
    assert (directory / "index.html").read_text() == (REPO_ROOT / "web" / "dist" / "index.html").read_text()
    assert any(re.fullmatch(r"app-\w+\.js", p.name) for p in directory.iterdir())
    assert assets["SystemMetadata"]["cache-control"] == "public, max-age=31536000, immutable"
    assert assets["Exclude"] == ["index.html", "config.json"]
    assert page["SystemMetadata"]["cache-control"] == "no-cache"
    assert page["Include"] == ["index.html", "config.json"] and page["Exclude"] == ["*"]
    assert page["DistributionPaths"] == ["/index.html", "/config.json"]


def test_config_json_is_the_amplify_configuration_from_the_stack_outputs_and_the_pages_settings(default):
    page = deployments(default)["Page"]
    config_key = next(key for key in page["SourceObjectKeys"] if staged(default, key).joinpath("config.json").exists())
    text = staged(default, config_key).joinpath("config.json").read_text()
    markers = page["SourceMarkers"][page["SourceObjectKeys"].index(config_key)]
    # The deployment replaces each marker with the token's value (a JSON string) at deploy time.
    for marker in markers:
        text = text.replace(marker, json.dumps(marker))
    config = json.loads(text)
    assert set(config) == {"Auth", "API", "web"}
    assert set(config["Auth"]["Cognito"]) >= {"userPoolId", "userPoolClientId"}
    assert "userPoolEndpoint" not in config["Auth"]["Cognito"]  # AWS's own Cognito
    assert set(config["API"]["REST"]["brain"]) == {"endpoint", "region"}
    assert config["API"]["Events"]["defaultAuthMode"] == "userPool"
    assert config["web"] == {
        "signInFlow": "USER_SRP_AUTH",
        "eventsNamespace": SETTINGS.events_namespace,
        "maxContentChars": SETTINGS.max_input_chars,
    }
    resolved = json.dumps(markers)
    for token in ('"Ref": "ClientApiUsers', '"Dns.Http"', '"ApiEndpoint"'):
        assert token in resolved, token


def test_the_http_api_allows_the_pages_origin_and_the_stack_outputs_its_url(default):
    [distribution_id] = default.of_type("AWS::CloudFront::Distribution")
    _, api = only(default, "AWS::ApiGatewayV2::Api")
    domain = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}
    assert api["CorsConfiguration"]["AllowOrigins"] == [domain]
    url = default.data["Outputs"]["WebUrl"]["Value"]
    assert url == {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "/"]]}


@pytest.fixture(scope="module")
def password_sign_in(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("cdk-web-password"), {"webSignInFlow": "USER_PASSWORD_AUTH"}, nag=False)


def test_the_sign_in_flow_is_a_deployment_choice(password_sign_in):
    page = deployments(password_sign_in)["Page"]
    texts = [staged(password_sign_in, key).joinpath("config.json") for key in page["SourceObjectKeys"]]
    [config] = [path.read_text() for path in texts if path.exists()]
    assert '"signInFlow":"USER_PASSWORD_AUTH"' in config.replace(" ", "")


def test_a_bad_sign_in_flow_or_origin_fails_the_synth_with_a_reason():
    from brain_cdk.options import DeployOptions, OptionsError

    with pytest.raises(OptionsError, match="webSignInFlow"):
        DeployOptions.from_context({"webSignInFlow": "CUSTOM_AUTH"}.get)
    with pytest.raises(OptionsError, match="webOrigin"):
        DeployOptions.from_context({"webOrigin": "chat.example.com"}.get)


def test_synth_refuses_a_page_that_was_never_built(tmp_path):
    from brain_cdk.web import WebBuildMissing, built_page

    with pytest.raises(WebBuildMissing, match="make install"):
        built_page(tmp_path)


def test_the_deployment_role_writes_the_page_and_invalidates_this_distribution_only(default):
    statements = default.policy_statements(default.stack.web.node.find_child("DeployRole"))
    by_sid = {s["Sid"]: s for s in statements}
    assert set(by_sid) == {"ReadTheStacksAssets", "WriteThePage", "InvalidateThePage", "OwnLogGroup"}
    everything = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not any(a.startswith("s3:Delete") for a in everything)
    [distribution_id] = default.of_type("AWS::CloudFront::Distribution")
    assert {"Ref": distribution_id} in by_sid["InvalidateThePage"]["Resource"]["Fn::Join"][1]
    [function] = [
        r for k, r in default.of_type("AWS::Lambda::Function").items() if k.startswith("CustomCDKBucketDeployment")
    ]
    assert function["Properties"]["Role"]["Fn::GetAtt"][0] == default.logical_id(
        default.stack.web.node.find_child("DeployRole")
    )

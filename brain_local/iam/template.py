"""Each role's policy exactly as CDK synthesizes it, resolved to the offline stack's ARNs.

One source: the CDK app (``cdk/brain_cdk``). :func:`extract` synthesizes it — in a subprocess,
so jsii's Node kernel never lives in the stack's process — for the offline stack's configuration
(its region, model and insight model: the policy CDK would deploy for that configuration) and
keeps, for each role the offline stack plays (every function's, the pipe's, the state
machine's), the statements of every policy attached to it, intrinsics and all, plus what each
logical id they name is (a table, a function, the queue…).

:func:`load_policies` caches that JSON by a hash of everything the synth reads (``cdk/``,
``brain_core/``, ``statemachine/``, ``appsync/``, the aws-cdk-lib version, the context), in the
state directory and in the user's cache directory: ``brain up`` synthesizes only when one of those
changed. :func:`resolve` then replaces the intrinsics (``Ref``, ``Fn::GetAtt``, ``Fn::Join``,
``Fn::Sub``, ``Fn::Select``, ``Fn::Split``, the pseudo parameters) with the offline values
(:class:`OfflineResources`); an intrinsic it does not know is refused, not guessed.

A missing ``web/dist`` (the web chat not built) is replaced, for this synth only, by a one-file
placeholder: the page's files are uploaded by a deployment role no offline call plays, and
change no policy evaluated here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brain_core.config import FUNCTIONS, Settings
from brain_local.iam.credentials import PIPE, STATE_MACHINE
from brain_local.iam.policy import UnsupportedPolicy

log = logging.getLogger("brain.iam")

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_DIR = REPO_ROOT / "cdk"
#: What the synth reads, besides aws-cdk-lib: a change to any of these is a new policy set.
SOURCES = (
    (CDK_DIR / "brain_cdk", "*.py"),
    (CDK_DIR, "cdk.json"),
    (REPO_ROOT / "brain_core", "*.py"),
    (REPO_ROOT / "statemachine", "*"),
    (REPO_ROOT / "appsync", "*"),
    (Path(__file__).parent, "template.py"),
)
FORMAT = 1


def synth_context(settings: Settings) -> dict[str, str]:
    """The CDK context for the offline stack's configuration."""
    return {"region": settings.region, "modelId": settings.model_id, "insightModelId": settings.insight_model_id}


def source_hash(context: Mapping[str, Any]) -> str:
    from importlib.metadata import version

    digest = hashlib.sha256(json.dumps([FORMAT, dict(context), version("aws-cdk-lib")], sort_keys=True).encode())
    for folder, pattern in SOURCES:
        for path in sorted(folder.rglob(pattern) if pattern != "cdk.json" else [folder / pattern]):
            if path.is_file() and "node_modules" not in path.parts and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def cache_dirs(state_dir: Path | None) -> list[Path]:
    dirs = [state_dir / "iam"] if state_dir else []
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [*dirs, base / "brain-in-cup" / "iam"]


def load_policies(settings: Settings, state_dir: Path | None = None) -> dict:
    """The extracted policies for ``settings``: from a cache when the sources are unchanged,
    else synthesized now (a few seconds) and cached."""
    context = synth_context(settings)
    key = source_hash(context)
    dirs = cache_dirs(state_dir)
    for folder in dirs:
        cached = folder / f"policies-{key}.json"
        if cached.is_file():
            try:
                data = json.loads(cached.read_text())
                if data.get("source") == key:
                    _store(data, dirs, key)  # the state dir gets its copy too
                    return data
            except ValueError:
                pass  # a torn write: synthesize again
    log.info("synthesizing the CDK app for its IAM policies (sources changed, or first start)")
    data = synthesize(context)
    data["source"] = key
    _store(data, dirs, key)
    return data


def _store(data: dict, dirs: list[Path], key: str) -> None:
    for folder in dirs:
        path = folder / f"policies-{key}.json"
        if path.is_file():
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=1))
            tmp.replace(path)
        except OSError as exc:  # a read-only cache dir: the other one, or synthesize next time
            log.debug("cannot cache the policies in %s: %s", folder, exc)


def synthesize(context: Mapping[str, Any]) -> dict:
    """Run :func:`extract` in a subprocess (the CDK app and jsii's Node kernel stay out of here)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(CDK_DIR)]),
        "CDK_VALIDATION": "false",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    for variable in ("CDK_DEFAULT_REGION", "CDK_DEPLOY_REGION", "CDK_DEFAULT_ACCOUNT", "CDK_DEPLOY_ACCOUNT"):
        env.pop(variable, None)  # the offline configuration decides, not a developer's shell
    done = subprocess.run(
        [sys.executable, "-m", "brain_local.iam.template", json.dumps(dict(context))],
        capture_output=True,
        text=True,
        env=env,
        cwd=CDK_DIR,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"synthesizing the CDK app for its IAM policies failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def extract(context: Mapping[str, Any]) -> dict:
    """Synthesize the app (here) and return each offline role's statements and the references."""
    from brain_cdk import web
    from brain_cdk.app import build_app

    with tempfile.TemporaryDirectory(prefix="brain-iam-") as tmp:
        if not (web.WEB_DIST / "index.html").is_file():
            placeholder = Path(tmp) / "web"
            placeholder.mkdir()
            (placeholder / "index.html").write_text("<!doctype html><title>placeholder</title>\n")
            web.built_page = lambda dist=placeholder: placeholder  # see the module
        app, stack = build_app(context=dict(context), outdir=str(Path(tmp) / "cdk.out"), nag=False)
        app.synth()
        template = json.loads((Path(tmp) / "cdk.out" / f"{stack.stack_name}.template.json").read_text())

    def logical_id(construct) -> str:
        return stack.resolve(construct.node.default_child.logical_id)

    role_ids = {agent: logical_id(stack.functions[agent].role) for agent in FUNCTIONS}
    role_ids[PIPE] = stack.resolve(stack.pipe.role_arn)["Fn::GetAtt"][0]
    role_ids[STATE_MACHINE] = logical_id(stack.state_machine.role)

    references: dict[str, dict] = {}
    for key, table in stack.tables.items():
        references[logical_id(table)] = {"kind": "table", "key": key}
    for agent, function in stack.functions.items():
        references[logical_id(function)] = {"kind": "function", "key": agent}
    for agent, alias in getattr(stack, "aliases", {}).items():
        references[logical_id(alias)] = {"kind": "alias", "key": agent}
    references[logical_id(stack.state_machine)] = {"kind": "state-machine"}
    references[logical_id(stack.dead_letter_queue)] = {"kind": "queue"}
    references[logical_id(stack.client_api.events)] = {"kind": "events-api"}
    for lid, resource in template["Resources"].items():
        name = resource.get("Properties", {}).get("LogGroupName")
        if resource["Type"] == "AWS::Logs::LogGroup" and isinstance(name, str):
            references[lid] = {"kind": "log-group", "key": name}

    roles = {key: role_statements(template, lid) for key, lid in role_ids.items()}
    return {"format": FORMAT, "context": dict(context), "roles": roles, "references": references}


def role_statements(template: dict, role_id: str) -> list[dict]:
    """Every statement of every policy attached to the role (inline or AWS::IAM::Policy)."""
    resources = template["Resources"]
    role = resources[role_id]["Properties"]
    if role.get("ManagedPolicyArns"):
        raise UnsupportedPolicy(f"{role_id} has managed policies, which are not evaluated offline")
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in resource["Properties"].get("Roles", []):
            statements.extend(resource["Properties"]["PolicyDocument"]["Statement"])
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and {"Ref": role_id} in resource["Properties"].get(
            "Roles", []
        ):
            statements.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return statements


@dataclass(frozen=True)
class OfflineResources:
    """The offline values of what the policies name."""

    settings: Settings
    account: str
    stream_arn: str
    queue_url: str
    state_machine_arn: str
    events_api_id: str
    stack_name: str = ""

    @property
    def region(self) -> str:
        return self.settings.region

    def table_name(self, key: str) -> str:
        from brain_core.tables import TABLES

        (spec,) = [s for s in TABLES if s.key == key]
        return getattr(self.settings, spec.setting)

    def queue_arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.queue_url.rstrip('/').rsplit('/', 1)[1]}"

    def value(self, reference: Mapping[str, str] | None, logical_id: str, attribute: str | None) -> str:
        """``Ref`` (attribute None) or ``Fn::GetAtt`` of a logical id, offline."""
        r, a = self.region, self.account
        kind, key = (reference or {}).get("kind"), (reference or {}).get("key", "")
        s = self.settings
        if kind == "table":
            name = self.table_name(key)
            if attribute == "StreamArn":
                if key != "messages":
                    raise UnsupportedPolicy(f"only the messages table has a stream offline, not {key}")
                return self.stream_arn
            return name if attribute is None else f"arn:aws:dynamodb:{r}:{a}:table/{name}"
        if kind in ("function", "alias"):
            arn = f"arn:aws:lambda:{r}:{a}:function:{s.function_name(key)}"
            if kind == "alias":
                return f"{arn}:live"
            return s.function_name(key) if attribute is None else arn
        if kind == "state-machine":
            return self.state_machine_arn if attribute in (None, "Arn") else s.state_machine_name
        if kind == "queue":
            return self.queue_url if attribute is None else self.queue_arn()
        if kind == "events-api":
            if attribute == "ApiId":
                return self.events_api_id
            return f"arn:aws:appsync:{r}:{a}:apis/{self.events_api_id}"
        if kind == "log-group":
            return key if attribute is None else f"arn:aws:logs:{r}:{a}:log-group:{key}:*"
        # Something no offline call reaches (a bucket, a CDN): a name that matches nothing real.
        return f"arn:aws:cloudformation:{r}:{a}:not-offline/{logical_id}" + (f"/{attribute}" if attribute else "")

    def pseudo(self, name: str) -> str:
        values = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name or self.settings.app_name,
        }
        if name not in values:
            raise UnsupportedPolicy(f"pseudo parameter {name} is not resolved offline")
        return values[name]


_SUB = re.compile(r"\$\{(!?)([^}]+)\}")


def resolve(value: Any, references: Mapping[str, Mapping[str, str]], offline: OfflineResources) -> Any:
    """``value`` with every CloudFormation intrinsic replaced by its offline value."""

    def ref(name: str, attribute: str | None = None) -> str:
        if name.startswith("AWS::"):
            return offline.pseudo(name)
        return offline.value(references.get(name), name, attribute)

    def walk(v: Any) -> Any:
        if isinstance(v, list):
            return [walk(x) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) != 1 or not next(iter(v)).startswith(("Ref", "Fn::")):
            return {k: walk(x) for k, x in v.items()}
        ((function, argument),) = v.items()
        if function == "Ref":
            return ref(argument)
        if function == "Fn::GetAtt":
            name, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return ref(name, walk(attribute))
        if function == "Fn::Join":
            separator, items = argument
            return separator.join(str(walk(i)) for i in walk(items))
        if function == "Fn::Select":
            index, items = argument
            return walk(items)[int(walk(index))]
        if function == "Fn::Split":
            separator, text = argument
            return str(walk(text)).split(separator)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            variables = {k: walk(x) for k, x in variables.items()}

            def substitute(match: re.Match[str]) -> str:
                if match.group(1):  # ${!Literal}
                    return "${" + match.group(2) + "}"
                name = match.group(2)
                if name in variables:
                    return str(variables[name])
                return ref(*name.split(".", 1)) if "." in name else ref(name)

            return _SUB.sub(substitute, text)
        raise UnsupportedPolicy(f"the intrinsic {function} is not resolved offline: {v}")

    return walk(value)


if __name__ == "__main__":
    print(json.dumps(extract(json.loads(sys.argv[1]))))

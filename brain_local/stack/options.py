"""What the offline stack is started with (``brain up``'s options: the CLI's defaults are these).

The deployment's options are CDK's (``cdk/brain_cdk/options.py``); these are the offline stack's
alone: where it listens, which model stands behind its Bedrock endpoint and how fast it is,
where its logs, state and data go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from brain_core.config import SETTINGS, Settings

#: The repository: the functions' code root, as Lambda's task root.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The web chat as `make install` builds it (web/, npm run build): served at the front door's /.
WEB_DIST = REPO_ROOT / "web" / "dist"
ACCOUNT = "123456789012"
DEFAULT_PORT = 4566


@dataclass
class OfflineStackOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    model: str = "scripted"
    ttft_ms: float = 400.0
    tokens_per_second: float = 40.0
    reply_tokens: int = 60
    #: The scripted double behind ``insight_model_id``: a small fast model's pace on Bedrock
    #: (a forced-tool answer in ~300-400 ms).
    insight_ttft_ms: float = 250.0
    insight_tokens_per_second: float = 400.0
    model_client: str = "boto3"
    log_dir: Path = field(default_factory=lambda: REPO_ROOT / ".brain" / "logs")
    warm: int = 0  # environments started per function before traffic
    seed: int = 0
    settings: Settings = SETTINGS
    #: config.json (aws-amplify), ca.pem and users.json go here, beside the logs.
    state_dir: Path = field(default_factory=lambda: REPO_ROOT / ".brain")
    #: The front door's TLS port; None: the plain port + 1 (any free one when that is 0).
    tls_port: int | None = None
    #: Offline users as (name, password); empty: ada and bob (brain_local.cognito.identity).
    users: list[tuple[str, str]] = field(default_factory=list)
    #: Static files the front door serves at / (the web chat), when the directory exists.
    static_dir: Path | None = WEB_DIST
    #: Keep the tables (and the pipe's checkpoint) here across restarts; None: in memory.
    data_dir: Path | None = None
    #: Evaluate every call against the caller's CDK policy (brain_local.iam); False: ``--no-iam``
    #: (signatures are verified either way).
    iam: bool = True

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

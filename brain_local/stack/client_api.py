"""The client API of the offline stack (docs/design.md §8): identity, the HTTP API, pushed streaming.

What ``brain up`` adds to the AWS-compatible endpoint for a chat app, all behind the TLS front
door (:mod:`brain_local.frontdoor.server`):

- Cognito from moto (this process, under ``mock_aws``): the user pool, its app client and the
  users (:mod:`brain_local.cognito.identity`);
- the HTTP API (:mod:`brain_local.httpapi.service`), whose routes invoke the ``api`` function through
  the local Lambda pool, as API Gateway invokes it on AWS;
- the Events API (:mod:`brain_local.events.service`), running the namespace's APPSYNC_JS file.

It writes ``<state dir>/config.json`` (the aws-amplify configuration, exactly what the CDK stack
outputs, plus ``userPoolEndpoint``), ``ca.pem`` (trust it) and ``users.json``, and serves the web
chat (``web/dist``, when built) at ``/`` with its ``/config.json``: the same configuration plus
the page's ``web`` section. The publishing
functions get ``EVENTS_HTTP_ENDPOINT`` and ``AWS_CA_BUNDLE`` (the standard setting every AWS SDK
reads): nothing in their code knows it runs offline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain_core.config import PUBLISHERS, Settings, web_page_settings
from brain_local import moto_departures
from brain_local.cognito.identity import (
    DEFAULT_PASSWORD,
    DEFAULT_USERS,
    TokenVerifier,
    UserPool,
    UsersFile,
    add_user,
    amplify_config,
    create_user_pool,
    token_lifetimes,
)
from brain_local.cognito.token_key import TokenKey

if TYPE_CHECKING:
    from brain_local.events.service import EventsService
    from brain_local.frontdoor.server import FrontDoor
    from brain_local.httpapi.service import HttpApiService
    from brain_local.iam import CredentialsRegistry

log = logging.getLogger("brain.client_api")


@dataclass
class ClientApiOptions:
    state_dir: Path  # .brain: config.json, ca.pem, users.json
    tls_port: int = 0  # 0: any free port
    #: (name, password) pairs; empty: ada and bob with DEFAULT_PASSWORD.
    users: list[tuple[str, str]] = field(default_factory=list)
    static_dir: Path | None = None
    ka_interval: float = 60.0
    #: The credentials the stack knows (brain_local.iam): Cognito's non-public operations need the
    #: administrator's signature at the front door (cognito_gate); None: issued here.
    credentials: CredentialsRegistry | None = None


class OfflineClientApi:
    def __init__(self, options: ClientApiOptions, settings: Settings, account: str, host: str = "127.0.0.1"):
        self.options = options
        self.settings = settings
        self.account = account
        self.host = host
        self.pool: UserPool | None = None
        self.users: dict[str, str] = {}
        self.subs: dict[str, str] = {}
        self.front_door: FrontDoor | None = None
        self.events: EventsService | None = None
        self.http_api: HttpApiService | None = None
        self.ca_file: Path | None = None
        self._cognito: Any = None
        self.token_key: TokenKey | None = None

    @property
    def user_pool(self) -> UserPool:
        if self.pool is None:
            raise RuntimeError("the user pool is not created yet: create_resources() first")
        return self.pool

    @property
    def door(self) -> FrontDoor:
        if self.front_door is None:
            raise RuntimeError("the front door is not running: start() first")
        return self.front_door

    # -- resources -------------------------------------------------------------------------------
    def create_resources(self, cognito) -> None:
        """The user pool, its app client and the users (the Conversations table is one of the
        stack's tables, brain_core/tables.py)."""
        self._cognito = cognito
        # The stack's own signing key (never moto's shipped one), before any token is issued.
        self.token_key = TokenKey.in_directory(self.options.state_dir)
        moto_departures.apply_to_cognito(
            self.token_key.private_pem,
            self.token_key.kid,
            self.token_key.jwks(),
            token_lifetimes(self.settings.client_api),
        )
        self.pool = create_user_pool(cognito, self.settings.client_api, self.settings.region)
        for name, password in self.options.users or [(u, DEFAULT_PASSWORD) for u in DEFAULT_USERS]:
            self.add_user(name, password)

    def add_user(self, name: str, password: str) -> str:
        sub = add_user(self._cognito, self.user_pool, name, password)
        self.users[name], self.subs[name] = password, sub
        return sub

    # -- the front door --------------------------------------------------------------------------
    def start(self, endpoint: str, invoke_api: Callable[[dict], tuple[object, str | None]]) -> str:
        """Start the front door (``endpoint``: the plain one, serving Cognito); returns its URL."""
        from brain_local.events.appsync_js import NamespaceHandlers
        from brain_local.events.service import EventsService
        from brain_local.frontdoor.cognito_gate import administrator_only
        from brain_local.frontdoor.local_ca import LocalCA
        from brain_local.frontdoor.server import FrontDoor
        from brain_local.httpapi.service import HttpApiService
        from brain_local.iam import CredentialsRegistry

        api = self.settings.client_api
        credentials = self.options.credentials or CredentialsRegistry.issue(self.settings, self.account)
        ca = LocalCA.in_directory(self.options.state_dir)
        self.ca_file = ca.ca_file
        pool = self.user_pool
        if self.token_key is None:
            raise RuntimeError("the user pool is not created yet: create_resources() first")
        verifier = TokenVerifier(self.token_key.jwks(), pool)  # this stack's key alone
        events = EventsService(verifier, NamespaceHandlers(), self.settings.events_namespace, self.options.ka_interval)
        http_api = HttpApiService(api.routes, verifier, invoke_api, account=self.account)
        door = FrontDoor(
            self.host,
            self.options.tls_port,
            ca.server_context(),
            cognito_endpoint=endpoint + "/",
            region=self.settings.region,
            config=self.page_config,
            ca_file=ca.ca_file,
            static_dir=self.options.static_dir,
            cors_origins=api.cors_origins,
            authorize=administrator_only(credentials, self.settings.region, self.account),
        )
        door.add(events)
        door.add(http_api)
        door.start()
        self.events, self.http_api, self.front_door = events, http_api, door
        self._write_state()
        return door.url

    @property
    def url(self) -> str:
        return self.door.url

    def amplify_config(self) -> dict:
        return amplify_config(self.user_pool, self.door.url)

    def page_config(self) -> dict:
        """The web chat's ``/config.json``: the aws-amplify configuration and the page's own
        ``web`` section (USER_PASSWORD_AUTH: moto has no SRP)."""
        return {**self.amplify_config(), "web": web_page_settings("USER_PASSWORD_AUTH", self.settings)}

    @property
    def web_url(self) -> str | None:
        """Where the web chat is served, if the stack was given a built one."""
        static = self.options.static_dir
        if self.front_door is None or static is None or not (static / "index.html").is_file():
            return None
        return self.front_door.url + "/"

    def _write_state(self) -> None:
        state = self.options.state_dir
        (state / "config.json").write_text(json.dumps(self.amplify_config(), indent=2) + "\n")
        UsersFile(state / "users.json").write(self.users)

    def function_environment(self, function: str) -> dict[str, str]:
        """What a function needs to reach the front door: the Events endpoint (publishers only)
        and the CA bundle that signs its certificate."""
        env = {"AWS_CA_BUNDLE": str(self.ca_file)}
        if function in PUBLISHERS:
            env["EVENTS_HTTP_ENDPOINT"] = f"{self.door.url}/event"
        return env

    def health(self) -> dict:
        stats = self.events.stats if self.events else None
        return {
            "stateDir": str(self.options.state_dir),
            "frontDoor": self.front_door.url if self.front_door else None,
            "web": self.web_url,
            "userPoolId": self.pool.pool_id if self.pool else None,
            "userPoolClientId": self.pool.client_id if self.pool else None,
            "events": None
            if stats is None
            else {
                "connections": stats.connections,
                "openConnections": len(stats.open_connections),
                "subscribed": stats.subscribed,
                "refused": stats.refused,
                "published": stats.published,
                "delivered": stats.delivered,
            },
        }

    def stop(self) -> None:
        if self.front_door is not None:
            self.front_door.stop()
            self.front_door = None
        if self.http_api is not None:
            self.http_api.close()

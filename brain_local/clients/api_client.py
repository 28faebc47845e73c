"""A chat client as a signed-in user: Cognito sign-in, the HTTP API, the pushed stream (docs/design.md §8).

What ``brain send`` / ``brain chat`` / ``brain demo`` use, and the benchmark's main client. It
reads the same aws-amplify configuration a web or Node client reads (``.brain/config.json``
offline, the CDK stack's ``AmplifyConfig`` output on AWS) and speaks the same protocols:

1. sign in with ``USER_PASSWORD_AUTH`` (boto3's ``cognito-idp`` on ``userPoolEndpoint`` when the
   configuration names one);
2. open the Events WebSocket (``wss://``, subprotocols ``aws-appsync-event-ws`` and the
   ``header-`` one carrying the access token), subscribe to ``/brain/<sub>/<conversationId>``
   before sending;
3. ``POST /conversations/{id}/messages`` with the token, then take the chunk events (in ``seq``
   order, each once) and the reply event of that message.

A reply whose events were missed (a late or dropped connection) is caught up from the API.
The plain boto3 client (:mod:`brain_local.clients.boto3_client`) stays as the backend-to-backend path.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import queue
import ssl
import threading
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from brain_local.clients.boto3_client import Exchange, ReplyTimeout

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

log = logging.getLogger("brain.client")


class ApiError(RuntimeError):
    def __init__(self, status: int, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status, self.body = status, body


class SubscribeRefused(RuntimeError):
    pass


def realtime_url(events_endpoint: str) -> str:
    """Where aws-amplify connects for an Events endpoint: AppSync's realtime domain on AWS, the
    same host and port otherwise; always ``wss://``."""
    parts = urllib.parse.urlsplit(events_endpoint)
    host = parts.netloc.replace(".appsync-api.", ".appsync-realtime-api.")
    return f"wss://{host}/event/realtime"


def _b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def token_claims(token: str) -> dict:
    """A JWT's claims, unverified (the client only reads its own ``sub``)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@dataclass
class _Reply:
    """What arrived for one message so far."""

    chunks: dict[int, str]
    reply: dict | None = None
    first_chunk_at: float | None = None


class SignedInClient:
    def __init__(self, config: dict, ca_file: Path | None = None):
        self.config = config
        self.ca_file = ca_file
        self._ssl = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        # The Events socket's TLS stops at 1.2. websockets' sync client reads the socket in a
        # thread of its own while this thread writes, and an SSL socket is not safe for a read
        # and a write at once: with TLS 1.3 the server's session tickets arrive just after the
        # handshake, as the upgrade request is written, and the two collide (seen here: the
        # upgrade never answered, 1 connection in ~15 with 20 clients, or an OpenSSL "internal
        # error"). TLS 1.2 sends its tickets inside the handshake. The browser is not affected.
        self._events_ssl = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._events_ssl.maximum_version = ssl.TLSVersion.TLSv1_2
        rest = config["API"]["REST"]["brain"]["endpoint"]
        parts = urllib.parse.urlsplit(rest)
        self._api_host, self._api_prefix = parts.netloc, parts.path.rstrip("/")
        self._local = threading.local()
        self.access_token: str | None = None
        self.sub: str | None = None
        self._socket: ClientConnection | None = None
        self._auth: dict[str, str | None] = {}
        self._replies: dict[str, _Reply] = {}
        self._arrived = threading.Condition()
        self._acks: dict[str, queue.Queue] = {}
        self._subscribed: set[str] = set()
        #: Messages whose reply has been handed over: their late events (a chunk publish slower
        #: than the reply's) are dropped, not kept.
        self._finished: deque[str] = deque(maxlen=1000)

    # -- identity ------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> SignedInClient:
        import boto3

        cognito_config = self.config["Auth"]["Cognito"]
        endpoint = cognito_config.get("userPoolEndpoint")  # absent on AWS: Cognito's own
        cognito = boto3.client(
            "cognito-idp",
            region_name=cognito_config["userPoolId"].split("_", 1)[0],
            endpoint_url=endpoint,
            verify=str(self.ca_file) if endpoint and self.ca_file else True,
            # sign-in is unsigned; boto3 still wants credentials to exist offline
            aws_access_key_id="offline",
            aws_secret_access_key="offline",
        )
        result = cognito.initiate_auth(
            ClientId=cognito_config["userPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )["AuthenticationResult"]
        self.access_token = result["AccessToken"]
        self.sub = token_claims(self.access_token)["sub"]
        return self

    def channel(self, conversation_id: str) -> str:
        return f"/brain/{self.sub}/{conversation_id}"

    # -- the HTTP API --------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPSConnection:
        if getattr(self._local, "connection", None) is None:
            self._local.connection = http.client.HTTPSConnection(self._api_host, context=self._ssl, timeout=30)
        return self._local.connection

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = "signed-in"):
        """(status, JSON body). ``token=None`` sends no Authorization header."""
        headers = {"Content-Type": "application/json"}
        bearer = self.access_token if token == "signed-in" else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            connection = self._connection()
            try:
                connection.request(method, self._api_prefix + path, data, headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                connection.close()
                self._local.connection = None
                if attempt:
                    raise
        return response.status, (json.loads(raw) if raw else None)

    def post_message(self, conversation_id: str, content: str, client_message_id: str | None = None) -> dict:
        body = {"content": content}
        if client_message_id:
            body["clientMessageId"] = client_message_id
        status, answer = self.request("POST", f"/conversations/{conversation_id}/messages", body)
        if status != 202:
            raise ApiError(status, answer)
        return answer

    def history(self, conversation_id: str) -> list[dict]:
        items, after = [], None
        while True:
            path = f"/conversations/{conversation_id}/messages" + (f"?after={after}" if after else "")
            status, page = self.request("GET", path)
            if status != 200:
                raise ApiError(status, page)
            items.extend(page["items"])
            after = page.get("nextToken")
            if not after:
                return items

    # -- the pushed stream ---------------------------------------------------------------------
    def connect(self, timeout: float = 10.0) -> SignedInClient:
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect
        from websockets.typing import Subprotocol

        url = realtime_url(self.config["API"]["Events"]["endpoint"])
        http_host = urllib.parse.urlsplit(self.config["API"]["Events"]["endpoint"]).netloc
        auth = {"Authorization": self.access_token, "host": http_host}
        self._auth = auth
        self._connection_scope = ExitStack()  # the socket lives until close()
        for attempt in range(3):
            # A connection that fails while opening is tried again, as aws-amplify's client
            # reconnects (an OpenSSL "internal error" on the first write was the TLS 1.3 race
            # that ``_events_ssl`` avoids; a refused or reset socket is still worth a retry).
            try:
                opened = connect(
                    url,
                    subprotocols=[Subprotocol("aws-appsync-event-ws"), Subprotocol("header-" + _b64url(auth))],
                    ssl=self._events_ssl,
                    open_timeout=timeout,
                    max_size=2**22,
                )
                break
            except (OSError, ConnectionClosed) as failed:  # ssl.SSLError is an OSError
                if attempt == 2:
                    raise
                log.warning("the Events socket did not open (%s): trying again", failed)
                time.sleep(0.2 * (attempt + 1))
        self._socket = self._connection_scope.enter_context(opened)
        socket = self._socket
        socket.send(json.dumps({"type": "connection_init"}))
        ack = json.loads(socket.recv(timeout))
        if ack.get("type") != "connection_ack":
            raise SubscribeRefused(f"connection refused: {ack}")
        threading.Thread(target=self._read, name="events-reader", daemon=True).start()
        return self

    def subscribe(self, channel: str, timeout: float = 10.0) -> str:
        sub_id = str(uuid.uuid4())
        answers: queue.Queue = queue.Queue()
        self._acks[sub_id] = answers
        self._open().send(
            json.dumps({"type": "subscribe", "id": sub_id, "channel": channel, "authorization": self._auth})
        )
        answer = answers.get(timeout=timeout)
        if answer.get("type") != "subscribe_success":
            raise SubscribeRefused(json.dumps(answer.get("errors")))
        return sub_id

    def ensure_subscribed(self, conversation_id: str) -> None:
        """Subscribe to the conversation's channel, once."""
        if conversation_id not in self._subscribed:
            self.subscribe(self.channel(conversation_id))
            self._subscribed.add(conversation_id)

    def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            for raw in self._open():
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "data":
                    self._on_event(json.loads(frame["event"]))
                elif kind in ("subscribe_success", "subscribe_error") and frame.get("id") in self._acks:
                    self._acks.pop(frame["id"]).put(frame)
        except ConnectionClosed:
            pass
        finally:
            with self._arrived:
                self._arrived.notify_all()

    def _on_event(self, event: dict) -> None:
        # The user message the event is about: a chunk's messageId, a reply's inReplyTo.
        about = event.get("inReplyTo" if event.get("type") == "reply" else "messageId", "")
        with self._arrived:
            if about in self._finished:
                return
            state = self._replies.setdefault(about, _Reply(chunks={}))
            if event.get("type") == "chunk" and event.get("text"):
                if state.first_chunk_at is None:
                    state.first_chunk_at = time.perf_counter()
                state.chunks.setdefault(int(event["seq"]), event["text"])
            elif event.get("type") == "reply":
                state.reply = event
            self._arrived.notify_all()

    def _open(self) -> ClientConnection:
        if self._socket is None:
            raise SubscribeRefused("not connected: connect() first")
        return self._socket

    def close(self) -> None:
        if self._socket is not None:
            self._socket = None
            self._connection_scope.close()

    # -- one exchange --------------------------------------------------------------------------
    def send(
        self,
        text: str,
        conversation_id: str,
        on_chunk: Callable[[str], None] | None = None,
        timeout: float = 60.0,
        client_message_id: str | None = None,
    ) -> Exchange:
        """Post ``text`` and follow its reply on the pushed stream (subscribe first, once per
        conversation). ``on_chunk`` gets each chunk's text once, in ``seq`` order."""
        self.ensure_subscribed(conversation_id)
        started = time.perf_counter()
        posted = self.post_message(conversation_id, text, client_message_id)
        message_id = posted["messageId"]
        deadline = started + timeout
        next_seq, parts, times = 0, [], []
        with self._arrived:
            while True:
                state = self._replies.setdefault(message_id, _Reply(chunks={}))
                while next_seq in state.chunks:
                    parts.append(state.chunks[next_seq])
                    times.append((time.perf_counter() - started) * 1000)
                    if on_chunk:
                        on_chunk(state.chunks[next_seq])
                    next_seq += 1
                if state.reply is not None or time.perf_counter() > deadline or self._socket is None:
                    break
                self._arrived.wait(max(0.0, min(1.0, deadline - time.perf_counter())))
            state = self._replies.pop(message_id)
            self._finished.append(message_id)
        reply = state.reply or self._caught_up(conversation_id, message_id)
        if reply is None:
            raise ReplyTimeout(f"no reply to {message_id} within {timeout:.0f} s")
        reply = {k: v for k, v in reply.items() if k not in ("type", "chunks")}  # the event is the reply item
        return Exchange(
            message={**posted, "content": text},
            reply=reply,
            streamed="".join(parts),
            chunks=len(parts),
            ttft_ms=None if state.first_chunk_at is None else (state.first_chunk_at - started) * 1000,
            total_ms=(time.perf_counter() - started) * 1000,
            chunk_times_ms=times,
        )

    def _caught_up(self, conversation_id: str, message_id: str) -> dict | None:
        """The reply from the API, when its event never came."""
        for item in self.history(conversation_id):
            if item.get("messageId") == f"{message_id}#reply":
                return item
        return None


def for_running_stack(health: dict, user: str, password: str | None = None) -> SignedInClient:
    """A signed-in, connected client for the stack whose ``/brain/health`` is ``health``: its
    state directory holds the configuration, the CA and the offline users' passwords."""
    from brain_local.cognito.identity import UsersFile

    state = Path(health["clientApi"]["stateDir"])
    if password is None:
        password = UsersFile(state / "users.json").read().get(user)
        if password is None:
            raise ValueError(f"no password for {user!r}: pass --password, or add the user with `brain user add`")
    config = json.loads((state / "config.json").read_text())
    return SignedInClient(config, state / "ca.pem").sign_in(user, password).connect()


class BackendChat:
    """The boto3 path with the same ``send`` as :class:`SignedInClient`: a trusted backend writes
    the item itself (any ``owner``) and follows the reply in DynamoDB."""

    def __init__(self, endpoint: str, owner: str):
        from brain_local.clients.boto3_client import BrainClient

        self.client = BrainClient(endpoint)
        self.owner = owner

    def send(self, text: str, conversation_id: str, on_chunk: Callable[[str], None] | None = None) -> Exchange:
        return self.client.send(text, conversation_id, self.owner, on_chunk=on_chunk)

    def close(self) -> None:
        pass

"""Runs the Events namespace's APPSYNC_JS handler file offline, in an embedded V8 (mini-racer).

The file CDK deploys (``appsync/brain_namespace.js``) is the only copy of the subscribe rule: the
offline Events service runs that same file, so the rule cannot drift. APPSYNC_JS is an ES module
that imports ``util`` from ``@aws-appsync/utils``; mini-racer evaluates scripts, so the file is
loaded with a small, documented shim instead of a module loader:

- the ``import ... from '@aws-appsync/utils'`` line is dropped and ``util`` is provided by the
  shim below; any other import is refused at load, loudly;
- ``export`` is dropped from ``export function`` / ``export const`` declarations;
- the shim's ``util`` has what this project's handlers use: ``util.unauthorized()`` (AppSync:
  the request is refused with ``UnauthorizedException``), ``util.error(message, type)``, and
  ``util.time.nowISO8601()`` / ``nowEpochMilliSeconds()``. Anything else is a ``ReferenceError``
  offline: add it here when a handler needs it.

``ctx`` is built by the caller in AppSync Events' shape: ``identity`` (Cognito: ``sub``,
``issuer``, ``username``, ``claims``, ``sourceIp``, ``defaultAuthStrategy``, ``groups``),
``info`` (``channel: {path, segments}``, ``channelNamespace: {name}``, ``operation``),
``request`` (``headers``, ``domainName``) and ``stash``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NAMESPACE_HANDLERS = REPO_ROOT / "appsync" / "brain_namespace.js"

_UTILS_IMPORT = re.compile(r"^\s*import\s+\{[^}]*\}\s+from\s+['\"]@aws-appsync/utils['\"];?\s*$", re.M)
_ANY_IMPORT = re.compile(r"^\s*import\s", re.M)
_EXPORT = re.compile(r"^(\s*)export\s+(?=(async\s+)?function\b|const\b|let\b)", re.M)
HANDLERS = ("onSubscribe", "onPublish")

_SHIM = """
class __BrainHandlerError extends Error {
  constructor(message, errorType) { super(message); this.__errorType = errorType; }
}
const util = {
  unauthorized() { throw new __BrainHandlerError('Unauthorized', 'UnauthorizedException'); },
  error(message, type) { throw new __BrainHandlerError(String(message), type || 'CustomError'); },
  time: {
    nowISO8601() { return new Date().toISOString(); },
    nowEpochMilliSeconds() { return Date.now(); },
  },
};
"""

_DISPATCH = """
const __brain_handlers = {%s};
function __brain_run(name, ctx) {
  const handler = __brain_handlers[name];
  if (typeof handler !== 'function') return { defined: false, ok: true };
  try {
    const result = handler(ctx);
    return { defined: true, ok: true, result: result === undefined ? null : result };
  } catch (e) {
    return {
      defined: true, ok: false,
      errorType: (e && e.__errorType) || 'HandlerError',
      message: String((e && e.message) || e),
    };
  }
}
"""


class HandlerFileError(ValueError):
    """The handler file uses something the offline shim does not provide."""


@dataclass(frozen=True)
class HandlerOutcome:
    defined: bool  # the file defines this handler (AppSync allows the request when it does not)
    ok: bool
    result: object = None
    error_type: str | None = None
    message: str | None = None


def script_from_module(source: str) -> str:
    """The handler module as a plain script, with the shim and a dispatcher around it."""
    source = _UTILS_IMPORT.sub("", source)
    if _ANY_IMPORT.search(source):
        raise HandlerFileError("only `import { ... } from '@aws-appsync/utils'` is supported offline")
    source = _EXPORT.sub(r"\1", source)
    handlers = ", ".join(f"{name}: typeof {name} === 'function' ? {name} : undefined" for name in HANDLERS)
    return _SHIM + source + _DISPATCH % handlers


class NamespaceHandlers:
    """One handler file in one V8 context; calls are serialised (a context is single-threaded)."""

    def __init__(self, path: Path = NAMESPACE_HANDLERS):
        from py_mini_racer import MiniRacer

        self.path = path
        self._context = MiniRacer()
        self._context.eval(script_from_module(path.read_text()))
        self._lock = threading.Lock()

    def run(self, name: str, ctx: dict) -> HandlerOutcome:
        with self._lock:
            outcome = self._context.call("__brain_run", name, ctx)
        return HandlerOutcome(
            defined=bool(outcome.get("defined")),
            ok=bool(outcome.get("ok")),
            result=outcome.get("result"),
            error_type=outcome.get("errorType"),
            message=outcome.get("message"),
        )

    def close(self) -> None:
        self._context.close()

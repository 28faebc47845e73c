"""The offline stack's one endpoint: each request to the service that answers it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain_local.stack.lifecycle import OfflineStack


class Dispatcher:
    """DynamoDB to its own process, Lambda and Bedrock runtime paths to ours, ``/brain/health``
    to the stack's health, everything else to moto."""

    def __init__(self, stack: OfflineStack):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.stack = stack
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self.stack.dynamodb_forwarder(environ, start_response)  # checked by the DynamoDB process
        if path != "/brain/health" and self.stack.iam is not None:
            refusal = self.stack.iam.enforcer.check_wsgi(environ)  # the signature and the caller's policy
            if refusal is not None:
                return refusal.wsgi(start_response)
        if self.stack.lambda_service.handles(path):
            return self.stack.lambda_service(environ, start_response)
        if self.stack.bedrock_service.handles(path):
            return self.stack.bedrock_service(environ, start_response)
        if path == "/brain/health":
            health = self.stack.health()
            ok = health["status"] == "ready"
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
            return [json.dumps(health).encode()]
        return self.moto(environ, start_response)

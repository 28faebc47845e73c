"""The offline stack's certificate authority: created once per ``.brain/`` directory, kept there.

aws-amplify speaks only ``wss://`` to an Events endpoint (docs/design.md §8), so the offline front door
serves TLS. Its certificate is issued at every start (for ``127.0.0.1``, ``::1`` and
``localhost``) by a local CA whose certificate is ``.brain/ca.pem``: trust that file once (Node:
``NODE_EXTRA_CA_CERTS``; Python and the AWS SDKs: ``AWS_CA_BUNDLE``; curl: ``--cacert``; a
browser: its certificate settings, or accept the page's certificate once) and it stays trusted
across restarts. Its private key, ``.brain/ca-key.pem``, is readable by its owner only and never
leaves the machine.

trustme (a small, kept library for exactly this) issues the certificates; it serialises the CA,
so it is loaded back from ``.brain/`` on the next start.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path

HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class LocalCA:
    ca_file: Path  # .brain/ca.pem: the certificate to trust
    key_file: Path  # .brain/ca-key.pem

    @classmethod
    def in_directory(cls, directory: Path) -> LocalCA:
        """The CA of ``directory`` (``.brain``), created there if it has none yet."""
        import trustme

        directory.mkdir(parents=True, exist_ok=True)
        ca_file, key_file = directory / "ca.pem", directory / "ca-key.pem"
        if not (ca_file.is_file() and key_file.is_file()):
            ca = trustme.CA(organization_name="Brain in Cup offline stack")
            key_file.touch(mode=0o600)
            key_file.write_bytes(ca.private_key_pem.bytes())
            ca_file.write_bytes(ca.cert_pem.bytes())
        return cls(ca_file=ca_file, key_file=key_file)

    def server_context(self, hosts: tuple[str, ...] = HOSTS) -> ssl.SSLContext:
        """A TLS server context with a fresh certificate for ``hosts``, signed by this CA."""
        import trustme

        ca = trustme.CA.from_pem(self.ca_file.read_bytes(), self.key_file.read_bytes())
        leaf = ca.issue_cert(*hosts)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA (and nothing else)."""
        return ssl.create_default_context(cafile=os.fspath(self.ca_file))

"""The offline user pool's token-signing key: made once per state directory, kept beside the CA.

moto signs every Cognito token with one RSA key that ships inside the moto package (kid
``dummy``): anyone who has moto can mint a token for any ``sub``. The offline stack signs with a
key of its own instead (:func:`brain_local.moto_departures.sign_cognito_tokens_with`), made at
the first ``brain up`` in ``.brain/token-key.pem`` (owner-readable only, like ``ca-key.pem``) and
kept across restarts, so a token stays valid as long as its lifetime says. Its public half is
the pool's JWKS (``<issuer>/.well-known/jwks.json``), and the HTTP API's JWT authorizer and the
Events socket trust that key alone (:class:`brain_local.cognito.identity.TokenVerifier`).

The key id is the key's RFC 7638 thumbprint, as Cognito's kids are opaque and stable per key.
``cryptography`` (already a dependency of moto and trustme) makes and reads the key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

KEY_FILE = "token-key.pem"


def _b64url_uint(value: int) -> str:
    data = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class TokenKey:
    path: Path
    private_pem: bytes

    @classmethod
    def in_directory(cls, directory: Path) -> TokenKey:
        """The key of ``directory`` (``.brain``), made there if it has none yet."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        directory.mkdir(parents=True, exist_ok=True)
        path = directory / KEY_FILE
        if not path.is_file():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_bytes(pem)
        return cls(path=path, private_pem=path.read_bytes())

    def public_jwk(self) -> dict:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(self.private_pem, password=None)
        assert isinstance(key, RSAPrivateKey)  # made by in_directory()
        numbers = key.public_key().public_numbers()
        jwk = {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
        return {**jwk, "alg": "RS256", "kid": thumbprint(jwk), "use": "sig"}

    @property
    def kid(self) -> str:
        return self.public_jwk()["kid"]

    def jwks(self) -> dict:
        """The pool's JSON Web Key Set, as Cognito serves it."""
        return {"keys": [self.public_jwk()]}


def thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 of the required members in lexical order, no whitespace."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")

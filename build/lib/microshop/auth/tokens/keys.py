"""Signing keys: the RS256 private key (from settings, or generated once in dev), JWKS, HS256 mode."""

import base64
import contextlib
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from microshop.auth.config import AuthSettings
from microshop.common.security import InvalidToken, StaticKey, TokenVerifier


class KeyConfigurationError(RuntimeError):
    """The signing key cannot be loaded; the message names the setting to fix."""


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk_fields(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256), the default key id."""
    canonical = json.dumps(public_jwk_fields(public_key), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _load_private(pem: str, setting: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyConfigurationError(f"{setting} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyConfigurationError(f"{setting} must be an RSA private key for RS256")
    return key


def _load_public(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise KeyConfigurationError(f"JWT_PREVIOUS_PUBLIC_KEYS holds a key that is not PEM: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyConfigurationError("JWT_PREVIOUS_PUBLIC_KEYS must hold RSA public keys")
    return key


def _generate_key_file(path: Path) -> None:
    """Write a new key atomically; when several workers race, the first link wins and all read it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".private-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def load_private_key(settings: AuthSettings) -> rsa.RSAPrivateKey:
    """JWT_PRIVATE_KEY, else JWT_PRIVATE_KEY_FILE (created on first start outside production)."""
    if settings.jwt_private_key:
        return _load_private(settings.jwt_private_key, "JWT_PRIVATE_KEY")
    path = settings.jwt_private_key_file
    if not path.exists():
        if settings.is_production:
            raise KeyConfigurationError(
                f"No signing key: set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE ({path} does not exist)"
            )
        _generate_key_file(path)
    return _load_private(path.read_text(), "JWT_PRIVATE_KEY_FILE")


@dataclass
class SigningKeys:
    """What Auth signs with, and every public key it publishes and accepts."""

    algorithm: str
    signing_key: Any
    kid: str | None
    public_keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> "SigningKeys":
        if settings.jwt_algorithm == "HS256":
            return cls(algorithm="HS256", signing_key=settings.jwt_secret, kid=None)
        private = load_private_key(settings)
        kid = settings.jwt_key_id or thumbprint(private.public_key())
        public_keys = {kid: private.public_key()}
        for pem in settings.jwt_previous_public_keys:
            previous = _load_public(pem)
            public_keys.setdefault(thumbprint(previous), previous)
        return cls(algorithm="RS256", signing_key=private, kid=kid, public_keys=public_keys)

    @functools.cached_property
    def _jwks(self) -> dict[str, list[dict[str, str]]]:
        return {
            "keys": [
                {**public_jwk_fields(key), "kid": kid, "use": "sig", "alg": "RS256"}
                for kid, key in self.public_keys.items()
            ]
        }

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JSON Web Key Set: the current key first, then keys kept during rotation; empty for HS256."""
        return self._jwks

    async def key_for(self, kid: str | None) -> Any:
        """Auth verifies its own tokens with its own keys, never over HTTP."""
        if kid is None:
            raise InvalidToken("Token has no key id")
        try:
            return self.public_keys[kid]
        except KeyError:
            raise InvalidToken("Token signed by an unknown key") from None

    def verifier(self, settings: AuthSettings) -> TokenVerifier:
        keys = StaticKey(self.signing_key) if self.algorithm == "HS256" else self
        return TokenVerifier(
            algorithm=self.algorithm, issuer=settings.jwt_issuer, audience=settings.jwt_audience, keys=keys
        )

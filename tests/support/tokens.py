"""Test tokens signed the way Auth signs them, with a key the services under test trust."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from microshop.common.security import token_claims

TEST_ISSUER, TEST_AUDIENCE, TEST_KID = "microshop-auth", "microshop", "test-key"


@dataclass
class TokenFactory:
    """Signs tokens the way Auth does, with a test RSA key the services are configured to trust."""

    private_key: rsa.RSAPrivateKey
    kid: str = TEST_KID
    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE
    _ids: Iterator[int] = field(default_factory=lambda: iter(range(1000, 10**9)))

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    @property
    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def claims(self, *, subject: str, role: str, user_id: int | None, lifetime: timedelta) -> dict[str, Any]:
        """Exactly the claims Auth signs (shared builder), with this factory's issuer and audience."""
        return token_claims(
            subject=subject, role=role, user_id=user_id, lifetime=lifetime, issuer=self.issuer, audience=self.audience
        )

    def sign(
        self, claims: Mapping[str, Any], *, key: Any = None, algorithm: str = "RS256", kid: str | None = None
    ) -> str:
        return jwt.encode(dict(claims), key or self.private_key, algorithm=algorithm, headers={"kid": kid or self.kid})

    def user(
        self, user_id: int | None = None, *, role: str = "user", lifetime: timedelta = timedelta(minutes=5)
    ) -> str:
        """A valid user (or admin) token; a new user id each call unless given."""
        user_id = user_id if user_id is not None else next(self._ids)
        return self.sign(
            self.claims(subject=f"user{user_id}@example.com", role=role, user_id=user_id, lifetime=lifetime)
        )

    def admin(self, user_id: int | None = None) -> str:
        return self.user(user_id, role="admin")

    def service(self, client_id: str = "products-service") -> str:
        return self.sign(self.claims(subject=client_id, role="service", user_id=None, lifetime=timedelta(minutes=5)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

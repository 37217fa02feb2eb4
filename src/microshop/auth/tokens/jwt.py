"""Minting access tokens with the seed's claims plus iat, iss, aud, jti and the key id."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from microshop.auth.config import AuthSettings
from microshop.auth.tokens.keys import SigningKeys


def mint(
    keys: SigningKeys,
    settings: AuthSettings,
    *,
    subject: str,
    role: str,
    lifetime: timedelta,
    user_id: int | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + lifetime,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    if user_id is not None:
        claims["user_id"] = user_id
    headers = {"kid": keys.kid} if keys.kid else None
    return jwt.encode(claims, keys.signing_key, algorithm=keys.algorithm, headers=headers)

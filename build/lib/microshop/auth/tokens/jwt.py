"""Minting access tokens with the seed's claims plus iat, iss, aud, jti and the key id."""

from datetime import timedelta

import jwt

from microshop.auth.config import AuthSettings
from microshop.auth.tokens.keys import SigningKeys
from microshop.common.security import token_claims


def mint(
    keys: SigningKeys,
    settings: AuthSettings,
    *,
    subject: str,
    role: str,
    lifetime: timedelta,
    user_id: int | None = None,
) -> str:
    claims = token_claims(
        subject=subject,
        role=role,
        user_id=user_id,
        lifetime=lifetime,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    headers = {"kid": keys.kid} if keys.kid else None
    return jwt.encode(claims, keys.signing_key, algorithm=keys.algorithm, headers=headers)

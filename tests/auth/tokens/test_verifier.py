"""Tokens Auth issues verify with the common verifier over its JWKS; forged or stale ones never do."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from microshop.common.errors import AppError
from microshop.common.security import JwksKeys, TokenVerifier
from tests.auth.support import tokens_for
from tests.support.mailbox import Mailbox
from tests.support.tokens import TokenFactory, bearer

JWKS_URL = "http://testserver/.well-known/jwks.json"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims, default=str).encode())}"


@pytest.fixture(scope="module")
async def issued(client: httpx.AsyncClient, mailbox: Mailbox) -> dict[str, Any]:
    """A real user token from Auth, its header and claims."""
    user = await tokens_for(client, mailbox)
    token = user["access_token"]
    return {
        "token": token,
        "header": jwt.get_unverified_header(token),
        "claims": jwt.decode(token, options={"verify_signature": False}),
    }


@pytest.fixture(scope="module")
def verifier(client: httpx.AsyncClient) -> TokenVerifier:
    return TokenVerifier(
        algorithm="RS256", issuer="microshop-auth", audience="microshop", keys=JwksKeys(JWKS_URL, client)
    )


def resign(issued: dict[str, Any], auth_private_pem: str, **changes: Any) -> str:
    """Auth's own key signing altered claims: valid signature, wrong content."""
    claims = {**issued["claims"], **changes}
    return jwt.encode(claims, auth_private_pem, algorithm="RS256", headers={"kid": issued["header"]["kid"]})


def forgeries(issued: dict[str, Any], auth_private_pem: str, tokens: TokenFactory) -> dict[str, str]:
    kid = issued["header"]["kid"]
    claims = issued["claims"]
    now = int(datetime.now(UTC).timestamp())
    public_pem = (
        serialization.load_pem_private_key(auth_private_pem.encode(), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    confused = unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, claims)
    head, _, signature = issued["token"].split(".")
    confused_signature = b64(hmac.new(public_pem, confused.encode(), hashlib.sha256).digest())
    tampered = b64(json.dumps({**claims, "role": "admin"}).encode())
    return {
        "alg_none": unsigned({"alg": "none", "typ": "JWT", "kid": kid}, claims) + ".",
        "hs256_with_the_public_key": f"{confused}.{confused_signature}",
        "other_key_same_kid": tokens.sign(claims, kid=kid),
        "tampered_claims": f"{head}.{tampered}.{signature}",
        "expired": resign(issued, auth_private_pem, iat=now - 7200, exp=now - 3600),
        "wrong_issuer": resign(issued, auth_private_pem, iss="someone-else"),
        "wrong_audience": resign(issued, auth_private_pem, aud="another-app"),
        "unknown_kid": tokens.sign(claims, kid="not-a-published-key"),
    }


async def test_a_token_from_auth_verifies_through_the_jwks(verifier: TokenVerifier, issued: dict[str, Any]) -> None:
    principal = await verifier.verify(issued["token"])
    assert principal.subject == issued["claims"]["sub"]
    assert principal.user_id == issued["claims"]["user_id"]
    assert principal.role == "user"


FORGERY_NAMES = [
    "alg_none",
    "hs256_with_the_public_key",
    "other_key_same_kid",
    "tampered_claims",
    "expired",
    "wrong_issuer",
    "wrong_audience",
    "unknown_kid",
]


@pytest.mark.parametrize("name", FORGERY_NAMES)
async def test_forged_or_stale_tokens_are_refused_by_the_common_verifier_and_by_auth(
    name: str,
    verifier: TokenVerifier,
    issued: dict[str, Any],
    client: httpx.AsyncClient,
    auth_private_pem: str,
    tokens: TokenFactory,
) -> None:
    token = forgeries(issued, auth_private_pem, tokens)[name]
    with pytest.raises(AppError) as refused:
        await verifier.verify(token)
    assert refused.value.status_code == 401
    expected_code = "token_expired" if name == "expired" else "invalid_token"
    assert refused.value.code == expected_code
    response = await client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == expected_code

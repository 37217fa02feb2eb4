"""The JWT verifier every service uses: only Auth's correctly signed, current tokens get through."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from microshop.common.errors import ServiceUnavailable
from microshop.common.security import ExpiredToken, InvalidToken, JwksKeys, StaticKey, TokenVerifier
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TokenFactory


def rs256_verifier(tokens: TokenFactory) -> TokenVerifier:
    return TokenVerifier(
        algorithm="RS256", issuer=TEST_ISSUER, audience=TEST_AUDIENCE, keys=StaticKey(tokens.public_pem)
    )


def user_claims(tokens: TokenFactory, **changes: object) -> dict[str, object]:
    claims = tokens.claims(subject="a@example.com", role="user", user_id=5, lifetime=timedelta(minutes=5))
    claims.update(changes)
    return claims


class TestRs256Verifier:
    async def test_valid_token_gives_the_principal(self, tokens: TokenFactory) -> None:
        principal = await rs256_verifier(tokens).verify(tokens.user(5))
        assert (principal.user_id, principal.role, principal.actor) == (5, "user", "user:5")

    async def test_expired_token_is_token_expired(self, tokens: TokenFactory) -> None:
        token = tokens.user(5, lifetime=timedelta(minutes=-1))
        with pytest.raises(ExpiredToken) as caught:
            await rs256_verifier(tokens).verify(token)
        assert (caught.value.status_code, caught.value.code) == (401, "token_expired")

    @pytest.mark.parametrize("claim", ["iss", "aud"])
    async def test_wrong_issuer_or_audience_is_refused(self, tokens: TokenFactory, claim: str) -> None:
        token = tokens.sign(user_claims(tokens, **{claim: "someone-else"}))
        with pytest.raises(InvalidToken):
            await rs256_verifier(tokens).verify(token)

    async def test_tampered_payload_is_refused(self, tokens: TokenFactory) -> None:
        header, payload, signature = tokens.user(5).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["role"] = "admin"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        with pytest.raises(InvalidToken):
            await rs256_verifier(tokens).verify(f"{header}.{forged}.{signature}")

    async def test_token_signed_by_another_key_is_refused(self, tokens: TokenFactory) -> None:
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with pytest.raises(InvalidToken):
            await rs256_verifier(tokens).verify(tokens.sign(user_claims(tokens), key=other))

    async def test_alg_none_is_refused(self, tokens: TokenFactory) -> None:
        token = jwt.encode(user_claims(tokens), None, algorithm="none")
        with pytest.raises(InvalidToken):
            await rs256_verifier(tokens).verify(token)

    async def test_hs256_token_signed_with_the_public_key_is_refused(self, tokens: TokenFactory) -> None:
        # The classic key-confusion attack: HMAC keyed with the (public) RSA key.
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT","kid":"test-key"}').rstrip(b"=")
        body = base64.urlsafe_b64encode(json.dumps(user_claims(tokens), default=str).encode()).rstrip(b"=")
        signing_input = header + b"." + body
        mac = hmac.new(tokens.public_pem.encode(), signing_input, hashlib.sha256).digest()
        token = (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
        with pytest.raises(InvalidToken):
            await rs256_verifier(tokens).verify(token)

    async def test_user_token_without_user_id_is_refused(self, tokens: TokenFactory) -> None:
        claims = user_claims(tokens)
        del claims["user_id"]
        with pytest.raises(InvalidToken):
            await rs256_verifier(tokens).verify(tokens.sign(claims))

    async def test_missing_exp_is_refused(self, tokens: TokenFactory) -> None:
        claims = user_claims(tokens)
        del claims["exp"]
        with pytest.raises(InvalidToken):
            await rs256_verifier(tokens).verify(tokens.sign(claims))


class TestHs256Verifier:
    async def test_shared_secret_mode_accepts_its_tokens_and_refuses_rs256(self, tokens: TokenFactory) -> None:
        secret = "s" * 40
        verifier = TokenVerifier(algorithm="HS256", issuer=TEST_ISSUER, audience=TEST_AUDIENCE, keys=StaticKey(secret))
        principal = await verifier.verify(tokens.sign(user_claims(tokens), key=secret, algorithm="HS256"))
        assert principal.user_id == 5
        with pytest.raises(InvalidToken):
            await verifier.verify(tokens.user(5))
        with pytest.raises(InvalidToken):
            await verifier.verify(tokens.sign(user_claims(tokens), key="wrong" * 8, algorithm="HS256"))


def jwks_app(tokens_by_kid: dict[str, TokenFactory], calls: list[int]) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, object]:
        calls.append(1)
        keys = []
        for kid, factory in tokens_by_kid.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(factory.private_key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    return app


class TestJwksKeys:
    async def test_keys_are_fetched_once_and_refetched_for_a_new_kid(self, tokens: TokenFactory) -> None:
        published = {"test-key": tokens}
        calls: list[int] = []
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=jwks_app(published, calls)), base_url="http://a")
        keys = JwksKeys("http://a/.well-known/jwks.json", client)
        keys.MIN_REFRESH_INTERVAL = 0
        verifier = TokenVerifier(algorithm="RS256", issuer=TEST_ISSUER, audience=TEST_AUDIENCE, keys=keys)
        await verifier.verify(tokens.user(1))
        await verifier.verify(tokens.user(2))
        assert len(calls) == 1

        rotated = TokenFactory(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid="next-key")
        published["next-key"] = rotated
        assert (await verifier.verify(rotated.user(3))).user_id == 3
        assert len(calls) == 2
        with pytest.raises(InvalidToken):
            await verifier.verify(rotated.sign(user_claims(rotated), kid="unknown"))
        await client.aclose()

    async def test_unreachable_jwks_is_service_unavailable(self, tokens: TokenFactory) -> None:
        async with httpx.AsyncClient() as client:
            keys = JwksKeys("http://127.0.0.1:1/.well-known/jwks.json", client)
            verifier = TokenVerifier(algorithm="RS256", issuer=TEST_ISSUER, audience=TEST_AUDIENCE, keys=keys)
            with pytest.raises(ServiceUnavailable):
                await verifier.verify(tokens.user(1))


class TestVerifiedTokenCache:
    async def test_a_cached_token_is_still_refused_once_it_expires(self, tokens: TokenFactory) -> None:
        verifier = rs256_verifier(tokens)
        token = tokens.user(5, lifetime=timedelta(seconds=1))
        assert (await verifier.verify(token)).user_id == 5
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=30)), pytest.raises(ExpiredToken):
            await verifier.verify(token)

    async def test_a_cached_token_skips_the_signature_check(self, tokens: TokenFactory) -> None:
        verifier = rs256_verifier(tokens)
        token = tokens.user(6)
        await verifier.verify(token)
        verifier.keys = StaticKey("not a key")  # a second signature check would now fail
        assert (await verifier.verify(token)).user_id == 6

    async def test_the_cache_is_bounded(self, tokens: TokenFactory) -> None:
        verifier = rs256_verifier(tokens)
        verifier.CACHE_SIZE = 3
        for user_id in range(10):
            await verifier.verify(tokens.user(user_id))
        assert len(verifier._verified) == 3

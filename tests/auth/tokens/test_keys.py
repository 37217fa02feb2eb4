"""Signing keys: RFC 7638 key ids, the dev key file, production refusals, JWKS with a rotated key."""

import base64
import json
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from microshop.auth.app import create_app
from microshop.auth.config import AuthSettings
from microshop.auth.tokens.keys import KeyConfigurationError, SigningKeys, thumbprint
from tests.auth.support import AuthClientFactory, tokens_for
from tests.support.apps import app_client, make_settings
from tests.support.mailbox import Mailbox
from tests.support.tokens import TokenFactory, bearer

# RFC 7638 section 3.1: this key's SHA-256 thumbprint.
RFC_N = (
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
    "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgd"
    "AZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur"
    "-kEgU8awapJzKnqDKgw"
)
RFC_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
PRODUCTION = {"environment": "production", "service_clients": {"products-service": "a-real-secret-from-the-vault"}}


def test_key_id_is_the_rfc_7638_thumbprint() -> None:
    n = int.from_bytes(base64.urlsafe_b64decode(RFC_N + "=="), "big")
    assert thumbprint(rsa.RSAPublicNumbers(65537, n).public_key()) == RFC_THUMBPRINT


class TestKeyFile:
    def test_dev_key_is_generated_once_then_reused(self, tmp_path: Path) -> None:
        path = tmp_path / "jwt" / "private.pem"
        first = SigningKeys.from_settings(make_settings(AuthSettings, jwt_private_key_file=path))
        second = SigningKeys.from_settings(make_settings(AuthSettings, jwt_private_key_file=path))
        assert first.kid == second.kid
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_production_without_a_key_refuses_to_start_naming_the_setting(self, tmp_path: Path) -> None:
        settings = make_settings(AuthSettings, jwt_private_key_file=tmp_path / "missing.pem", **PRODUCTION)
        with pytest.raises(KeyConfigurationError, match="JWT_PRIVATE_KEY"):
            create_app(settings)
        assert not (tmp_path / "missing.pem").exists()

    def test_a_key_that_is_not_pem_is_refused_naming_the_setting(self) -> None:
        with pytest.raises(KeyConfigurationError, match="JWT_PRIVATE_KEY"):
            SigningKeys.from_settings(make_settings(AuthSettings, jwt_private_key="not a key"))

    def test_configured_key_id_is_used(self, auth_private_pem: str) -> None:
        keys = SigningKeys.from_settings(make_settings(AuthSettings, jwt_private_key=auth_private_pem, jwt_key_id="k1"))
        assert keys.kid == "k1"
        assert [key["kid"] for key in keys.jwks()["keys"]] == ["k1"]


class TestProductionSettings:
    def test_default_service_client_secret_is_refused(self, auth_private_pem: str) -> None:
        with pytest.raises(ValidationError, match="SERVICE_CLIENTS"):
            make_settings(AuthSettings, environment="production", jwt_private_key=auth_private_pem)

    def test_admin_by_username_is_refused(self, auth_private_pem: str) -> None:
        with pytest.raises(ValidationError, match="ADMIN_BY_USERNAME"):
            make_settings(AuthSettings, jwt_private_key=auth_private_pem, admin_by_username=True, **PRODUCTION)


class TestJwks:
    async def test_publishes_the_current_key(self, client: httpx.AsyncClient, auth_private_pem: str) -> None:
        response = await client.get("/.well-known/jwks.json")
        assert response.status_code == 200
        [key] = response.json()["keys"]
        assert (
            key["kid"] == SigningKeys.from_settings(make_settings(AuthSettings, jwt_private_key=auth_private_pem)).kid
        )
        assert (key["kty"], key["alg"], key["use"], key["e"]) == ("RSA", "RS256", "sig", "AQAB")
        assert "d" not in key

    async def test_rotation_publishes_two_keys_and_accepts_tokens_of_both(
        self, auth_client_factory: AuthClientFactory, mailbox: Mailbox, auth_private_pem: str, tokens: TokenFactory
    ) -> None:
        # Before the rotation, tokens.private_key was the signing key; its tokens must keep working.
        async with auth_client_factory(jwt_previous_public_keys=[tokens.public_pem]) as client:
            jwks = (await client.get("/.well-known/jwks.json")).json()
            user = await tokens_for(client, mailbox)
            old_kid = thumbprint(tokens.private_key.public_key())
            old_token = tokens.sign(
                tokens.claims(
                    subject=user["email"], role="user", user_id=user["user_id"], lifetime=timedelta(minutes=5)
                ),
                kid=old_kid,
            )
            by_new = await client.get("/me", headers=bearer(user["access_token"]))
            by_old = await client.get("/me", headers=bearer(old_token))
            by_unknown = await client.get("/me", headers=bearer(tokens.user(user["user_id"])))
        assert [key["kid"] for key in jwks["keys"]][1] == old_kid
        assert len(jwks["keys"]) == 2
        assert by_new.status_code == by_old.status_code == 200
        assert by_unknown.status_code == 401

    async def test_hs256_mode_publishes_no_keys(self, auth_settings: Callable[..., AuthSettings]) -> None:
        settings = auth_settings(jwt_algorithm="HS256", jwt_secret="s" * 40)
        async with app_client(create_app(settings)) as client:
            assert (await client.get("/.well-known/jwks.json")).json() == {"keys": []}


class TestPreviousKeysSetting:
    def test_accepts_a_json_list_or_concatenated_pem_blocks(
        self, tokens: TokenFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        other_pem = other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        monkeypatch.setenv("JWT_PREVIOUS_PUBLIC_KEYS", tokens.public_pem + other_pem)
        assert len(make_settings(AuthSettings).jwt_previous_public_keys) == 2
        monkeypatch.setenv("JWT_PREVIOUS_PUBLIC_KEYS", json.dumps([other_pem]))
        assert make_settings(AuthSettings).jwt_previous_public_keys == [other_pem]

"""POST /login (and /users/login): tokens, no enumeration, unverified 403, bcrypt off the event loop."""

import asyncio
import threading

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from microshop.auth import passwords
from microshop.auth.tokens.keys import thumbprint
from tests.auth.support import PASSWORD, AuthClientFactory, login, register, verified_user
from tests.support.mailbox import Mailbox


def public_key(private_pem: str):
    return serialization.load_pem_private_key(private_pem.encode(), password=None).public_key()


class TestLogin:
    async def test_seed_curl_example_returns_tokens(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await verified_user(client, mailbox)
        response = await client.post(
            "/login",
            json={"email": user["email"], "password": PASSWORD},
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 3600

    async def test_access_token_carries_the_seed_claims(
        self, client: httpx.AsyncClient, mailbox: Mailbox, auth_private_pem: str
    ) -> None:
        user = await verified_user(client, mailbox)
        token = (await login(client, user)).json()["access_token"]
        key = public_key(auth_private_pem)
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "RS256"
        assert header["kid"] == thumbprint(key)
        claims = jwt.decode(token, key, algorithms=["RS256"], audience="microshop", issuer="microshop-auth")
        assert claims["sub"] == user["email"]
        assert claims["role"] == "user"
        assert claims["user_id"] == user["user_id"]
        assert claims["exp"] - claims["iat"] == 3600
        assert len(claims["jti"]) >= 16

    async def test_users_login_is_an_alias(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await verified_user(client, mailbox)
        response = await client.post("/users/login", json={"email": user["email"], "password": PASSWORD})
        assert response.status_code == 200

    async def test_email_is_case_insensitive(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await verified_user(client, mailbox)
        assert (await login(client, {**user, "email": user["email"].upper()})).status_code == 200

    async def test_unverified_account_is_403_saying_to_verify(self, client: httpx.AsyncClient) -> None:
        user = await register(client)
        response = await login(client, user)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "account_not_verified"
        assert "verify" in response.json()["error"]["message"].lower()

    async def test_unverified_account_with_wrong_password_is_a_plain_401(self, client: httpx.AsyncClient) -> None:
        user = await register(client)
        assert (await login(client, {**user, "password": "wrong-password"})).status_code == 401


class TestNoEnumeration:
    async def test_unknown_email_and_wrong_password_look_the_same_and_both_run_bcrypt(
        self, client: httpx.AsyncClient, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        user = await verified_user(client, mailbox)
        checked: list[str] = []
        real_check = passwords._check

        def spy(password: str, hashed: str) -> bool:
            checked.append(hashed)
            return real_check(password, hashed)

        monkeypatch.setattr(passwords, "_check", spy)
        wrong = await login(client, {**user, "password": "not-the-password"})
        unknown = await login(client, {**user, "email": "nobody@example.com"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert wrong.json()["error"]["code"] == "invalid_credentials"
        # Both paths paid for one bcrypt check at the configured cost (cost 4 here).
        assert len(checked) == 2
        assert all(hashed.startswith("$2b$04$") for hashed in checked)


class TestBcryptOffTheEventLoop:
    async def test_login_at_cost_12_lets_other_requests_through_while_hashing(
        self, auth_client_factory: AuthClientFactory, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async with auth_client_factory(bcrypt_rounds=12) as client:
            user = await verified_user(client, mailbox)
            inside, release = threading.Event(), threading.Event()
            threads: list[threading.Thread] = []
            real_check = passwords._check

            def held_check(password: str, hashed: str) -> bool:
                threads.append(threading.current_thread())
                inside.set()
                release.wait(timeout=10)
                return real_check(password, hashed)

            monkeypatch.setattr(passwords, "_check", held_check)
            pending = asyncio.create_task(login(client, user))
            while not inside.is_set():
                await asyncio.sleep(0.005)
            # bcrypt is held in its thread: if it ran on the event loop, nothing below could run.
            health = await client.get("/health")
            assert health.status_code == 200
            assert not pending.done()
            release.set()
            response = await pending
        assert response.status_code == 200
        assert threads and threads[0] is not threading.main_thread()
        stored = response.json()["access_token"]
        assert stored

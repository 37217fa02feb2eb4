"""POST /token/refresh and /logout: rotation, reuse detection, revocation, expiry."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import time_machine

from tests.auth.support import login, tokens_for
from tests.support.mailbox import Mailbox
from tests.support.tokens import bearer


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/token/refresh", json={"refresh_token": token})


class TestRefresh:
    async def test_rotation_issues_new_tokens_and_kills_the_old_refresh_token(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await tokens_for(client, mailbox)
        response = await refresh(client, user["refresh_token"])
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert body["refresh_token"] != user["refresh_token"]
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert (claims["sub"], claims["user_id"]) == (user["email"], user["user_id"])
        assert (await client.get("/me", headers=bearer(body["access_token"]))).status_code == 200
        assert (await refresh(client, body["refresh_token"])).status_code == 200

    async def test_reusing_a_rotated_token_revokes_the_whole_family(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await tokens_for(client, mailbox)
        other_session = (await login(client, user)).json()
        first = (await refresh(client, user["refresh_token"])).json()
        reused = await refresh(client, user["refresh_token"])
        assert reused.status_code == 401
        assert "already used" in reused.json()["error"]["message"]
        # The thief's (or the user's) newer token of that family is dead too ...
        assert (await refresh(client, first["refresh_token"])).status_code == 401
        # ... while the account's other session is untouched.
        assert (await refresh(client, other_session["refresh_token"])).status_code == 200

    async def test_unknown_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await refresh(client, "not-a-real-token")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_refresh_token"

    async def test_refresh_token_expires_after_14_days(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await tokens_for(client, mailbox)
        with time_machine.travel(datetime.now(UTC) + timedelta(days=14, minutes=1), tick=True):
            assert (await refresh(client, user["refresh_token"])).status_code == 401

    async def test_refresh_token_still_works_on_day_13(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await tokens_for(client, mailbox)
        with time_machine.travel(datetime.now(UTC) + timedelta(days=13), tick=True):
            assert (await refresh(client, user["refresh_token"])).status_code == 200


class TestLogout:
    async def test_logout_needs_only_the_refresh_token_and_revokes_it(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await tokens_for(client, mailbox)
        response = await client.post("/logout", json={"refresh_token": user["refresh_token"]})
        assert response.status_code == 204
        assert response.content == b""
        assert (await refresh(client, user["refresh_token"])).status_code == 401

    async def test_logout_revokes_tokens_rotated_from_the_same_login(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await tokens_for(client, mailbox)
        rotated = (await refresh(client, user["refresh_token"])).json()
        assert (await client.post("/logout", json={"refresh_token": rotated["refresh_token"]})).status_code == 204
        assert (await refresh(client, rotated["refresh_token"])).status_code == 401

    async def test_logout_with_an_unknown_token_is_still_204(self, client: httpx.AsyncClient) -> None:
        assert (await client.post("/logout", json={"refresh_token": "whatever"})).status_code == 204

    async def test_logout_without_body_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/logout")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"


class TestConcurrentRefresh:
    async def test_the_same_token_sent_concurrently_rotates_at_most_once(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await tokens_for(client, mailbox)
        responses = await asyncio.gather(*(refresh(client, user["refresh_token"]) for _ in range(5)))
        statuses = sorted(response.status_code for response in responses)
        assert statuses.count(200) <= 1
        assert set(statuses) <= {200, 401}

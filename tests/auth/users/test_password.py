"""POST /password/forgot and /password/reset: no enumeration, code rules, sessions revoked."""

from datetime import UTC, datetime, timedelta

import httpx
import time_machine

from tests.auth.support import login, register, tokens_for
from tests.support.mailbox import Mailbox

NEW_PASSWORD = "a-new-password-456"


class TestForgot:
    async def test_known_and_unknown_emails_get_the_same_202(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await tokens_for(client, mailbox)
        known = await client.post("/password/forgot", json={"email": user["email"]})
        unknown = await client.post("/password/forgot", json={"email": "nobody-here@example.com"})
        assert known.status_code == unknown.status_code == 202
        assert known.json() == unknown.json()
        assert "restablecer" in mailbox.to(user["email"])[-1]["Subject"]
        assert mailbox.to("nobody-here@example.com") == []

    async def test_repeated_forgot_within_a_minute_still_202_but_sends_once(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await tokens_for(client, mailbox)
        for _ in range(3):
            assert (await client.post("/password/forgot", json={"email": user["email"]})).status_code == 202
        assert len(mailbox.to(user["email"])) == 2  # the verification code, then one reset code


class TestReset:
    async def _reset_code(self, client: httpx.AsyncClient, mailbox: Mailbox, email: str) -> str:
        await client.post("/password/forgot", json={"email": email})
        return mailbox.last_code(email)

    async def test_reset_changes_the_password_and_revokes_every_session(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await tokens_for(client, mailbox)
        code = await self._reset_code(client, mailbox, user["email"])
        body = {"email": user["email"], "code": code, "new_password": NEW_PASSWORD}
        response = await client.post("/password/reset", json=body)
        assert response.status_code == 200
        assert "message" in response.json()
        assert (await login(client, user)).status_code == 401
        assert (await login(client, {**user, "password": NEW_PASSWORD})).status_code == 200
        refreshed = await client.post("/token/refresh", json={"refresh_token": user["refresh_token"]})
        assert refreshed.status_code == 401

    async def test_wrong_code_changes_nothing_and_five_tries_lock(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await tokens_for(client, mailbox)
        code = await self._reset_code(client, mailbox, user["email"])
        bad = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(5):
            body = {"email": user["email"], "code": bad, "new_password": NEW_PASSWORD}
            assert (await client.post("/password/reset", json=body)).status_code == 400
        body = {"email": user["email"], "code": code, "new_password": NEW_PASSWORD}
        assert (await client.post("/password/reset", json=body)).status_code == 400
        assert (await login(client, user)).status_code == 200

    async def test_reset_code_expires(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await tokens_for(client, mailbox)
        code = await self._reset_code(client, mailbox, user["email"])
        body = {"email": user["email"], "code": code, "new_password": NEW_PASSWORD}
        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=True):
            response = await client.post("/password/reset", json=body)
        assert response.json()["error"]["code"] == "invalid_code"

    async def test_verification_code_is_not_a_reset_code(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        body = {"email": user["email"], "code": mailbox.last_code(user["email"]), "new_password": NEW_PASSWORD}
        assert (await client.post("/password/reset", json=body)).status_code == 400

    async def test_unknown_email_is_invalid_code(self, client: httpx.AsyncClient) -> None:
        body = {"email": "nobody@example.com", "code": "000000", "new_password": NEW_PASSWORD}
        response = await client.post("/password/reset", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_code"

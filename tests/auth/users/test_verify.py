"""POST /verify and /verify/resend: expiry, the try limit, the resend limit, no enumeration."""

from datetime import UTC, datetime, timedelta

import httpx
import time_machine

from tests.auth.support import login, register
from tests.support.mailbox import Mailbox


def later(**delta: float) -> time_machine.travel:
    return time_machine.travel(datetime.now(UTC) + timedelta(**delta), tick=True)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


class TestVerify:
    async def test_right_code_verifies_and_login_then_works(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        response = await client.post("/verify", json={"email": user["email"], "code": mailbox.last_code(user["email"])})
        assert response.status_code == 200
        assert response.json() == {"message": "Cuenta verificada"}
        assert (await login(client, user)).status_code == 200

    async def test_users_verify_is_an_alias_and_email_case_does_not_matter(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await register(client)
        body = {"email": user["email"].upper(), "code": mailbox.last_code(user["email"])}
        response = await client.post("/users/verify", json=body)
        assert response.json() == {"message": "Cuenta verificada"}

    async def test_code_works_only_once(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        body = {"email": user["email"], "code": mailbox.last_code(user["email"])}
        assert (await client.post("/verify", json=body)).status_code == 200
        again = await client.post("/verify", json=body)
        assert again.status_code == 400
        assert again.json()["error"]["code"] == "invalid_code"

    async def test_wrong_code_is_400(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        response = await client.post(
            "/verify", json={"email": user["email"], "code": wrong(mailbox.last_code(user["email"]))}
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_code"

    async def test_unknown_email_gets_the_wrong_code_answer(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/verify", json={"email": "nobody@example.com", "code": "123456"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_code"

    async def test_code_expires_after_15_minutes(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        body = {"email": user["email"], "code": mailbox.last_code(user["email"])}
        with later(minutes=15, seconds=1):
            response = await client.post("/verify", json=body)
        # The same answer as any wrong code, so it tells nothing about the account.
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_code"

    async def test_code_still_works_just_before_expiry(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        body = {"email": user["email"], "code": mailbox.last_code(user["email"])}
        with later(minutes=14, seconds=50):
            response = await client.post("/verify", json=body)
        assert response.status_code == 200

    async def test_five_wrong_tries_lock_the_code_even_for_the_right_one(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await register(client)
        code = mailbox.last_code(user["email"])
        for _ in range(5):
            response = await client.post("/verify", json={"email": user["email"], "code": wrong(code)})
            assert response.status_code == 400
        locked = await client.post("/verify", json={"email": user["email"], "code": code})
        assert locked.status_code == 400
        assert locked.json()["error"]["code"] == "invalid_code"

    async def test_a_new_code_unlocks_after_the_try_limit(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        old = mailbox.last_code(user["email"])
        for _ in range(5):
            await client.post("/verify", json={"email": user["email"], "code": wrong(old)})
        assert (await client.post("/verify/resend", json={"email": user["email"]})).status_code == 202
        new = mailbox.last_code(user["email"])
        response = await client.post("/verify", json={"email": user["email"], "code": new})
        assert response.status_code == 200


class TestResend:
    async def test_a_resend_leaves_the_code_already_sent_valid(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        # Anyone may ask for a resend for any address: that must not void the owner's code.
        user = await register(client)
        first = mailbox.last_code(user["email"])
        response = await client.post("/verify/resend", json={"email": user["email"]})
        assert response.status_code == 202
        assert len(mailbox.to(user["email"])) == 2
        assert (await client.post("/verify", json={"email": user["email"], "code": first})).status_code == 200

    async def test_a_resend_sends_a_code_that_works_too(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        assert (await client.post("/verify/resend", json={"email": user["email"]})).status_code == 202
        new = mailbox.last_code(user["email"])
        assert (await client.post("/verify", json={"email": user["email"], "code": new})).status_code == 200

    async def test_second_resend_within_a_minute_is_429_then_allowed(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await register(client)
        assert (await client.post("/verify/resend", json={"email": user["email"]})).status_code == 202
        too_soon = await client.post("/verify/resend", json={"email": user["email"]})
        assert too_soon.status_code == 429
        assert too_soon.json()["error"]["code"] == "resend_too_soon"
        assert 1 <= int(too_soon.headers["Retry-After"]) <= 60
        assert len(mailbox.to(user["email"])) == 2
        with later(seconds=61):
            assert (await client.post("/verify/resend", json={"email": user["email"]})).status_code == 202
        assert len(mailbox.to(user["email"])) == 3

    async def test_unknown_email_gets_the_same_answer_and_no_mail(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        user = await register(client)
        known = await client.post("/verify/resend", json={"email": user["email"]})
        unknown = await client.post("/verify/resend", json={"email": "ghost@example.com"})
        assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
        assert mailbox.to("ghost@example.com") == []
        # The per-minute limit applies to unknown emails too, so it reveals nothing either.
        assert (await client.post("/verify/resend", json={"email": "ghost@example.com"})).status_code == 429

    async def test_verified_account_gets_no_new_code(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        await client.post("/verify", json={"email": user["email"], "code": mailbox.last_code(user["email"])})
        response = await client.post("/verify/resend", json={"email": user["email"]})
        assert response.status_code == 202
        assert len(mailbox.to(user["email"])) == 1

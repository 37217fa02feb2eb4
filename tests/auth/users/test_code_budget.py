"""Wrong codes are budgeted per email and purpose across all its codes (a new code does not start the
count over); known and unknown emails answer the same sequence; a resend voids no code."""

from datetime import UTC, datetime, timedelta

import httpx
import time_machine

from tests.auth.support import AuthClientFactory, new_user, verified_user
from tests.support.mailbox import Mailbox

NEW_PASSWORD = "brand-new-password"
BUDGET = {"code_failures_per_account": 10, "resend_interval_seconds": 1, "code_rate_limit_per_address": 1000}


def wrong(code: str, n: int = 1) -> str:
    return f"{(int(code) + n) % 10**6:06d}"


async def reset(client: httpx.AsyncClient, email: str, code: str) -> httpx.Response:
    return await client.post("/password/reset", json={"email": email, "code": code, "new_password": NEW_PASSWORD})


async def test_new_codes_do_not_reset_the_failure_budget(
    auth_client_factory: AuthClientFactory, mailbox: Mailbox
) -> None:
    async with auth_client_factory(**BUDGET) as client:
        user = await verified_user(client, mailbox)
        email = user["email"]
        statuses = []
        for round_ in range(3):
            with time_machine.travel(datetime.now(UTC) + timedelta(seconds=2 * round_ + 2), tick=True):
                assert (await client.post("/password/forgot", json={"email": email})).status_code == 202
                code = mailbox.last_code(email, wait=5)
                for n in range(4):
                    statuses.append((await reset(client, email, wrong(code, n + 1))).status_code)
        assert statuses == [400] * 10 + [429] * 2
        # Spent: even the right code of a fresh request is refused, and the owner was told once.
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=20), tick=True):
            assert (await client.post("/password/forgot", json={"email": email})).status_code == 202
            code = mailbox.last_code(email, wait=5)
            refused = await reset(client, email, code)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_attempts"
        notices = [m for m in mailbox.to(email) if "Demasiados" in m["Subject"]]
        assert len(notices) == 1
        # After the window the budget is whole again.
        with time_machine.travel(datetime.now(UTC) + timedelta(hours=24, seconds=30), tick=True):
            assert (await client.post("/password/forgot", json={"email": email})).status_code == 202
            code = mailbox.last_code(email, wait=5)
            assert (await reset(client, email, code)).status_code == 200


async def test_known_and_unknown_emails_answer_the_same_sequence(
    auth_client_factory: AuthClientFactory, mailbox: Mailbox
) -> None:
    async with auth_client_factory(**BUDGET) as client:
        user = await verified_user(client, mailbox)
        ghost = new_user()["email"]

        async def sequence(email: str, code: str) -> list[tuple[int, str]]:
            assert (await client.post("/password/forgot", json={"email": email})).status_code == 202
            answers = []
            for n in range(12):
                response = await reset(client, email, wrong(code, n + 1))
                answers.append((response.status_code, response.json()["error"]["code"]))
            return answers

        await client.post("/password/forgot", json={"email": user["email"]})
        known = await sequence(user["email"], mailbox.last_code(user["email"], wait=5))
        unknown = await sequence(ghost, "000000")
    assert known == unknown
    assert known == [(400, "invalid_code")] * 10 + [(429, "too_many_attempts")] * 2


async def test_a_forgot_password_request_leaves_the_code_already_sent_valid(
    auth_client_factory: AuthClientFactory, mailbox: Mailbox
) -> None:
    async with auth_client_factory(**BUDGET) as client:
        user = await verified_user(client, mailbox)
        email = user["email"]
        assert (await client.post("/password/forgot", json={"email": email})).status_code == 202
        first = mailbox.last_code(email, wait=5)
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=5), tick=True):
            assert (await client.post("/password/forgot", json={"email": email})).status_code == 202
            mailbox.wait_count(email, 3)
            assert (await reset(client, email, first)).status_code == 200

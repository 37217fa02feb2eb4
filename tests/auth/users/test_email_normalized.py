"""Emails are normalized once in Python (NFKC, case folded): forms the database's lower() would keep
apart are one address, for registration and for every lookup."""

import uuid

import httpx

from tests.auth.support import PASSWORD, login, new_user, verified_user
from tests.support.mailbox import Mailbox


async def test_addresses_equal_after_case_folding_are_one_account(client: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex[:8]
    first = await client.post("/register", json=new_user(email=f"strasse{tag}@example.com"))
    assert first.status_code == 201, first.text
    # lower("ß") is "ß", casefold("ß") is "ss".
    second = await client.post("/register", json=new_user(email=f"STRAßE{tag}@example.com"))
    assert second.status_code == 409, second.text
    assert second.json()["error"]["code"] == "email_taken"


async def test_addresses_equal_after_nfkc_are_one_account(client: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex[:8]
    assert (await client.post("/register", json=new_user(email=f"office{tag}@example.com"))).status_code == 201
    # U+FB03 is the "ffi" ligature: NFKC makes it three letters.
    second = await client.post("/register", json=new_user(email=f"o\ufb03ce{tag}@example.com"))
    assert second.status_code == 409, second.text


async def test_login_finds_the_account_by_any_equivalent_form(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    tag = uuid.uuid4().hex[:8]
    await verified_user(client, mailbox, email=f"straße{tag}@example.com")
    response = await login(client, {"email": f"STRASSE{tag}@EXAMPLE.COM", "password": PASSWORD})
    assert response.status_code == 200, response.text

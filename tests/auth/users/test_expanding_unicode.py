"""Text that grows under Unicode normalization or case mapping: lengths are checked on the normalized
value (a clear 422 or a normal answer), and rate-limit keys are hashed, so nothing overflows a column."""

import httpx
import pytest

from tests.auth.support import new_user

# "İ".lower() is two characters: 200 of them pass a 254-character check and become 400 when keyed.
DOTTED_I_EMAIL = "İ" * 200
# NFC turns U+FB2C into three code points: 100 of them pass a 100-character check and become 300.
SHIN_DAGESH_NAME = "\ufb2c" * 100


@pytest.mark.parametrize("path", ["/login", "/verify/resend", "/password/forgot", "/verify"])
async def test_an_email_that_doubles_when_lowercased_is_not_a_server_error(
    client: httpx.AsyncClient, path: str
) -> None:
    body = {"email": DOTTED_I_EMAIL, "password": "whatever1", "code": "123456"}
    response = await client.post(path, json=body)
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 202, 400, 401), response.text


async def test_a_name_that_triples_under_nfc_is_refused_with_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/register", json=new_user(name=SHIN_DAGESH_NAME))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"]


async def test_a_name_within_the_limit_after_nfc_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/register", json=new_user(name="\ufb2c" * 33))
    assert response.status_code == 201, response.text

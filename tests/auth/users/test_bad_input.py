"""Bad input gets a 4xx JSON envelope and creates nothing: missing fields, wrong types, huge bodies,
unicode edge cases, SQL-looking strings."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.auth.support import PASSWORD, login, new_user, verified_user
from tests.support.mailbox import Mailbox
from tests.support.postgres import asyncpg_dsn


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def user_count(db: asyncpg.Connection) -> int:
    return await db.fetchval("SELECT count(*) FROM auth.users")


def assert_envelope(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]


BAD_REGISTRATIONS = {
    "no_body": None,
    "empty_object": {},
    "missing_password": {k: v for k, v in new_user().items() if k != "password"},
    "missing_email": {k: v for k, v in new_user().items() if k != "email"},
    "number_username": new_user(username=12345),
    "list_password": new_user(password=["password123"]),
    "null_email": new_user(email=None),
    "bool_name": new_user(name=True),
    "invalid_email": new_user(email="not-an-email"),
    "short_username": new_user(username="ab"),
    "long_username": new_user(username="u" * 51),
    "username_with_space": new_user(username="john smith"),
    "username_with_emoji": new_user(username="jose😀"),
    "username_zero_width": new_user(username="ad\u200bmin"),
    "sql_username": new_user(username="x'); DROP TABLE auth.users;--"),
    "short_password": new_user(password="1234567"),
    "long_password": new_user(password="p" * 129),
    "blank_name": new_user(name="   "),
    "long_name": new_user(name="ñ" * 101),
    "nul_in_name": new_user(name="Test\x00User"),
    "nul_in_email": new_user(email="te\x00st@example.com"),
    "newline_in_name": new_user(name="Test\nUser"),
    "email_too_long": new_user(email="a" * 250 + "@example.com"),
}


class TestRegisterRefusesBadInput:
    @pytest.mark.parametrize("case", list(BAD_REGISTRATIONS))
    async def test_bad_body_is_422_and_creates_no_user(
        self, case: str, client: httpx.AsyncClient, db: asyncpg.Connection
    ) -> None:
        before = await user_count(db)
        body = BAD_REGISTRATIONS[case]
        response = await client.post("/register", json=body) if body is not None else await client.post("/register")
        assert_envelope(response, 422)
        assert await user_count(db) == before

    @pytest.mark.parametrize(
        "raw",
        [
            b'{"username": "surrogate", "name": "\\ud800", "email": "s@example.com", "password": "password123"}',
            b'{"username": "surrogate2", "name": "ok", "email": "s2@example.com", "password": "pass\\udfffword1"}',
            b"\xff\xfe not utf-8 at all",
            b'{"username": "trailing", ',
            b"[1, 2, 3]",
            b'"just a string"',
        ],
    )
    async def test_malformed_json_and_lone_surrogates_are_4xx(
        self, raw: bytes, client: httpx.AsyncClient, db: asyncpg.Connection
    ) -> None:
        before = await user_count(db)
        response = await client.post("/register", content=raw, headers={"Content-Type": "application/json"})
        assert_envelope(response, 400, 422)
        assert await user_count(db) == before

    async def test_ten_megabyte_body_is_413(self, client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
        before = await user_count(db)
        huge = new_user(name="x" * (10 * 1024 * 1024))
        response = await client.post("/register", json=huge)
        assert_envelope(response, 413)
        assert response.json()["error"]["code"] == "payload_too_large"
        assert await user_count(db) == before

    async def test_ten_megabyte_chunked_body_is_413(self, client: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"x" * (1024 * 1024)

        response = await client.post("/login", content=chunks(), headers={"Content-Type": "application/json"})
        assert_envelope(response, 413)

    async def test_wrong_content_type_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/register", data=new_user())
        assert_envelope(response, 422)


class TestUnicodeAndSqlLookingInputIsStoredLiterally:
    async def test_sql_looking_name_and_unicode_password_round_trip(
        self, client: httpx.AsyncClient, mailbox: Mailbox, db: asyncpg.Connection
    ) -> None:
        name = "Robert'); DROP TABLE auth.users; -- ñandú 😀 \u202eRTL"
        user = await verified_user(client, mailbox, name=name, password="contraseña-😀-секрет")
        assert (await login(client, user)).status_code == 200
        stored = await db.fetchval("SELECT name FROM auth.users WHERE id = $1", user["user_id"])
        assert stored == name
        assert await user_count(db) >= 1

    async def test_password_longer_than_bcrypt_72_bytes_counts_every_character(
        self, client: httpx.AsyncClient, mailbox: Mailbox
    ) -> None:
        long_password = "ü" * 100  # 200 bytes of UTF-8
        user = await verified_user(client, mailbox, password=long_password)
        assert (await login(client, user)).status_code == 200
        assert (await login(client, {**user, "password": "ü" * 99 + "u"})).status_code == 401

    async def test_internationalized_email_is_accepted_and_normalized(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/register", json=new_user(email="José@Ejemplo.ES"))
        assert response.status_code == 201
        again = await client.post("/register", json=new_user(email="josé@ejemplo.es"))
        assert again.status_code == 409


BAD_OTHER = [
    ("/login", {"email": "a@example.com"}),
    ("/login", {"email": "a@example.com", "password": 12345678}),
    ("/login", {"email": "' OR '1'='1", "password": ""}),
    ("/verify", {"email": "a@example.com", "code": "12345a"}),
    ("/verify", {"email": "a@example.com", "code": 123456}),
    ("/verify", {"email": "a@example.com", "code": "1234567"}),
    ("/verify/resend", {"email": ""}),
    ("/password/forgot", {"email": ["a@example.com"]}),
    ("/password/reset", {"email": "a@example.com", "code": "123456", "new_password": "short"}),
    ("/token/refresh", {"refresh_token": 42}),
    ("/token/refresh", {"refresh_token": "r" * 201}),
    ("/logout", {}),
]


class TestOtherEndpointsRefuseBadInput:
    @pytest.mark.parametrize(("path", "body"), BAD_OTHER)
    async def test_bad_body_is_422(self, path: str, body: dict, client: httpx.AsyncClient) -> None:
        assert_envelope(await client.post(path, json=body), 422)

    async def test_sql_looking_login_is_a_plain_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/login", json={"email": "' OR '1'='1' --", "password": PASSWORD})
        assert_envelope(response, 401)

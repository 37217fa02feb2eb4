"""POST /register (and /users/register): the seed's example, validation, duplicates, roles, the email."""

import httpx

from microshop.auth.config import AuthSettings
from microshop.devtools.embedded_db import free_port
from tests.auth.support import AuthClientFactory, new_user, register, tokens_for
from tests.support.apps import make_settings
from tests.support.mailbox import Mailbox
from tests.support.tokens import bearer

SEED_BODY = {"username": "testuser", "name": "Test User", "email": "test@example.com", "password": "password123"}


class TestRegister:
    async def test_seed_curl_example_answers_as_the_seed_shows(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/register", json=SEED_BODY, headers={"Content-Type": "application/json"})
        assert response.status_code == 201
        body = response.json()
        assert body["message"] == "Usuario creado"
        assert isinstance(body["user_id"], int)
        assert set(body) == {"message", "user_id"}

    async def test_sends_a_six_digit_code_by_real_smtp(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await register(client)
        [message] = mailbox.to(user["email"])
        code = mailbox.last_code(user["email"])
        assert len(code) == 6 and code.isdigit()
        assert message["From"] == "microshop <no-reply@microshop.local>"

    async def test_users_register_is_an_alias(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/users/register", json=new_user())
        assert response.status_code == 201
        assert response.json()["message"] == "Usuario creado"

    async def test_duplicate_email_ignoring_case_is_409(self, client: httpx.AsyncClient) -> None:
        user = await register(client)
        again = new_user(email=user["email"].upper())
        response = await client.post("/register", json=again)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "email_taken"

    async def test_duplicate_username_ignoring_case_is_409(self, client: httpx.AsyncClient) -> None:
        user = await register(client)
        response = await client.post("/register", json=new_user(username=user["username"].upper()))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "username_taken"

    async def test_new_account_is_an_unverified_user(self, client: httpx.AsyncClient) -> None:
        user = await register(client)
        response = await client.post("/login", json={"email": user["email"], "password": user["password"]})
        assert response.status_code == 403


class TestAdminByUsername:
    async def test_demo_rule_makes_admin_usernames_admins(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        admin = await tokens_for(client, mailbox, username=f"the_admin_{new_user()['username'][-8:]}")
        me = await client.get("/me", headers=bearer(admin["access_token"]))
        assert me.json()["role"] == "admin"

    async def test_rule_off_gives_plain_users(self, auth_client_factory: AuthClientFactory, mailbox: Mailbox) -> None:
        async with auth_client_factory(admin_by_username=False) as client:
            user = await tokens_for(client, mailbox, username=f"Admin_{new_user()['username'][-8:]}")
            me = await client.get("/me", headers=bearer(user["access_token"]))
        assert me.json()["role"] == "user"

    def test_rule_is_off_by_default_in_production(self, auth_private_pem: str) -> None:
        settings = make_settings(
            AuthSettings,
            environment="production",
            jwt_private_key=auth_private_pem,
            service_clients={"products-service": "a-real-secret-from-the-vault"},
        )
        assert settings.admins_by_username is False
        assert make_settings(AuthSettings).admins_by_username is True


class TestEmailFailure:
    async def test_smtp_down_does_not_fail_registration_and_resend_works_later(
        self, auth_client_factory: AuthClientFactory, mailbox: Mailbox
    ) -> None:
        async with auth_client_factory(smtp_port=free_port()) as broken:
            user = await register(broken)
        assert mailbox.to(user["email"]) == []
        async with auth_client_factory() as client:
            response = await client.post("/verify/resend", json={"email": user["email"]})
            assert response.status_code == 202
            code = mailbox.last_code(user["email"])
            verified = await client.post("/verify", json={"email": user["email"], "code": code})
        assert verified.status_code == 200

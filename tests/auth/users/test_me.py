"""GET /me: the caller's own profile, for users only."""

import httpx

from tests.auth.support import tokens_for
from tests.support.mailbox import Mailbox
from tests.support.tokens import TokenFactory, bearer


class TestMe:
    async def test_returns_the_profile(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        user = await tokens_for(client, mailbox)
        response = await client.get("/me", headers=bearer(user["access_token"]))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"id", "username", "name", "email", "role", "is_verified", "created_at"}
        assert body["id"] == user["user_id"]
        assert (body["email"], body["username"], body["role"], body["is_verified"]) == (
            user["email"],
            user["username"],
            "user",
            True,
        )
        assert "password" not in response.text

    async def test_without_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/me")
        assert response.status_code == 401

    async def test_token_from_another_signer_is_401(self, client: httpx.AsyncClient, tokens: TokenFactory) -> None:
        response = await client.get("/me", headers=bearer(tokens.user(1)))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"

    async def test_service_token_is_403(self, client: httpx.AsyncClient) -> None:
        grant = {
            "grant_type": "client_credentials",
            "client_id": "products-service",
            "client_secret": "dev-products-secret",
        }
        token = (await client.post("/token", data=grant)).json()["access_token"]
        response = await client.get("/me", headers=bearer(token))
        assert response.status_code == 403

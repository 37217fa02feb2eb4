"""Factories for the auth tests: registration bodies, verified users, token pairs."""

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from tests.support.mailbox import Mailbox

PASSWORD = "password123"

# The `auth_client_factory` fixture: an in-process auth app with some settings overridden.
AuthClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def new_user(**overrides: Any) -> dict[str, str]:
    """A registration body with a unique email and username."""
    tag = uuid.uuid4().hex[:8]
    body = {"username": f"user_{tag}", "name": "Test User", "email": f"user_{tag}@example.com", "password": PASSWORD}
    body.update(overrides)
    return body


async def register(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = new_user(**overrides)
    response = await client.post("/register", json=body)
    assert response.status_code == 201, response.text
    return {**body, "user_id": response.json()["user_id"]}


async def verified_user(client: httpx.AsyncClient, mailbox: Mailbox, **overrides: Any) -> dict[str, Any]:
    """A registered account, verified with the code from its email."""
    user = await register(client, **overrides)
    response = await client.post("/verify", json={"email": user["email"], "code": mailbox.last_code(user["email"])})
    assert response.status_code == 200, response.text
    return user


async def login(client: httpx.AsyncClient, user: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.post("/login", json={"email": user["email"], "password": user["password"]}, headers=headers)


async def tokens_for(client: httpx.AsyncClient, mailbox: Mailbox, **overrides: Any) -> dict[str, Any]:
    """A verified user and a fresh token pair."""
    user = await verified_user(client, mailbox, **overrides)
    response = await login(client, user)
    assert response.status_code == 200, response.text
    return {**user, **response.json()}

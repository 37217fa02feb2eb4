"""The common library's behaviour, through a small app built only with it."""

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from microshop.common.limits import BodySizeLimit
from tests.common.support import SampleSettings, create_app
from tests.support.apps import app_client, make_settings
from tests.support.tokens import TokenFactory, bearer


@pytest.fixture(scope="module")
async def client(database_url: str, tokens: TokenFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(SampleSettings, database_url=database_url, jwt_public_key=tokens.public_pem)
    async with app_client(create_app(settings)) as client:
        yield client


class TestErrorEnvelope:
    async def test_validation_error_is_422_envelope_naming_the_field(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", json={"name": "x", "quantity": 0})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["message"].startswith("quantity:")
        assert error["details"][0]["loc"] == ["body", "quantity"]

    async def test_custom_validator_message_reads_as_a_sentence(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", json={"name": "reserved", "quantity": 1})
        assert response.json()["error"]["message"] == "name: this name is reserved"

    async def test_malformed_json_is_422_not_500(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", content=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"

    async def test_domain_error_keeps_code_and_details(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/conflict")
        assert response.status_code == 409
        assert response.json() == {"error": {"code": "conflict", "message": "Already there", "details": {"id": 1}}}

    async def test_unknown_route_is_404_envelope(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/nowhere")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    async def test_wrong_method_is_405_envelope(self, client: httpx.AsyncClient) -> None:
        response = await client.delete("/items")
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "method_not_allowed"

    async def test_unexpected_exception_is_500_without_internals(self, database_url: str) -> None:
        settings = make_settings(SampleSettings, database_url=database_url)
        async with app_client(create_app(settings)) as client:
            # ASGITransport re-raises server errors by default; a real server would not.
            client._transport = httpx.ASGITransport(app=client._transport.app, raise_app_exceptions=False)  # type: ignore[attr-defined]
            response = await client.get("/boom")
        assert response.status_code == 500
        assert response.json() == {"error": {"code": "internal_error", "message": "Internal server error"}}
        assert "secret" not in response.text


class TestBodyLimit:
    async def test_a_body_over_the_limit_is_413_before_parsing(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/items", content=b"x" * (64 * 1024 + 1), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

    async def test_a_streamed_body_over_the_limit_is_413(self, client: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(100):
                yield b"x" * 1024

        response = await client.post("/items", content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413

    async def test_a_body_within_the_limit_reaches_the_route(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", json={"name": "ok", "quantity": 1})
        assert response.status_code == 201

    @pytest.mark.parametrize(
        ("headers", "passed_through"),
        [
            ([], True),  # a GET
            ([(b"content-length", b"0")], True),
            ([(b"content-length", b"2")], False),
            ([(b"transfer-encoding", b"chunked")], False),
        ],
    )
    async def test_only_requests_with_a_body_are_wrapped(
        self, headers: list[tuple[bytes, bytes]], passed_through: bool
    ) -> None:
        """A request without a body reaches the app with the server's own receive and send: no per-request wrapping."""
        seen: list[tuple[Receive, Send]] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append((receive, send))

        async def receive() -> Message:
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def send(message: Message) -> None:
            pass

        limited = BodySizeLimit(app, max_bytes=1024)
        await limited({"type": "http", "method": "GET", "path": "/", "headers": headers}, receive, send)
        assert (seen == [(receive, send)]) is passed_through


class TestOperations:
    async def test_health_ready_metrics(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/health")).json() == {"status": "ok"}
        assert (await client.get("/ready")).json() == {"status": "ready"}
        await client.get("/conflict")
        metrics = (await client.get("/metrics")).text
        assert 'http_requests_total{method="GET",route="/conflict",service="sample",status="409"}' in metrics

    async def test_ready_is_503_when_database_is_unreachable(self) -> None:
        settings = make_settings(SampleSettings, database_url="postgresql://nobody@127.0.0.1:1/none")
        async with app_client(create_app(settings)) as client:
            response = await client.get("/ready")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"

    async def test_a_route_needing_the_database_is_503_when_it_is_down(self) -> None:
        settings = make_settings(SampleSettings, database_url="postgresql://nobody@127.0.0.1:1/none")
        async with app_client(create_app(settings)) as client:
            response = await client.get("/db")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "service_unavailable"
        assert response.headers["Retry-After"] == "1"

    async def test_session_dependency_uses_the_service_database(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/db")
        assert response.json()["database"].startswith("microshop_test_")

    async def test_request_id_is_kept_or_generated(self, client: httpx.AsyncClient) -> None:
        kept = await client.get("/request-id", headers={"X-Request-ID": "abc-123"})
        assert kept.headers["X-Request-ID"] == "abc-123"
        assert kept.json()["request_id"] == "abc-123"
        unsafe = await client.get("/request-id", headers={"X-Request-ID": "bad id\twith spaces"})
        assert unsafe.headers["X-Request-ID"] != "bad id\twith spaces"
        assert len(unsafe.headers["X-Request-ID"]) == 32


class TestAuthentication:
    async def test_public_route_without_token_is_fine(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/public")
        assert response.json() == {"caller": None}

    async def test_public_route_with_bad_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/public", headers=bearer("garbage"))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"

    async def test_non_bearer_authorization_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/public", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert response.status_code == 401

    async def test_protected_route_needs_token(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/mine")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"

    async def test_user_token_reaches_user_route(self, client: httpx.AsyncClient, tokens: TokenFactory) -> None:
        response = await client.get("/mine", headers=bearer(tokens.user(42)))
        assert response.json() == {"user_id": 42, "role": "user"}

    async def test_admin_route_refuses_users_and_services(
        self, client: httpx.AsyncClient, tokens: TokenFactory
    ) -> None:
        assert (await client.get("/admin-only", headers=bearer(tokens.user(1)))).status_code == 403
        assert (await client.get("/admin-only", headers=bearer(tokens.service()))).status_code == 403
        assert (await client.get("/admin-only", headers=bearer(tokens.admin(7)))).json() == {"user_id": 7}

    async def test_user_route_refuses_service_tokens(self, client: httpx.AsyncClient, tokens: TokenFactory) -> None:
        assert (await client.get("/mine", headers=bearer(tokens.service()))).status_code == 403


class TestOpenApi:
    async def test_every_route_documents_the_error_envelope_for_401_and_422(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                for status in ("401", "422"):
                    schema = operation["responses"][status]["content"]["application/json"]["schema"]
                    assert schema == envelope, f"{method.upper()} {path} documents {status} as {schema}"

"""POST /token: the client-credentials grant for services (form fields or HTTP Basic)."""

import base64
import hashlib
from collections.abc import Callable

import httpx
import jwt
from cryptography.hazmat.primitives import serialization

from microshop.auth.config import AuthSettings, client_secret_hash
from microshop.common.security import StaticKey, TokenVerifier
from tests.auth.support import AuthClientFactory
from tests.support.tokens import bearer

GRANT = {"grant_type": "client_credentials", "client_id": "products-service", "client_secret": "dev-products-secret"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


class TestClientCredentials:
    async def test_form_credentials_give_a_five_minute_service_token(
        self, client: httpx.AsyncClient, auth_private_pem: str
    ) -> None:
        response = await client.post("/token", data=GRANT)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert (body["token_type"], body["expires_in"]) == ("bearer", 300)
        public = serialization.load_pem_private_key(auth_private_pem.encode(), None).public_key()
        verifier = TokenVerifier(
            algorithm="RS256", issuer="microshop-auth", audience="microshop", keys=StaticKey(public)
        )
        principal = await verifier.verify(body["access_token"])
        assert principal.is_service
        assert principal.subject == "products-service"
        assert principal.user_id is None
        assert "user_id" not in principal.claims
        assert principal.claims["exp"] - principal.claims["iat"] == 300

    async def test_http_basic_client_authentication(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/token",
            data={"grant_type": "client_credentials"},
            headers=basic("products-service", "dev-products-secret"),
        )
        assert response.status_code == 200
        claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
        assert (claims["sub"], claims["role"]) == ("products-service", "service")

    async def test_basic_secret_with_plus_and_percent_is_taken_as_sent(
        self, auth_client_factory: AuthClientFactory
    ) -> None:
        async with auth_client_factory(service_clients={"svc": "a+b%2Fc:d"}) as client:
            response = await client.post(
                "/token", data={"grant_type": "client_credentials"}, headers=basic("svc", "a+b%2Fc:d")
            )
        assert response.status_code == 200

    async def test_wrong_secret_is_401_invalid_client(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/token", data={**GRANT, "client_secret": "guess"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_client"

    async def test_unknown_client_and_bad_basic_are_401_invalid_client(self, client: httpx.AsyncClient) -> None:
        grant = {"grant_type": "client_credentials"}
        unknown = await client.post("/token", data={**GRANT, "client_id": "nobody"})
        wrong_basic = await client.post("/token", data=grant, headers=basic("products-service", "nope"))
        malformed = await client.post("/token", data=grant, headers={"Authorization": "Basic !!!"})
        missing = await client.post("/token", data=grant)
        for response in (unknown, wrong_basic, malformed, missing):
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_client"

    async def test_other_grant_types_are_400(self, client: httpx.AsyncClient) -> None:
        for data in ({**GRANT, "grant_type": "password"}, {"client_id": "products-service"}):
            response = await client.post("/token", data=data)
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "unsupported_grant_type"
        as_json = await client.post("/token", json=GRANT)
        assert as_json.status_code == 400

    async def test_a_bearer_token_on_token_must_still_be_valid(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/token", data=GRANT, headers=bearer("garbage"))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"


class TestClientSecretsAtRest:
    def test_settings_hold_only_hashes_of_client_secrets(self, auth_settings: Callable[..., AuthSettings]) -> None:
        settings = auth_settings(service_clients={"svc": "plain-secret-value"})
        assert settings.service_clients == {"svc": client_secret_hash("plain-secret-value")}
        assert "plain-secret-value" not in repr(settings)

    async def test_a_secret_configured_as_its_sha256_is_accepted(self, auth_client_factory: AuthClientFactory) -> None:
        digest = hashlib.sha256(b"vault-secret").hexdigest()
        async with auth_client_factory(service_clients={"svc": f"SHA256:{digest.upper()}"}) as client:
            good = {"grant_type": "client_credentials", "client_id": "svc", "client_secret": "vault-secret"}
            assert (await client.post("/token", data=good)).status_code == 200
            assert (await client.post("/token", data={**good, "client_secret": f"sha256:{digest}"})).status_code == 401


class TestTokenRateLimit:
    async def test_token_requests_are_limited_per_client_id_and_address(
        self, auth_client_factory: AuthClientFactory
    ) -> None:
        clients = {"limited": "right-secret"}
        async with auth_client_factory(token_rate_limit=3, service_clients=clients) as client:
            grant = {"grant_type": "client_credentials", "client_id": "limited", "client_secret": "right-secret"}
            wrong = {**grant, "client_secret": "guess"}
            here = {"X-Forwarded-For": "203.0.113.10"}  # an address of this test's own
            answers = [(await client.post("/token", data=wrong, headers=here)).status_code for _ in range(3)]
            answers.append((await client.post("/token", data=grant, headers=here)).status_code)
            assert answers == [401, 401, 401, 429]
            refused = await client.post("/token", data=grant, headers=here)
            assert refused.status_code == 429  # the right secret too, from this address, for a while
            assert int(refused.headers["Retry-After"]) >= 1
            other = await client.post("/token", data={**grant, "client_id": "someone-else"}, headers=here)
            assert other.status_code == 429  # the address's own budget is spent too, whatever the id
            elsewhere = await client.post("/token", data=grant, headers={"X-Forwarded-For": "203.0.113.11"})
            assert elsewhere.status_code == 200

    async def test_a_long_client_id_is_limited_like_any_other(self, auth_client_factory: AuthClientFactory) -> None:
        async with auth_client_factory(token_rate_limit=1) as client:
            long_id = "c" * 5000  # Basic credentials are not bound by the form field's length
            headers = {**basic(long_id, "guess"), "X-Forwarded-For": "203.0.113.12"}
            answers = [
                (await client.post("/token", data={"grant_type": "client_credentials"}, headers=headers)).status_code
                for _ in range(2)
            ]
            assert answers == [401, 429]

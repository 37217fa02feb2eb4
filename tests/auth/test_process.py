"""The auth service as a real process over real HTTP: the seed's flow with a real SMTP server,
JWKS with two keys checked by the common verifier, HS256 mode end to end, and `create-admin`."""

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from microshop.auth.tokens.keys import thumbprint
from microshop.cli import main
from microshop.common.security import JwksKeys, StaticKey, TokenVerifier
from tests.auth.support import PASSWORD, new_user
from tests.support.mailbox import Mailbox
from tests.support.processes import ServiceProcess
from tests.support.tokens import TokenFactory, bearer

HS256_SECRET = "a-shared-secret-for-the-seeds-services-0123456789"
CliRunner = Callable[..., Awaitable[tuple[int, str, str]]]
HIGH_LIMITS = {
    "LOGIN_RATE_LIMIT_PER_ACCOUNT": "1000",
    "LOGIN_RATE_LIMIT_PER_ADDRESS": "1000",
    "CODE_RATE_LIMIT_PER_ADDRESS": "1000",
}


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth-logs")


@pytest.fixture(scope="module")
def rs256_auth(
    database_url: str, mailbox: Mailbox, auth_private_pem: str, tokens: TokenFactory, log_dir: Path
) -> Iterator[ServiceProcess]:
    """RS256 with the test TokenFactory's key as the previous (rotated-out) key."""
    env = {
        "AUTH_DATABASE_URL": database_url,
        "SMTP_HOST": mailbox.host,
        "SMTP_PORT": str(mailbox.port),
        "SMTP_SECURITY": "none",
        "BCRYPT_ROUNDS": "4",
        "JWT_PRIVATE_KEY": auth_private_pem,
        "JWT_PREVIOUS_PUBLIC_KEYS": json.dumps([tokens.public_pem]),
        **HIGH_LIMITS,
    }
    with ServiceProcess.service("auth", env=env, log_dir=log_dir) as process:
        yield process


@pytest.fixture(scope="module")
def hs256_dev_auth(
    database_url: str, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """The seeds' shared-secret mode, in the demo (dev) configuration, SMTP set: codes go to mail and log."""
    env = {
        "MICROSHOP_ENV": "dev",
        "AUTH_DATABASE_URL": database_url,
        "SMTP_HOST": mailbox.host,
        "SMTP_PORT": str(mailbox.port),
        "SMTP_SECURITY": "none",
        "BCRYPT_ROUNDS": "4",
        "JWT_ALGORITHM": "HS256",
        "JWT_SECRET": HS256_SECRET,
        **HIGH_LIMITS,
    }
    log_dir = tmp_path_factory.mktemp("auth-hs256-logs")
    with ServiceProcess.service("auth", env=env, log_dir=log_dir) as process:
        yield process


def register_and_verify(http: httpx.Client, mailbox: Mailbox, **overrides: str) -> dict[str, str]:
    user = new_user(**overrides)
    created = http.post("/register", json=user)
    assert created.status_code == 201, created.text
    code = mailbox.last_code(user["email"], wait=10)
    verified = http.post("/verify", json={"email": user["email"], "code": code})
    assert verified.json() == {"message": "Cuenta verificada"}
    return user


class TestSeedFlowOverRealHttp:
    def test_register_code_by_smtp_verify_login_refresh_logout(
        self, rs256_auth: ServiceProcess, mailbox: Mailbox
    ) -> None:
        with httpx.Client(base_url=rs256_auth.url, timeout=10) as http:
            user = new_user()
            # The seed's curl: JSON with username, name, email, password.
            created = http.post("/register", json=user, headers={"Content-Type": "application/json"})
            assert created.status_code == 201
            assert created.json()["message"] == "Usuario creado"
            assert http.post("/login", json={"email": user["email"], "password": PASSWORD}).status_code == 403

            code = mailbox.last_code(user["email"], wait=10)
            assert http.post("/verify", json={"email": user["email"], "code": code}).json() == {
                "message": "Cuenta verificada"
            }

            logged_in = http.post("/login", json={"email": user["email"], "password": PASSWORD})
            assert logged_in.status_code == 200
            tokens = logged_in.json()
            assert tokens["token_type"] == "bearer"
            me = http.get("/me", headers=bearer(tokens["access_token"]))
            assert me.json()["email"] == user["email"]
            assert me.json()["is_verified"] is True

            refreshed = http.post("/token/refresh", json={"refresh_token": tokens["refresh_token"]})
            assert refreshed.status_code == 200
            new_refresh = refreshed.json()["refresh_token"]
            assert http.post("/token/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401

            assert http.post("/logout", json={"refresh_token": new_refresh}).status_code == 204
            assert http.post("/token/refresh", json={"refresh_token": new_refresh}).status_code == 401

    def test_the_code_is_not_logged_outside_dev_when_smtp_is_set(
        self, rs256_auth: ServiceProcess, mailbox: Mailbox
    ) -> None:
        with httpx.Client(base_url=rs256_auth.url, timeout=10) as http:
            user = register_and_verify(http, mailbox)
        log = rs256_auth.log_path.read_text()
        assert f"email={user['email']}" not in log
        assert mailbox.last_code(user["email"]) not in log


class TestJwksOverRealHttp:
    async def test_jwks_has_two_keys_and_the_common_verifier_accepts_tokens_of_both(
        self, rs256_auth: ServiceProcess, mailbox: Mailbox, tokens: TokenFactory
    ) -> None:
        with httpx.Client(base_url=rs256_auth.url, timeout=10) as http:
            user = register_and_verify(http, mailbox)
            token = http.post("/login", json={"email": user["email"], "password": PASSWORD}).json()["access_token"]
            jwks = http.get("/.well-known/jwks.json").json()
        assert len(jwks["keys"]) == 2
        async with httpx.AsyncClient(timeout=10) as client:
            keys = JwksKeys(f"{rs256_auth.url}/.well-known/jwks.json", client)
            verifier = TokenVerifier(algorithm="RS256", issuer="microshop-auth", audience="microshop", keys=keys)
            principal = await verifier.verify(token)
            assert (principal.subject, principal.role) == (user["email"], "user")
            old_kid = thumbprint(tokens.private_key.public_key())
            old = tokens.sign(
                tokens.claims(subject="old@example.com", role="user", user_id=1, lifetime=timedelta(minutes=5)),
                kid=old_kid,
            )
            assert (await verifier.verify(old)).subject == "old@example.com"

    def test_service_token_by_basic_auth_over_http(self, rs256_auth: ServiceProcess) -> None:
        response = httpx.post(
            f"{rs256_auth.url}/token",
            data={"grant_type": "client_credentials"},
            auth=("products-service", "dev-products-secret"),
        )
        assert response.status_code == 200
        assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["role"] == "service"


class TestHs256DevModeOverRealHttp:
    async def test_shared_secret_tokens_end_to_end_and_the_code_in_the_dev_log(
        self, hs256_dev_auth: ServiceProcess, mailbox: Mailbox
    ) -> None:
        user = new_user(username=f"testadmin_{new_user()['username'][-8:]}")
        with httpx.Client(base_url=hs256_dev_auth.url, timeout=10) as http:
            assert http.post("/register", json=user).status_code == 201
            emailed = mailbox.last_code(user["email"], wait=10)
            # Dev: the code is also in the service log, as the specification's reference flow reads it there.
            logged = re.search(
                rf"verification_code email={re.escape(user['email'])} code=(\d{{6}})", _read(hs256_dev_auth)
            )
            assert logged is not None and logged.group(1) == emailed
            assert http.post("/verify", json={"email": user["email"], "code": logged.group(1)}).status_code == 200
            body = http.post("/login", json={"email": user["email"], "password": PASSWORD}).json()
            assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
            assert http.get("/me", headers=bearer(body["access_token"])).json()["role"] == "admin"
            assert http.get("/.well-known/jwks.json").json() == {"keys": []}
        # What the seed's Laravel and Rust services do: decode with the shared secret, HS256 pinned.
        claims = jwt.decode(body["access_token"], HS256_SECRET, algorithms=["HS256"], audience="microshop")
        assert (claims["sub"], claims["role"], claims["user_id"]) == (user["email"], "admin", claims["user_id"])
        verifier = TokenVerifier(
            algorithm="HS256", issuer="microshop-auth", audience="microshop", keys=StaticKey(HS256_SECRET)
        )
        assert (await verifier.verify(body["access_token"])).is_admin


class TestCreateAdminCommand:
    """`microshop create-admin`, run through the CLI's own entry point against the auth DATABASE_URL."""

    @pytest.fixture
    def cli(self, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> CliRunner:
        monkeypatch.setenv("MICROSHOP_ENV", "test")
        monkeypatch.setenv("AUTH_DATABASE_URL", database_url)
        monkeypatch.setenv("BCRYPT_ROUNDS", "4")

        async def run(*args: str) -> tuple[int, str, str]:
            code = await asyncio.to_thread(main, ["create-admin", *args])
            captured = capsys.readouterr()
            return code, captured.out, captured.err

        return run

    async def test_creates_a_verified_admin_who_can_log_in(self, cli: CliRunner, rs256_auth: ServiceProcess) -> None:
        email = new_user()["email"]
        code, out, err = await cli("--email", email, "--password", "admin-password-1")
        assert code == 0, err
        assert "admin created" in out
        async with httpx.AsyncClient(base_url=rs256_auth.url) as http:
            login = await http.post("/login", json={"email": email, "password": "admin-password-1"})
            assert login.status_code == 200
            me = await http.get("/me", headers=bearer(login.json()["access_token"]))
        assert me.json()["role"] == "admin"
        code, out, _ = await cli("--email", email, "--password", "admin-password-2", "--name", "Boss")
        assert code == 0 and "admin promoted" in out

    async def test_bad_input_is_refused_with_a_message(self, cli: CliRunner) -> None:
        code, _, err = await cli("--email", "not-an-email", "--password", "short")
        assert code == 2
        assert "email" in err and "password" in err


def _read(process: ServiceProcess) -> str:
    return process.log_path.read_text(errors="replace")

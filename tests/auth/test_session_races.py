"""Revoking a session while a thief refreshes its stolen token in a loop, over real HTTP.

The victim revokes by logging out, by presenting a token the thief already rotated (reuse), or by
resetting the password; none of these may leave the thief a working token, or answer 500.

Auth runs as a real process with two workers, so the victim's request and the attacker's refreshes
really run at the same time. After each trial only the attacker's *latest* refresh token is tried:
presenting an older, rotated one would itself trip reuse detection and hide a surviving session.
"""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth.support import new_user
from tests.support.mailbox import Mailbox
from tests.support.processes import ServiceProcess

TRIALS = 50
REFRESHES_AFTER_VICTIM = 3  # the thief keeps going a little after the victim acted
LOOP_LIMIT = 200  # bounded: a trial never spins for ever
WARM_UP = 3  # the victim acts once the thief's loop is going
RESET_ACCOUNTS = 4
RESEND_INTERVAL = 1  # seconds between two codes to one address (the service's setting, lowered)


@pytest.fixture(scope="module")
def auth(
    database_url: str, mailbox: Mailbox, auth_private_pem: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    env = {
        "AUTH_DATABASE_URL": database_url,
        "SMTP_HOST": mailbox.host,
        "SMTP_PORT": str(mailbox.port),
        "SMTP_SECURITY": "none",
        "BCRYPT_ROUNDS": "4",
        "JWT_PRIVATE_KEY": auth_private_pem,
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": "100000",
        "LOGIN_RATE_LIMIT_PER_ADDRESS": "100000",
        "CODE_RATE_LIMIT_PER_ADDRESS": "100000",
        "RESEND_INTERVAL_SECONDS": str(RESEND_INTERVAL),
    }
    log_dir: Path = tmp_path_factory.mktemp("race-logs")
    with ServiceProcess.service("auth", env=env, log_dir=log_dir, workers=2) as process:
        yield process


def _verified_account(auth: ServiceProcess, mailbox: Mailbox) -> dict[str, str]:
    user = new_user()
    with httpx.Client(base_url=auth.url, timeout=10) as client:
        assert client.post("/register", json=user).status_code == 201
        code = mailbox.last_code(user["email"], wait=10)
        assert client.post("/verify", json={"email": user["email"], "code": code}).status_code == 200
    return user


@pytest.fixture(scope="module")
def account(auth: ServiceProcess, mailbox: Mailbox) -> dict[str, str]:
    return _verified_account(auth, mailbox)


@pytest.fixture(scope="module")
def reset_accounts(auth: ServiceProcess, mailbox: Mailbox) -> list[dict[str, str]]:
    """Trials take turns, so each account's one-code-per-second interval has passed when its turn comes."""
    return [_verified_account(auth, mailbox) for _ in range(RESET_ACCOUNTS)]


def _login(client: httpx.Client, user: dict[str, str]) -> str:
    response = client.post("/login", json={"email": user["email"], "password": user["password"]})
    assert response.status_code == 200, response.text
    return str(response.json()["refresh_token"])


def _thief(
    base_url: str, stolen: str, running: threading.Event, victim_acted: threading.Event, latest: list[str]
) -> None:
    """Refresh in a tight loop, keeping only the newest token, until a few refreshes after the victim acted."""
    token, after = stolen, 0
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for done in range(LOOP_LIMIT):
            if done == WARM_UP:
                running.set()
            response = client.post("/token/refresh", json={"refresh_token": token})
            assert response.status_code in (200, 401), response.text
            if response.status_code == 401:
                break
            token = response.json()["refresh_token"]
            if victim_acted.is_set():
                after += 1
                if after >= REFRESHES_AFTER_VICTIM:
                    break
    latest.append(token)


def _thief_survives(victim: httpx.Client, base_url: str, stolen: str, act: Callable[[], None]) -> bool:
    """Start the thief's loop, let the victim `act` while it runs, then try the thief's newest token."""
    running, acted, latest = threading.Event(), threading.Event(), []
    thief = threading.Thread(target=_thief, args=(base_url, stolen, running, acted, latest))
    thief.start()
    running.wait(timeout=30)
    act()
    acted.set()
    thief.join(timeout=30)
    assert latest, "the thief never finished"
    check = victim.post("/token/refresh", json={"refresh_token": latest[0]})
    assert check.status_code in (200, 401), check.text
    return check.status_code == 200


def _survivors(auth: ServiceProcess, user: dict[str, str], victim_action: str) -> int:
    survivors = 0
    with httpx.Client(base_url=auth.url, timeout=10) as victim:
        for _ in range(TRIALS):
            token = _login(victim, user)
            if victim_action == "reuse":
                # The victim's token has already been rotated by the thief when the victim presents it.
                first = victim.post("/token/refresh", json={"refresh_token": token})
                assert first.status_code == 200
                stolen = first.json()["refresh_token"]
            else:
                stolen = token

            def act(token: str = token) -> None:
                if victim_action == "logout":
                    answer = victim.post("/logout", json={"refresh_token": token})
                    assert answer.status_code == 204, answer.text
                else:
                    answer = victim.post("/token/refresh", json={"refresh_token": token})
                    assert answer.status_code == 401, answer.text  # reuse: the family is revoked

            survivors += _thief_survives(victim, auth.url, stolen, act)
    return survivors


def _reset_code(client: httpx.Client, mailbox: Mailbox, email: str, *, asked: dict[str, float]) -> str:
    """Ask for a reset code once the account's resend interval has passed, and read it from the mailbox.

    Within the interval Auth answers 202 and sends nothing (the answer must not tell whether an
    account exists), so the test waits it out rather than guess.
    """
    time.sleep(max(0.0, asked.get(email, 0.0) + RESEND_INTERVAL + 0.05 - time.monotonic()))
    sent = len(mailbox.to(email))
    asked[email] = time.monotonic()
    response = client.post("/password/forgot", json={"email": email})
    assert response.status_code == 202, response.text
    assert mailbox.wait_count(email, sent + 1) == sent + 1
    return mailbox.last_code(email)


def _reset_survivors(auth: ServiceProcess, mailbox: Mailbox, accounts: list[dict[str, str]]) -> int:
    survivors = 0
    with httpx.Client(base_url=auth.url, timeout=10) as victim:
        asked: dict[str, float] = {}
        for trial in range(TRIALS):
            user = accounts[trial % len(accounts)]
            code = _reset_code(victim, mailbox, user["email"], asked=asked)
            stolen = _login(victim, user)
            body = {"email": user["email"], "code": code, "new_password": user["password"]}

            def act(body: dict[str, str] = body) -> None:
                answer = victim.post("/password/reset", json=body)
                assert answer.status_code == 200, answer.text

            survivors += _thief_survives(victim, auth.url, stolen, act)
    return survivors


def test_logout_during_a_refresh_loop_leaves_the_thief_nothing(auth: ServiceProcess, account: dict[str, str]) -> None:
    assert _survivors(auth, account, "logout") == 0


def test_reuse_detected_during_a_refresh_loop_leaves_the_thief_nothing(
    auth: ServiceProcess, account: dict[str, str]
) -> None:
    assert _survivors(auth, account, "reuse") == 0


def test_password_reset_during_a_refresh_loop_leaves_the_thief_nothing(
    auth: ServiceProcess, mailbox: Mailbox, reset_accounts: list[dict[str, str]]
) -> None:
    assert _reset_survivors(auth, mailbox, reset_accounts) == 0

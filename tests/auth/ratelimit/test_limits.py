"""Login and code endpoints are rate limited per account and per client address (429 + Retry-After)."""

from datetime import UTC, datetime, timedelta

import time_machine

from tests.auth.support import AuthClientFactory, login, new_user, verified_user
from tests.support.mailbox import Mailbox

LIMITS = {"login_rate_limit_per_account": 3, "login_rate_limit_per_address": 5, "login_rate_window_seconds": 300}


def xff(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


class TestLoginPerAccount:
    async def test_wrong_passwords_from_one_address_lock_that_pair_only(
        self, auth_client_factory: AuthClientFactory, mailbox: Mailbox
    ) -> None:
        async with auth_client_factory(**LIMITS, login_failures_per_account_address=2) as client:
            user = await verified_user(client, mailbox)
            wrong = {**user, "password": "wrong-password"}
            statuses = [(await login(client, wrong, **xff("198.51.100.1"))).status_code for _ in range(3)]
            assert statuses == [401, 401, 429]
            limited = await login(client, user, **xff("198.51.100.1"))
            assert limited.status_code == 429
            assert limited.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(limited.headers["Retry-After"]) <= 300
            assert (await login(client, user, **xff("198.51.100.99"))).status_code == 200
            with time_machine.travel(datetime.now(UTC) + timedelta(seconds=301), tick=True):
                assert (await login(client, user, **xff("198.51.100.1"))).status_code == 200

    async def test_strangers_failing_from_many_addresses_never_lock_out_the_owner(
        self, auth_client_factory: AuthClientFactory, mailbox: Mailbox
    ) -> None:
        async with auth_client_factory(login_rate_limit_per_account=10) as client:
            user = await verified_user(client, mailbox)
            wrong = {**user, "password": "wrong-password"}
            for n in range(12):
                assert (await login(client, wrong, **xff(f"198.51.100.{n}"))).status_code == 401
            # Past the account-wide cap an address that failed is refused, even with the right password...
            assert (await login(client, user, **xff("198.51.100.0"))).status_code == 429
            # ...but the owner from an address that has not failed logs in.
            assert (await login(client, user, **xff("203.0.113.50"))).status_code == 200

    async def test_successful_logins_do_not_count_towards_the_account_cap(
        self, auth_client_factory: AuthClientFactory, mailbox: Mailbox
    ) -> None:
        async with auth_client_factory(**LIMITS) as client:
            user = await verified_user(client, mailbox)
            statuses = [(await login(client, user, **xff("198.51.100.77"))).status_code for _ in range(5)]
        assert statuses == [200] * 5

    async def test_unknown_accounts_are_limited_the_same_way(self, auth_client_factory: AuthClientFactory) -> None:
        async with auth_client_factory(**LIMITS, login_failures_per_account_address=3) as client:
            ghost = {"email": "ghost@example.com", "password": "whatever1"}
            statuses = [(await login(client, ghost, **xff("192.0.2.1"))).status_code for n in range(4)]
        assert statuses == [401, 401, 401, 429]


class TestLoginPerAddress:
    async def test_one_address_trying_many_accounts_is_limited(
        self, auth_client_factory: AuthClientFactory, mailbox: Mailbox
    ) -> None:
        async with auth_client_factory(**LIMITS) as client:
            statuses = []
            for _ in range(6):
                body = {"email": new_user()["email"], "password": "whatever1"}
                statuses.append((await login(client, body, **xff("203.0.113.7"))).status_code)
            assert statuses == [401] * 5 + [429]
            # Another client address, behind the same trusted proxy, is not affected.
            user = await verified_user(client, mailbox)
            assert (await login(client, user, **xff("203.0.113.8"))).status_code == 200

    async def test_forwarded_for_is_ignored_when_the_peer_is_not_a_trusted_proxy(
        self, auth_client_factory: AuthClientFactory
    ) -> None:
        async with auth_client_factory(**LIMITS, trusted_proxies=[]) as client:
            statuses = []
            for n in range(6):
                body = {"email": new_user()["email"], "password": "whatever1"}
                statuses.append((await login(client, body, **xff(f"203.0.113.{n}"))).status_code)
        assert statuses == [401] * 5 + [429]


class TestCodeEndpointsPerAddress:
    async def test_code_endpoints_share_one_limit_per_address(self, auth_client_factory: AuthClientFactory) -> None:
        async with auth_client_factory(code_rate_limit_per_address=3) as client:
            headers = xff("198.51.100.200")
            statuses = [
                (
                    await client.post("/verify", json={"email": "a@example.com", "code": "123456"}, headers=headers)
                ).status_code,
                (await client.post("/password/forgot", json={"email": "a@example.com"}, headers=headers)).status_code,
                (await client.post("/register", json=new_user(), headers=headers)).status_code,
                (await client.post("/verify/resend", json={"email": "b@example.com"}, headers=headers)).status_code,
            ]
            other = await client.post(
                "/password/forgot", json={"email": "a@example.com"}, headers=xff("198.51.100.201")
            )
        assert statuses == [400, 202, 201, 429]
        assert other.status_code == 202


class TestAddressBuckets:
    async def test_addresses_of_one_ipv6_64_share_one_bucket(self, auth_client_factory: AuthClientFactory) -> None:
        async with auth_client_factory(**LIMITS) as client:
            statuses = []
            for n in range(6):
                body = {"email": new_user()["email"], "password": "whatever1"}
                statuses.append((await login(client, body, **xff(f"2001:db8:1:2::{n + 1:x}"))).status_code)
            assert statuses == [401] * 5 + [429]
            other = {"email": new_user()["email"], "password": "whatever1"}
            assert (await login(client, other, **xff("2001:db8:1:3::1"))).status_code == 401

    async def test_an_ipv4_mapped_ipv6_address_is_its_ipv4_address(
        self, auth_client_factory: AuthClientFactory
    ) -> None:
        async with auth_client_factory(**LIMITS) as client:
            statuses = []
            for n in range(6):
                body = {"email": new_user()["email"], "password": "whatever1"}
                address = "198.51.100.123" if n % 2 else "::ffff:198.51.100.123"
                statuses.append((await login(client, body, **xff(address))).status_code)
            assert statuses == [401] * 5 + [429]

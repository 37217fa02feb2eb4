"""Property-based fuzzing of every service from its own OpenAPI schema, on the running processes.

For each operation, schemathesis generates requests from the schema and we send them with a
token for each role (user, admin, service). Every answer must be no 5xx, a documented status,
the documented content type and a body that matches the documented schema.
"""

from collections.abc import Callable

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.system import System
from tests.support.tokens import TokenFactory, bearer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 15
# A fuzzer-sized id range, so generated ids sometimes hit real rows instead of always 404.
FUZZ_USER_ID = 990_001


def role_tokens(tokens: TokenFactory) -> dict[str, Callable[[], str]]:
    return {
        "user": lambda: tokens.user(FUZZ_USER_ID),
        "admin": lambda: tokens.admin(FUZZ_USER_ID + 1),
        "service": lambda: tokens.service(),
    }


def _property_test(
    strategy: st.SearchStrategy[Case], *, base_url: str, token: str, checks: list[Callable[..., object]]
) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Case) -> None:
        case.call_and_validate(base_url=base_url, headers=bearer(token), checks=checks, timeout=15)

    return check


def fuzz_service(
    base_url: str,
    token: str,
    *,
    path_parameters: dict[str, object] | None = None,
    extra_checks: tuple[Callable[..., object], ...] = (),
) -> list[str]:
    """Fuzz every operation of one service; return the failures (empty when all checks pass).

    With `path_parameters`, only the operations whose path has one of them are fuzzed, with
    those values fixed (everything else is still generated).
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ("/metrics",):
            continue  # Prometheus text, documented as such; nothing to fuzz
        fixed = {name: value for name, value in (path_parameters or {}).items() if f"{{{name}}}" in operation.path}
        if path_parameters is not None and not fixed:
            continue

        # Valid requests and deliberately invalid ones (wrong types, missing fields, bad formats).
        strategy = operation.as_strategy(path_parameters=fixed) | operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE, path_parameters=fixed
        )
        check = _property_test(strategy, base_url=base_url, token=token, checks=[*CHECKS, *extra_checks])
        try:
            check()
        # One operation's failure must not hide the others'; schemathesis reports check failures
        # as a BaseExceptionGroup.
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    return failures


@pytest.mark.e2e
@pytest.mark.parametrize("role", ["user", "admin", "service"])
@pytest.mark.parametrize("service", ["auth", "inventory", "products"])
def test_no_server_errors_and_every_answer_matches_the_schema(
    system: System, tokens: TokenFactory, service: str, role: str
) -> None:
    process = getattr(system, service)
    failures = fuzz_service(process.url, role_tokens(tokens)[role]())
    assert not failures, "\n\n".join(failures)


def never_succeeds(ctx: object, response: object, case: Case) -> None:
    """A request aimed at another user's cart item or order must never get a 2xx."""
    status = response.status_code  # type: ignore[attr-defined]
    if status < 300:
        raise AssertionError(f"{case.method} {case.formatted_path} answered {status} with another user's id")


@pytest.mark.e2e
def test_a_users_token_never_reaches_another_users_cart_items_or_orders(system: System, tokens: TokenFactory) -> None:
    """Fuzz every route that takes a cart item or order id as one user, aimed at a bystander's ids."""
    admin, bystander = bearer(tokens.admin(FUZZ_USER_ID + 1)), bearer(tokens.user(FUZZ_USER_ID + 50))
    with httpx.Client(base_url=system.products.url, timeout=10) as client:
        product = client.post(
            "/api/products", json={"name": "Bystander lamp", "price": "12.00", "stock": 10}, headers=admin
        ).json()
        assert client.post("/api/cart", json={"product_id": product["id"], "quantity": 1}, headers=bystander).is_success
        order = client.post("/api/cart/checkout", headers=bystander)
        assert order.status_code == 201, order.text
        cart = client.post("/api/cart", json={"product_id": product["id"], "quantity": 2}, headers=bystander).json()
        targets = {"order_id": order.json()["order_id"], "item_id": cart["items"][0]["id"]}
        before = (
            client.get("/api/cart", headers=bystander).json(),
            client.get("/api/orders", headers=bystander).json(),
        )

        failures = fuzz_service(
            system.products.url, role_tokens(tokens)["user"](), path_parameters=targets, extra_checks=(never_succeeds,)
        )

        assert failures == [], "\n\n".join(failures)
        after = (client.get("/api/cart", headers=bystander).json(), client.get("/api/orders", headers=bystander).json())
        assert after == before

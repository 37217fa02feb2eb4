"""Every text field and every integer of every service, sent Unicode that grows when normalized and
integers of any size, over real HTTP: never a 5xx.

Lengths checked before NFC/NFKC normalization or case mapping are the bug this hunts: "İ" doubles
under `lower()`, "\\uFB2C" triples under NFC, "\\uFDFA" becomes 18 characters under NFKC. Each
request changes one field of an otherwise plausible request, so it gets past the other checks.
"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.system import System
from tests.support.tokens import TokenFactory, bearer

EXAMPLES_PER_FIELD = 8
# Each grows under at least one of NFC, NFKC, casefold or lower().
EXPANDING = ["İ", "\ufb2c", "\ufdfa", "ß", "ﬃ", "\u0390", "ǰ", "\u3316", "ẞ", "Å"]
PLAIN = {"email": "fuzz@example.com", "password": "password123", "price": "10", "code": "123456"}


def expanding_text(max_length: int) -> st.SearchStrategy[str]:
    """Text at, under and over the field's length, made of characters that grow when normalized."""
    lengths = st.sampled_from(sorted({0, 1, max_length // 3, max_length // 2, max_length - 1, max_length}))
    ascii_around = st.sampled_from(["", "a", "fuzz@example.com", "@example.com"])
    return st.builds(
        lambda char, n, before, after: before + char * max(n, 0) + after,
        st.sampled_from(EXPANDING),
        lengths,
        ascii_around,
        ascii_around,
    )


def any_integer() -> st.SearchStrategy[Any]:
    """Integers of any size, as JSON numbers or as digit strings (thousands of digits included)."""
    return st.one_of(
        st.integers(),
        st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**100]),
        st.integers(min_value=19, max_value=6000).map(lambda digits: "9" * digits),
    )


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf"):
        options = [_resolve(option, components) for option in schema.get(key, []) if option.get("type") != "null"]
        if options:
            return options[0]
    return schema


def _plain_value(name: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return PLAIN.get(name, "x" * max(1, schema.get("minLength", 1)))


def _fuzz_value(schema: dict[str, Any]) -> st.SearchStrategy[Any] | None:
    kind = schema.get("type")
    if kind == "integer":
        return any_integer()
    if kind == "string" and schema.get("format") != "binary":
        return expanding_text(int(schema.get("maxLength", 300)))
    return None


def targets(spec: dict[str, Any]) -> list[tuple[str, str, str, str, dict[str, Any], dict[str, Any]]]:
    """(method, path, where, field, field schema, JSON body template) for every text or integer input."""
    components = spec.get("components", {}).get("schemas", {})
    found = []
    for path, operations in spec["paths"].items():
        if path == "/metrics":
            continue
        for method, operation in operations.items():
            body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            body_schema = _resolve(body_schema, components) if body_schema else {}
            template = {
                name: _plain_value(name, _resolve(prop, components))
                for name, prop in body_schema.get("properties", {}).items()
                if name in body_schema.get("required", [])
            }
            for parameter in operation.get("parameters", []):
                schema = _resolve(parameter.get("schema", {}), components)
                if schema.get("type") == "array":
                    schema = _resolve(schema.get("items", {}), components)
                if _fuzz_value(schema) is not None:
                    found.append((method, path, parameter["in"], parameter["name"], schema, template))
            for name, prop in body_schema.get("properties", {}).items():
                schema = _resolve(prop, components)
                if _fuzz_value(schema) is not None:
                    found.append((method, path, "body", name, schema, template))
    return found


def _request(
    client: httpx.Client, method: str, path: str, where: str, field: str, value: Any, template: dict[str, Any]
) -> httpx.Response:
    params: dict[str, str] = {}
    headers: dict[str, Any] = {}
    body = dict(template)
    text = str(value)
    if where == "path":
        path = path.replace(f"{{{field}}}", httpx.URL(text).raw_path.decode("ascii", "replace") or "x")
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        path = path.replace(f"{{{name}}}", "1")
    if where == "query":
        params[field] = text
    elif where == "header":
        headers[field] = text.encode("utf-8")
    elif where == "body":
        body[field] = value
    if method in ("get", "delete"):
        return client.request(method.upper(), path, params=params, headers=headers)
    return client.request(method.upper(), path, params=params, headers=headers, json=body)


def _every_expansion(schema: dict[str, Any]) -> list[Any]:
    """The cases that must not be left to chance: each character at the field's full and half length."""
    if schema.get("type") == "integer":
        return [2**63, -(2**63) - 1, 10**100, "9" * 5000]
    max_length = int(schema.get("maxLength", 300))
    # Ids sent as text (a comma list, a header) are integers too: thousands of digits among them.
    digits = ["9" * 20, "9" * 5000, ",".join(["9" * 30] * 3)]
    return [char * length for char in EXPANDING for length in (max_length, max_length // 2)] + digits


def _check_field(client: httpx.Client, target: tuple[Any, ...]) -> Callable[[], None]:
    method, path, where, field, schema, template = target

    def send(value: Any) -> None:
        response = _request(client, method, path, where, field, value, template)
        assert response.status_code < 500, f"{method.upper()} {path} {where}.{field}={value!r:.80}: {response.text}"

    @settings(
        max_examples=EXAMPLES_PER_FIELD,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(value=_fuzz_value(schema))
    def check(value: Any) -> None:
        send(value)

    def run() -> None:
        for value in _every_expansion(schema):
            send(value)
        check()

    return run


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("service", "role"),
    # Inventory reads X-On-Behalf-Of only from a service caller.
    [("auth", "admin"), ("inventory", "admin"), ("inventory", "service"), ("products", "admin")],
)
def test_expanding_unicode_and_huge_integers_never_get_a_server_error(
    system: System, tokens: TokenFactory, service: str, role: str
) -> None:
    process = getattr(system, service)
    token = tokens.admin(990_101) if role == "admin" else tokens.service()
    with httpx.Client(base_url=process.url, timeout=15, headers=bearer(token)) as client:
        spec = client.get("/openapi.json").json()
        fields = targets(spec)
        assert len(fields) >= 5, fields  # the walk found the service's inputs
        failures = []
        for target in fields:
            try:
                _check_field(client, target)()
            except AssertionError as exc:
                failures.append(str(exc)[:400])
    assert not failures, "\n".join(failures)


DEEP_BODIES = {
    "unclosed": "[" * 60_000,
    "closed": "[" * 30_000 + "]" * 30_000,
    "in a field": '{"email": ' + "[" * 20_000 + "]" * 20_000 + ', "password": "x"}',
}
JSON_ROUTES = {
    "auth": ["/login", "/register", "/token/refresh", "/password/reset"],
    "inventory": ["/api/inventory", "/api/inventory/reservations"],
    "products": ["/api/products", "/api/cart"],
}


@pytest.mark.e2e
@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize("service", JSON_ROUTES.keys())
def test_deeply_nested_json_bodies_are_a_4xx(system: System, tokens: TokenFactory, service: str, body: str) -> None:
    process = getattr(system, service)
    headers = {**bearer(tokens.admin(990_102)), "Content-Type": "application/json"}
    with httpx.Client(base_url=process.url, timeout=15, headers=headers) as client:
        for path in JSON_ROUTES[service]:
            response = client.post(path, content=body)
            assert 400 <= response.status_code < 500, f"{path}: {response.status_code} {response.text[:200]}"
            assert "error" in response.json()

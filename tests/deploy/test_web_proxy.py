"""The web image's nginx and the Ingress route every path exactly as the Vite proxy does."""

import re
from urllib.parse import urlsplit

import pytest

from microshop.common.migrations import SERVICES
from tests.deploy.support import DEPLOY, ROOT, compose, compose_env, named, settings_class

TEMPLATE = DEPLOY / "nginx" / "default.conf.template"
VITE_CONFIG = ROOT / "web" / "vite.config.ts"
SPA = ("spa", None)
SAMPLES = [
    "/auth/login",
    "/auth/.well-known/jwks.json",
    "/auth/token/refresh",
    "/auth/verify?x=1",
    "/auth",
    "/authors",
    "/api/products",
    "/api/products?q=phone&page=2",
    "/api/products/12",
    "/api/productsale",
    "/api/cart",
    "/api/cart/items/3",
    "/api/cart/checkout",
    "/api/orders",
    "/api/orders/7",
    "/api/addresses",
    "/api/addresses/3",
    "/api/shipping-methods?include_inactive=true",
    "/api/payment-methods/bank_transfer",
    "/api/admin/orders/export.csv?status=placed",
    "/api/administrators",
    "/admin/orders",
    "/checkout/review",
    "/media/products/abc.webp",
    "/api/inventory",
    "/api/inventory?low_stock=5",
    "/api/inventory/12/movements",
    "/api/inventory/reservations/r-1/release",
    "/home",
    "/cart",
    "/orders",
    "/admin/inventory",
    "/login",
    "/",
]
Route = tuple[str, str | None]


def service_of_port_variable(variable: str) -> str:
    return next(service for service in SERVICES if f"{service.upper()}_PORT" == variable)


def vite_route(url: str) -> Route:
    """Where the Vite dev/preview proxy sends a request URL (keys are regexes on the URL)."""
    source = VITE_CONFIG.read_text()
    targets = {
        name: service_of_port_variable(variable)
        for name, variable, _ in re.findall(r"const (\w+) = target\(env\.(\w+), (\d+)\)", source)
    }
    entries = re.findall(r"^\s*'(\^[^']+)':\s*(\{[^\n]*\}|\w+),?$", source, flags=re.MULTILINE)
    assert len(entries) >= 6, "the proxy map in web/vite.config.ts changed shape"
    for pattern, target in entries:
        if re.search(pattern.replace("\\\\", "\\"), url):
            service = targets[re.search(r"\w+", target.removeprefix("{ ...")).group()]
            rewrite = re.search(r"replace\(/(.+?)/, ''\)", target)
            path = re.sub(rewrite.group(1).replace("\\/", "/"), "", url, count=1) if rewrite else url
            return service, path or "/"
    return SPA


def nginx_locations() -> list[tuple[str, str, str]]:
    """(modifier, pattern, body) for every `location` in the template."""
    text = TEMPLATE.read_text()
    return [
        (modifier or "", pattern, body)
        for modifier, pattern, body in re.findall(r"location\s+(=|~|\^~)?\s*(\S+)\s*\{((?:\$\{\w+\}|[^{}])*)\}", text)
    ]


def upstream_services() -> dict[str, str]:
    """The image's default `*_UPSTREAM` values, as service names: {"AUTH_UPSTREAM": "auth", ...}."""
    dockerfile = (DEPLOY / "Dockerfile.web").read_text()
    defaults = dict(re.findall(r"(\w+_UPSTREAM)=(\S+)", dockerfile))
    return {name: urlsplit(url).hostname.removesuffix("-service") for name, url in defaults.items()}


def nginx_route(url: str) -> Route:
    """nginx's location choice (exact, then regexes in order over the longest prefix)."""
    path, _, query = url.partition("?")
    locations = nginx_locations()
    chosen = next((loc for loc in locations if loc[0] == "=" and loc[1] == path), None)
    if chosen is None:
        prefixes = [loc for loc in locations if loc[0] in ("", "^~") and path.startswith(loc[1])]
        longest = max(prefixes, key=lambda loc: len(loc[1]), default=None)
        regexes = [loc for loc in locations if loc[0] == "~" and re.search(loc[1], path)]
        chosen = regexes[0] if regexes and (longest is None or longest[0] != "^~") else longest
    assert chosen is not None, f"no location for {path}"
    _, pattern, body = chosen
    proxy = re.search(r"proxy_pass\s+\$\{(\w+)\}(/?);", body)
    if proxy is None:
        assert "try_files" in body and "/index.html" in body
        return SPA
    service = upstream_services()[proxy.group(1)]
    if proxy.group(2):  # a URI part replaces the matched prefix
        path = "/" + path[len(pattern) :].lstrip("/")
    return service, path + (f"?{query}" if query else "")


def ingress_route(url: str) -> Route:
    """The Ingress's Prefix match (whole path segments, longest wins), then nginx if it is the frontend."""
    path = url.partition("?")[0]
    rules = named("dev", "Ingress", "microshop")["spec"]["rules"]
    paths = [entry for rule in rules for entry in rule["http"]["paths"]]
    assert {entry["pathType"] for entry in paths} == {"Prefix"}

    def matches(prefix: str) -> bool:
        return prefix == "/" or path == prefix or path.startswith(prefix.rstrip("/") + "/")

    best = max((entry for entry in paths if matches(entry["path"])), key=lambda entry: len(entry["path"]))
    backend = best["backend"]["service"]["name"]
    if backend == "frontend":
        return nginx_route(url)
    return backend.removesuffix("-service"), url


@pytest.mark.parametrize("url", SAMPLES)
def test_nginx_routes_like_the_vite_proxy(url: str) -> None:
    assert nginx_route(url) == vite_route(url)


@pytest.mark.parametrize("url", SAMPLES)
def test_ingress_routes_like_the_vite_proxy(url: str) -> None:
    assert ingress_route(url) == vite_route(url)


def test_vite_map_is_the_design_map() -> None:
    assert vite_route("/auth/login") == ("auth", "/login")
    assert vite_route("/media/x.png")[0] == vite_route("/api/orders")[0] == "products"
    assert vite_route("/api/inventory/1")[0] == "inventory"


def test_upstreams_point_at_each_service_port() -> None:
    dockerfile = (DEPLOY / "Dockerfile.web").read_text()
    defaults = dict(re.findall(r"(\w+_UPSTREAM)=(\S+)", dockerfile))
    placeholders = set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text()))
    assert set(defaults) == placeholders
    frontend = compose()["services"]["frontend"]
    config = named(
        "dev",
        "ConfigMap",
        next(
            ref["configMapRef"]["name"]
            for ref in named("dev", "Deployment", "frontend")["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        ),
    )["data"]
    for variable, url in defaults.items():
        service = variable.removesuffix("_UPSTREAM").lower()
        port = settings_class(service).model_fields["port"].default
        assert url == f"http://{service}-service:{port}"
        assert compose_env(frontend)[variable] == url
        assert config[variable] == url


def test_nginx_listens_on_the_seed_port_and_allows_image_uploads() -> None:
    text = TEMPLATE.read_text()
    assert re.search(r"^\s*listen 5173;", text, flags=re.MULTILINE)
    limit = re.search(r"client_max_body_size (\d+)m;", text)
    max_image = settings_class("products").model_fields["max_image_bytes"].default
    assert limit and int(limit.group(1)) * 1024 * 1024 > max_image

"""compose.yaml, deploy/k8s and the images use the ports, names, probe paths and variables the settings read."""

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from microshop.auth.config import client_secret_hash
from microshop.common.migrations import SERVICES
from microshop.common.observability import health_router
from tests.deploy.support import (
    DEPLOY,
    NON_SETTINGS_VARIABLES,
    OVERLAYS,
    ROOT,
    compose,
    compose_env,
    container_env,
    is_service_image,
    make_settings,
    named,
    served_service,
    settings_class,
    settings_variables,
    workloads,
)


def probe_paths() -> dict[str, str]:
    """{"Liveness": "/health", "Readiness": "/ready"}, from the router every service mounts."""

    async def ready() -> None:
        return None

    return {route.summary: route.path for route in health_router(ready).routes}


def allowed_variables(service: str | None) -> set[str]:
    """What a container of `service` may set; the migrate container (None) may set any service's."""
    services = SERVICES if service is None else (service,)
    return set(NON_SETTINGS_VARIABLES).union(*(settings_variables(settings_class(name)) for name in services))


def default_port(service: str) -> int:
    return settings_class(service).model_fields["port"].default


def compose_services() -> list[tuple[str, dict[str, Any]]]:
    return [(name, service) for name, service in compose()["services"].items() if is_service_image(service)]


def k8s_containers(overlay: str) -> list[tuple[str, dict[str, Any]]]:
    """(workload name, container) for every container running the service image."""
    return [
        (workload["metadata"]["name"], container)
        for workload in workloads(overlay)
        for container in workload["spec"]["template"]["spec"]["containers"]
        if container.get("args", [""])[0] in ("serve", "migrate")
    ]


def test_the_settings_are_read_from_the_classes() -> None:
    # Guards the derivation itself: a few names every reader of the settings knows.
    assert {"AUTH_PORT", "JWT_PRIVATE_KEY", "SERVICE_CLIENTS", "AUTH_DATABASE_URL"} <= settings_variables(
        settings_class("auth")
    )
    assert {"MEDIA_DIR", "INVENTORY_URL", "DATABASE_URL", "HOST"} <= settings_variables(settings_class("products"))
    assert "MEDIA_DIR" not in allowed_variables("inventory")


@pytest.mark.parametrize(("variable", "reader"), NON_SETTINGS_VARIABLES.items())
def test_variables_outside_the_settings_are_read_by_the_code(variable: str, reader: str) -> None:
    assert variable in (ROOT / reader).read_text()


@pytest.mark.parametrize(("name", "service"), compose_services(), ids=[name for name, _ in compose_services()])
def test_compose_sets_only_variables_its_service_reads(name: str, service: dict[str, Any]) -> None:
    served = served_service(service["command"])
    assert set(compose_env(service)) - allowed_variables(served) == set()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_sets_only_variables_its_service_reads(overlay: str) -> None:
    for workload, container in k8s_containers(overlay):
        served = served_service(container["args"])
        unknown = set(container_env(overlay, container)) - allowed_variables(served)
        assert unknown == set(), workload


@pytest.mark.parametrize(
    ("name", "service"),
    [item for item in compose_services() if item[0] != "migrate"],
    ids=[name for name, _ in compose_services() if name != "migrate"],
)
def test_compose_service_starts_with_its_settings_on_its_seed_port(name: str, service: dict[str, Any]) -> None:
    served = served_service(service["command"])
    assert name == f"{served}-service"
    settings = make_settings(served, compose_env(service))
    assert settings.host == "0.0.0.0"
    assert settings.port == default_port(served)
    assert f"127.0.0.1:{default_port(served)}:{settings.port}" in service["ports"]
    assert probe_paths()["Readiness"] in service["healthcheck"]["test"]


@pytest.mark.parametrize("name", [f"{service}-service" for service in SERVICES])
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_service_listens_and_is_probed_where_its_settings_say(overlay: str, name: str) -> None:
    deployment = named(overlay, "Deployment", name)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    served = served_service(container["args"])
    assert name == f"{served}-service"
    env = container_env(overlay, container)
    port = default_port(served)
    if overlay == "dev":  # prod's secrets are not in the repository, so its settings cannot be built here
        settings = make_settings(served, env)
        assert (settings.host, settings.port) == ("0.0.0.0", port)
    assert env["HOST"] == "0.0.0.0"
    ports = {entry["name"]: entry["containerPort"] for entry in container["ports"]}
    assert ports == {"http": port}
    paths = probe_paths()
    assert container["readinessProbe"]["httpGet"] == {"path": paths["Readiness"], "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": paths["Liveness"], "port": "http"}
    (service_port,) = named(overlay, "Service", name)["spec"]["ports"]
    assert (service_port["port"], service_port["targetPort"]) == (port, "http")


def test_images_healthcheck_is_the_liveness_path() -> None:
    dockerfile = (DEPLOY / "Dockerfile.service").read_text()
    assert f'CMD ["microshop-healthcheck", "{probe_paths()["Liveness"]}"]' in dockerfile


def service_urls(env: dict[str, Any]) -> dict[str, str]:
    """AUTH_URL / INVENTORY_URL and friends: which service each names (database and broker URLs are checked
    apart; SHOP_URL is the web app's public address, which order emails link to)."""
    return {
        key: value
        for key, value in env.items()
        if key.endswith("_URL") and "DATABASE" not in key and key not in {"NATS_URL", "SHOP_URL"} and value
    }


def assert_url_names_its_service(variable: str, url: str) -> None:
    target = variable.removesuffix("_URL").lower()
    parts = urlsplit(url)
    assert (parts.hostname, parts.port) == (f"{target}-service", default_port(target)), variable


def test_compose_urls_name_the_right_service_and_port() -> None:
    checked = set()
    for _, service in compose_services():
        for variable, url in service_urls(compose_env(service)).items():
            assert_url_names_its_service(variable, url)
            checked.add(variable)
    assert checked == {"AUTH_URL", "INVENTORY_URL"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_urls_name_the_right_service_and_port(overlay: str) -> None:
    checked = set()
    for _, container in k8s_containers(overlay):
        for variable, url in service_urls(container_env(overlay, container)).items():
            assert_url_names_its_service(variable, url)
            checked.add(variable)
    assert checked == {"AUTH_URL", "INVENTORY_URL"}


def test_migrate_job_reaches_every_service_database() -> None:
    for overlay in OVERLAYS:
        (container,) = named(overlay, "Job", "microshop-migrate")["spec"]["template"]["spec"]["containers"]
        env = container_env(overlay, container)
        assert {f"{service.upper()}_DATABASE_URL" for service in SERVICES} <= set(env)


def products_is_a_client_of_auth(auth_env: dict[str, Any], products_env: dict[str, Any]) -> None:
    auth = make_settings("auth", auth_env)
    products = make_settings("products", products_env)
    assert auth.service_clients[products.service_client_id] == client_secret_hash(products.service_client_secret)


def test_products_client_credentials_are_known_to_auth() -> None:
    services = compose()["services"]
    products_is_a_client_of_auth(compose_env(services["auth-service"]), compose_env(services["products-service"]))
    (auth,) = named("dev", "Deployment", "auth-service")["spec"]["template"]["spec"]["containers"]
    (products,) = named("dev", "Deployment", "products-service")["spec"]["template"]["spec"]["containers"]
    products_is_a_client_of_auth(container_env("dev", auth), container_env("dev", products))


def test_database_search_path_is_the_same_everywhere() -> None:
    compose_sql = (DEPLOY / "postgres" / "init.sql").read_text()
    dev_sql = (DEPLOY / "k8s" / "overlays" / "dev" / "postgres-init.sql").read_text()
    assert compose_sql == dev_sql
    schemas = re.search(r"search_path = ([\w, ]+);", compose_sql).group(1).split(", ")
    assert set(SERVICES) <= set(schemas)

"""The specification's Docker Compose flow on the real compose.yaml, once per Compose implementation.

From the repository root, as the README's container section lists them: `up -d --build`, `ps`,
`logs -f auth-service`, `restart products-service`, `docker exec postgres_main psql ...`,
`down -v`; between them a user's whole purchase through the web container's proxy on :5173.
The tests of this module run in order and share one running stack per Compose.
"""

import io
import re
import socket
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.containers.support import (
    HOST_PORTS,
    Compose,
    Report,
    code_from_log,
    container_names,
    docker,
    inspect,
    project_resources,
    wait_all_healthy,
)
from tests.deploy.support import compose, compose_env, make_settings, served_service, settings_class, settings_variables

WEB = "http://127.0.0.1:5173"
MAILPIT = "http://127.0.0.1:8025"
PASSWORD = "containers-password-1"
SERVICE_USER = "10001:10001"  # deploy/Dockerfile.service
WEB_USER = "101"  # deploy/Dockerfile.web

state: dict[str, Any] = {}


def image_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_up_builds_starts_and_every_container_becomes_healthy(compose_cli: Compose, report: Report) -> None:
    busy = [port for port in HOST_PORTS if port_in_use(port)]
    assert not busy, f"host ports {busy} are taken (stop `make run`): compose publishes them"
    started = time.monotonic()
    compose_cli("up", "-d", "--build")
    containers = list(container_names().values())
    wait_all_healthy(containers)
    report.add(f"{compose_cli.label}: up -d --build to all healthy", f"{time.monotonic() - started:.0f} s")
    listing = compose_cli("ps").stdout
    for container in containers:
        (row,) = [line for line in listing.splitlines() if line.startswith(container + " ")]
        assert "(healthy)" in row, row
    state["project"] = project = inspect(containers[0])["Config"]["Labels"]["com.docker.compose.project"]
    in_project = ("--filter", f"label=com.docker.compose.project={project}")
    migrate = docker("ps", "-aq", *in_project, "--filter", "label=com.docker.compose.service=migrate").stdout.split()
    assert [inspect(one)["State"]["ExitCode"] for one in migrate] == [0]


def test_a_second_up_with_no_change_rebuilds_and_recreates_nothing(compose_cli: Compose, report: Report) -> None:
    containers = list(container_names().values())
    before = {name: (inspect(name)["Id"], inspect(name)["Image"]) for name in containers}
    started = time.monotonic()
    compose_cli("up", "-d", "--build")
    report.add(f"{compose_cli.label}: second up -d --build", f"{time.monotonic() - started:.0f} s")
    assert {name: (inspect(name)["Id"], inspect(name)["Image"]) for name in containers} == before


@pytest.mark.parametrize("name", ["auth-service", "products-service", "inventory-service", "frontend"])
def test_containers_run_as_the_files_say(compose_cli: Compose, name: str) -> None:
    service = compose()["services"][name]
    container = container_names()[name]
    details = inspect(container)
    assert details["HostConfig"]["ReadonlyRootfs"] is bool(service.get("read_only"))
    expected_user = WEB_USER if name == "frontend" else SERVICE_USER
    assert details["Config"]["User"] == expected_user
    uids = docker("exec", container, "sh", "-c", "grep -h '^Uid:' /proc/[0-9]*/status").stdout.split("\n")
    assert {line.split()[1] for line in uids if line} == {expected_user.split(":")[0]}, "every process, PID 1 included"
    if service.get("read_only"):
        denied = docker("exec", container, "touch", "/app/written", check=False)
        assert denied.returncode != 0 and "Read-only file system" in denied.stderr


@pytest.mark.parametrize("name", ["auth-service", "products-service", "inventory-service"])
def test_running_containers_have_compose_environment_and_the_settings_ports(compose_cli: Compose, name: str) -> None:
    service = compose()["services"][name]
    details = inspect(container_names()[name])
    running = dict(item.split("=", 1) for item in details["Config"]["Env"])
    declared = compose_env(service)
    assert {key: running.get(key) for key in declared} == declared
    served = served_service(service["command"])
    readable = settings_variables(settings_class(served))
    settings = make_settings(served, {key: value for key, value in running.items() if key in readable})
    published = details["NetworkSettings"]["Ports"][f"{settings.port}/tcp"]
    assert [(entry["HostIp"], entry["HostPort"]) for entry in published] == [("127.0.0.1", str(settings.port))]
    assert httpx.get(f"http://127.0.0.1:{settings.port}/ready", timeout=10).status_code == 200


def test_web_container_proxies_to_the_upstreams_compose_names(compose_cli: Compose) -> None:
    service = compose()["services"]["frontend"]
    details = inspect(container_names()["frontend"])
    running = dict(item.split("=", 1) for item in details["Config"]["Env"])
    assert {key: running[key] for key in compose_env(service)} == compose_env(service)
    rendered = docker("exec", container_names()["frontend"], "cat", "/etc/nginx/conf.d/default.conf").stdout
    for upstream in compose_env(service).values():
        assert f"proxy_pass {upstream}" in rendered
    assert "${" not in rendered.replace("$host", "")
    assert [(e["HostIp"], e["HostPort"]) for e in details["NetworkSettings"]["Ports"]["5173/tcp"]] == [
        ("127.0.0.1", "5173")
    ]


def register(client: httpx.Client, compose_cli: Compose, username: str) -> str:
    """Register through :5173, read the code from `logs -f auth-service` and from Mailpit, verify, log in."""
    email = f"{username}@example.com"
    payload = {"username": username, "name": username, "email": email, "password": PASSWORD}
    created = client.post("/auth/register", json=payload)
    assert created.status_code == 201, created.text
    with compose_cli.following("logs", "-f", "auth-service") as logs:
        assert logs.stdout is not None
        logged = code_from_log(iter(logs.stdout.readline, ""), email)
    mailed = code_from_mailpit(email)
    assert mailed == logged
    assert client.post("/auth/verify", json={"email": email, "code": logged}).status_code == 200
    login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


def code_from_mailpit(email: str, *, within: float = 20) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        listing = httpx.get(f"{MAILPIT}/api/v1/messages", timeout=5).json()
        for summary in listing["messages"]:
            if email in [to["Address"] for to in summary["To"]]:
                message = httpx.get(f"{MAILPIT}/api/v1/message/{summary['ID']}", timeout=5).json()
                return re.search(r"\b(\d{6})\b", message["Text"]).group(1)  # type: ignore[union-attr]
        time.sleep(0.5)
    raise AssertionError(f"no email to {email} in Mailpit")


def test_a_user_buys_a_product_an_admin_created_with_an_image(compose_cli: Compose) -> None:
    suffix = compose_cli.label.split()[-1].replace(".", "")
    with httpx.Client(base_url=WEB, timeout=30) as client:
        admin = {"Authorization": f"Bearer {register(client, compose_cli, f'admin{suffix}')}"}
        picture = image_bytes()
        created = client.post(
            "/api/products",
            headers=admin,
            files={
                "name": (None, "Laptop"),
                "price": (None, "1500"),
                "stock": (None, "10"),
                "image": ("laptop.png", picture, "image/png"),
            },
        )
        assert created.status_code == 201, created.text
        product = created.json()
        buyer = {"Authorization": f"Bearer {register(client, compose_cli, f'buyer{suffix}')}"}
        assert (
            client.post("/api/cart", headers=buyer, json={"product_id": product["id"], "quantity": 2}).status_code
            == 200
        )
        bought = client.post("/api/cart/checkout", headers=buyer)
        assert bought.status_code == 201, bought.text
        assert client.get(f"/api/inventory/{product['id']}", headers=buyer).json()["stock"] == 8
        served = client.get(product["image_url"])
        assert served.status_code == 200, served.text
        assert Image.open(io.BytesIO(served.content)).size == Image.open(io.BytesIO(picture)).size
        assert (
            client.post("/api/cart", headers=buyer, json={"product_id": product["id"], "quantity": 1}).status_code
            == 200
        )
    state["buyer"] = buyer
    state["product"] = product["id"]


def test_restarting_products_keeps_the_cart(compose_cli: Compose) -> None:
    compose_cli("restart", "products-service")
    wait_all_healthy([container_names()["products-service"]])
    cart = httpx.get(f"{WEB}/api/cart", headers=state["buyer"], timeout=30).json()
    assert [(item["product_id"], item["quantity"]) for item in cart["items"]] == [(state["product"], 1)]
    for writable in ("/tmp", "/run/prometheus"):  # still the service user's after the restart
        docker("exec", container_names()["products-service"], "touch", f"{writable}/after-restart")


def test_psql_in_the_database_container_counts_the_products(compose_cli: Compose) -> None:
    psql = ("psql", "-U", "user_db", "-d", "microservices_db")
    result = docker("exec", "postgres_main", *psql, "-c", "select count(*) from products")
    assert re.search(r"^\s*1\s*$", result.stdout, re.MULTILINE), result.stdout


def test_down_v_leaves_no_container_network_or_volume(compose_cli: Compose) -> None:
    compose_cli("down", "-v")
    assert project_resources(state["project"]) == {"containers": [], "networks": [], "volumes": []}
    assert docker("network", "ls", "-q", "--filter", "name=^microservices_network$").stdout.strip() == ""

"""compose.yaml: valid Compose (v2 and docker-compose 1.29), the seed's containers, ports and commands, the broker."""

import json
from urllib.parse import urlsplit

import jsonschema
import pytest

from tests.deploy.support import (
    DEPLOY,
    ROOT,
    compose,
    compose_env,
    compose_raw,
    final_stage,
    is_service_image,
    make_settings,
    served_service,
)

# The seed's container names and host ports, published on this machine's loopback only.
SEED_CONTAINERS = {
    "postgres_main": "127.0.0.1:5438:5432",
    "auth_service": "127.0.0.1:8000:8000",
    "products_service": "127.0.0.1:8001:8001",
    "inventory_service": "127.0.0.1:8002:8002",
    "frontend_client": "127.0.0.1:5173:5173",
}


def by_container(name: str) -> dict:
    return next(service for service in compose()["services"].values() if service.get("container_name") == name)


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(compose_raw())]
    assert errors == []


def test_compose_file_is_valid_for_docker_compose_1_29() -> None:
    """Debian's docker-compose 1.29 validates the file (after interpolation) against its own, older schema."""
    schema = json.loads((DEPLOY / "schemas" / "compose-1.29.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(compose())]
    assert errors == []
    assert list(validator.iter_errors({"name": "microshop", "services": {}})), "1.29 refuses a top-level name"


def test_schema_rejects_what_compose_would_reject() -> None:
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    broken = {"services": {"web": {"image": "x", "depends_on": {"db": {"condition": "when_ready"}}}}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


@pytest.mark.parametrize(("container", "ports"), SEED_CONTAINERS.items())
def test_seed_container_keeps_its_name_and_host_port(container: str, ports: str) -> None:
    assert ports in by_container(container)["ports"]


def test_every_published_port_listens_on_loopback_only() -> None:
    published = [port for service in compose()["services"].values() for port in service.get("ports", [])]
    assert published
    assert all(isinstance(port, str) and port.startswith("127.0.0.1:") for port in published), published


def test_seed_commands_name_real_services() -> None:
    # docker-compose logs -f auth-service / restart products-service (the specification's operations commands)
    services = compose()["services"]
    assert services["auth-service"]["container_name"] == "auth_service"
    assert services["products-service"]["container_name"] == "products_service"
    assert services["inventory-service"]["container_name"] == "inventory_service"


def test_database_is_the_seeds() -> None:
    # docker exec -it postgres_main psql -U user_db -d microservices_db (the specification's database commands)
    env = compose_env(by_container("postgres_main"))
    assert (env["POSTGRES_DB"], env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == (
        "microservices_db",
        "user_db",
        "admin123",
    )


def test_database_role_searches_every_service_schema() -> None:
    mounts = by_container("postgres_main")["volumes"]
    init = next(mount for mount in mounts if "/docker-entrypoint-initdb.d/" in mount)
    sql = (ROOT / init.split(":")[0]).read_text()
    assert "SET search_path = products, inventory, auth, public" in sql


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, service in compose()["services"].items():
        if name != "migrate":
            assert service["healthcheck"]["test"], name


def test_dependencies_wait_for_health_or_completion() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            wanted = "service_completed_successfully" if dependency == "migrate" else "service_healthy"
            assert rule["condition"] == wanted, (name, dependency)
            if wanted == "service_healthy":
                assert "healthcheck" in services[dependency]


def test_migrations_run_once_before_every_api_service() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    apis = [name for name, service in services.items() if is_service_image(service) and name != "migrate"]
    assert sorted(apis) == ["auth-service", "inventory-service", "products-service"]
    for name in apis:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_database_and_media_live_on_named_volumes() -> None:
    named_volumes = set(compose()["volumes"])
    database = [mount.split(":")[0] for mount in by_container("postgres_main")["volumes"]]
    media = [mount.split(":")[0] for mount in by_container("products_service")["volumes"]]
    assert set(database) & named_volumes
    assert set(media) & named_volumes


def test_mail_catcher_receives_auth_mail_and_shows_its_ui() -> None:
    services = compose()["services"]
    mailpit = services["mailpit"]
    assert "127.0.0.1:8025:8025" in mailpit["ports"]
    auth = compose_env(services["auth-service"])
    assert auth["SMTP_HOST"] == "mailpit"
    assert auth["SMTP_PORT"] == "1025"
    assert auth["SMTP_SECURITY"] == "none"  # Mailpit speaks plain SMTP


def test_compose_runs_the_dev_configuration() -> None:
    for name, service in compose()["services"].items():
        if is_service_image(service):
            assert compose_env(service)["MICROSHOP_ENV"] == "dev", name


def test_secrets_are_overridable_from_the_environment() -> None:
    raw = compose_raw()["services"]
    secret_like = ("PASSWORD", "SECRET", "SERVICE_CLIENTS", "DATABASE_URL", "PRIVATE_KEY")
    for name, service in raw.items():
        for key, value in compose_env(service).items():
            if any(marker in key for marker in secret_like) and not key.endswith("_FILE"):
                assert "${" in value, f"{name}: {key} is fixed in compose.yaml"


def test_read_only_service_containers_can_write_where_their_settings_point() -> None:
    # The root filesystem is read-only: the metrics, media and key paths must be tmpfs or volumes.
    for name, service in compose()["services"].items():
        if not is_service_image(service):
            continue
        assert service["read_only"] is True
        writable = {entry.split(":")[0] for entry in service.get("tmpfs", [])}
        writable |= {mount.split(":")[1] for mount in service.get("volumes", [])}
        env = compose_env(service)
        for variable in ("PROMETHEUS_MULTIPROC_DIR", "MEDIA_DIR"):
            if variable in env:
                assert env[variable] in writable, (name, variable)
        if "JWT_PRIVATE_KEY_FILE" in env:
            assert env["JWT_PRIVATE_KEY_FILE"].rsplit("/", 1)[0] in writable, name
        if name != "migrate":
            assert "PROMETHEUS_MULTIPROC_DIR" in env and "/tmp" in writable, name


def test_service_tmpfs_belongs_to_the_image_user() -> None:
    # A restarted container's tmpfs comes back as root's 0755 (Docker 20.10) unless its owner is given.
    (user,) = [args for keyword, args in final_stage("Dockerfile.service") if keyword == "USER"]
    uid, gid = user.split(":")
    for name, service in compose()["services"].items():
        for entry in service.get("tmpfs", []) if is_service_image(service) else []:
            path, _, options = entry.partition(":")
            assert {f"uid={uid}", f"gid={gid}"} <= set(options.split(",")), (name, path)


def api_services() -> dict[str, dict]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if is_service_image(service) and name != "migrate"
    }


def test_broker_is_nats_with_jetstream_on_a_named_volume_and_healthy_only_with_jetstream() -> None:
    nats = compose()["services"]["nats"]
    image, _, tag = nats["image"].partition(":")
    assert image == "nats" and tag[:1].isdigit(), "the official image at a pinned version"
    command = nats["command"]
    assert "-js" in command
    store = command[command.index("-sd") + 1]
    monitor = command[command.index("-m") + 1]
    (mount,) = nats["volumes"]
    source, target = mount.split(":")[:2]
    assert target == store and source in compose()["volumes"]
    test = nats["healthcheck"]["test"]
    assert test[:2] == ["CMD", "wget"]
    assert f"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true" in test
    assert "ports" not in nats, "only the services on the compose network reach the broker"


@pytest.mark.parametrize("name", ["auth-service", "inventory-service", "products-service"])
def test_every_api_service_reaches_the_broker_once_it_is_healthy(name: str) -> None:
    service = api_services()[name]
    assert service["depends_on"]["nats"]["condition"] == "service_healthy"
    settings = make_settings(served_service(service["command"]), compose_env(service))
    (server,) = settings.nats_servers
    parts = urlsplit(server)
    assert (parts.scheme, parts.hostname, parts.port) == ("nats", "nats", 4222)  # the image's client port

"""deploy/k8s: both overlays render with the pinned kubectl and every object is valid Kubernetes."""

import ipaddress
import json
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.support import (
    DEPLOY,
    KUBERNETES_VERSION,
    OVERLAYS,
    container_env,
    named,
    objects,
    render,
    workloads,
)

API_DEPLOYMENTS = ("auth-service", "products-service", "inventory-service")
DEPLOYMENTS = (*API_DEPLOYMENTS, "frontend")


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def label_selector_matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_object_is_valid_kubernetes(overlay: str) -> None:
    errors = []
    for obj in render(overlay):
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message}")
    assert errors == []


def test_validator_rejects_an_invalid_object() -> None:
    deployment = named("prod", "Deployment", "auth-service")
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_deployment_is_replicated_probed_bounded_and_locked_down(overlay: str, name: str) -> None:
    deployment = named(overlay, "Deployment", name)
    assert deployment["spec"]["replicas"] >= 2
    spec = pod_spec(deployment)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] > 0
    assert spec["automountServiceAccountToken"] is False
    emptydirs = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
    for container in spec["containers"]:
        assert container["readinessProbe"]["httpGet"]["path"]
        assert container["livenessProbe"]["httpGet"]["path"]
        assert set(container["resources"]["requests"]) == set(container["resources"]["limits"]) == {"cpu", "memory"}
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        tmp = [mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp"]
        assert tmp and tmp[0]["name"] in emptydirs


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("name", API_DEPLOYMENTS)
def test_prometheus_multiprocess_dir_is_a_writable_volume(overlay: str, name: str) -> None:
    spec = pod_spec(named(overlay, "Deployment", name))
    container = spec["containers"][0]
    directory = container_env(overlay, container)["PROMETHEUS_MULTIPROC_DIR"]
    mount = next(mount for mount in container["volumeMounts"] if mount["mountPath"] == directory)
    assert any(volume["name"] == mount["name"] and "emptyDir" in volume for volume in spec["volumes"])


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_every_deployment_has_a_service_an_autoscaler_and_a_disruption_budget(overlay: str, name: str) -> None:
    deployment = named(overlay, "Deployment", name)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = named(overlay, "Service", name)
    assert label_selector_matches(service["spec"]["selector"], labels)
    hpa = named(overlay, "HorizontalPodAutoscaler", name)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    pdb = named(overlay, "PodDisruptionBudget", name)
    assert label_selector_matches(pdb["spec"]["selector"]["matchLabels"], labels)
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]  # a node drain can always proceed


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_ingress_is_reachable_from_outside_the_cluster(overlay: str) -> None:
    services = objects(overlay, "Service")
    assert services
    assert all(service["spec"].get("type", "ClusterIP") == "ClusterIP" for service in services)
    for workload in workloads(overlay):
        spec = pod_spec(workload)
        assert not spec.get("hostNetwork")
        ports = [port for container in spec["containers"] for port in container.get("ports", [])]
        assert not any("hostPort" in port for port in ports), workload["metadata"]["name"]
    assert objects(overlay, "Ingress")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_once_per_release_in_a_job(overlay: str) -> None:
    jobs = objects(overlay, "Job")
    assert [job["metadata"]["name"] for job in jobs] == ["microshop-migrate"]
    (container,) = pod_spec(jobs[0])["containers"]
    assert container["args"] == ["migrate"]
    for workload in workloads(overlay):
        if workload["kind"] == "Deployment":
            spec = pod_spec(workload)
            commands = [c.get("args", []) for c in spec["containers"] + spec.get("initContainers", [])]
            assert ["migrate"] not in commands


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_media_live_on_the_persistent_volume_claim(overlay: str) -> None:
    spec = pod_spec(named(overlay, "Deployment", "products-service"))
    claim = next(volume for volume in spec["volumes"] if "persistentVolumeClaim" in volume)
    pvc = named(overlay, "PersistentVolumeClaim", claim["persistentVolumeClaim"]["claimName"])
    container = spec["containers"][0]
    mount = next(mount for mount in container["volumeMounts"] if mount["name"] == claim["name"])
    assert container_env(overlay, container)["MEDIA_DIR"] == mount["mountPath"]
    # Every replica mounts it: ReadWriteMany, except dev's single-node clusters (ReadWriteOnce).
    assert pvc["spec"]["accessModes"] == (["ReadWriteOnce"] if overlay == "dev" else ["ReadWriteMany"])


def test_dev_runs_its_own_postgresql_and_example_secrets() -> None:
    statefulset = named("dev", "StatefulSet", "postgres")
    assert statefulset["spec"]["replicas"] == 1
    assert named("dev", "Service", "postgres")["spec"]["clusterIP"] == "None"
    auth = pod_spec(named("dev", "Deployment", "auth-service"))["containers"][0]
    env = container_env("dev", auth)
    assert env["AUTH_DATABASE_URL"].startswith("postgresql://user_db:admin123@postgres:5432/")
    assert env["JWT_PRIVATE_KEY"].startswith("-----BEGIN PRIVATE KEY-----")
    assert env["MICROSHOP_ENV"] == "dev"


def test_prod_uses_an_external_database_and_secrets_made_beforehand() -> None:
    assert objects("prod", "StatefulSet") == []
    assert objects("prod", "Secret") == []  # nothing secret in the repository
    for workload in workloads("prod"):
        for container in pod_spec(workload)["containers"]:
            if container.get("args", [""])[0] not in ("serve", "migrate"):
                continue  # the web container reads no microshop settings
            env = container_env("prod", container)
            assert env["MICROSHOP_ENV"] == "production"
            for item in container.get("env", []):
                if item["name"].endswith("DATABASE_URL"):
                    assert item["valueFrom"]["secretKeyRef"]["name"] == "microshop-database"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_referenced_secret_exists_or_is_documented(overlay: str) -> None:
    readme = (DEPLOY / "README.md").read_text()
    rendered = {secret["metadata"]["name"] for secret in objects(overlay, "Secret")}
    for workload in workloads(overlay):
        for container in pod_spec(workload)["containers"]:
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref is None:
                    continue
                if overlay == "dev" and not ref.get("optional"):
                    assert ref["name"] in rendered, ref
                if overlay == "prod":
                    base_name = ref["name"]
                    assert f"`{base_name}`" in readme and f"`{ref['key']}`" in readme, ref


def _trusted_proxies(literals: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    values = [literal.split("=", 1)[1] for literal in literals if literal.startswith("TRUSTED_PROXIES=")]
    assert len(values) == 1
    return [ipaddress.ip_network(entry, strict=False) for entry in json.loads(values[0])]


def test_the_base_trusts_no_private_range_as_a_proxy() -> None:
    base = yaml.safe_load((DEPLOY / "k8s" / "base" / "kustomization.yaml").read_text())
    config = next(item for item in base["configMapGenerator"] if item["name"] == "microshop-config")
    trusted = _trusted_proxies(config["literals"])
    assert all(network.is_loopback for network in trusted), trusted


def test_prod_trusts_exact_proxy_addresses_not_whole_private_ranges() -> None:
    auth = named("prod", "Deployment", "auth-service")
    env = container_env("prod", pod_spec(auth)["containers"][0])
    trusted = _trusted_proxies([f"TRUSTED_PROXIES={env['TRUSTED_PROXIES']}"])
    assert all(network.prefixlen >= (24 if network.version == 4 else 64) for network in trusted), trusted


def _flag(args: list[str], name: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in args if arg.startswith(f"--{name}=")]
    return value


def test_dev_runs_a_three_node_nats_cluster_with_jetstream_on_a_volume_per_pod() -> None:
    statefulset = named("dev", "StatefulSet", "nats")
    spec = statefulset["spec"]
    assert spec["replicas"] == 3 and spec["podManagementPolicy"] == "Parallel"
    (container,) = pod_spec(statefulset)["containers"]
    args = container["args"]
    assert "--jetstream" in args
    store = _flag(args, "store_dir")
    (claim,) = spec["volumeClaimTemplates"]
    assert any(m["name"] == claim["metadata"]["name"] and m["mountPath"] == store for m in container["volumeMounts"])
    assert claim["spec"]["resources"]["requests"]["storage"]

    headless = named("dev", "Service", spec["serviceName"])
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"client": 4222, "cluster": 6222, "monitor": 8222}
    routes = _flag(args, "routes").split(",")
    assert routes == [f"nats://nats-{i}.{spec['serviceName']}:{ports['cluster']}" for i in range(3)]
    assert _flag(args, "cluster_name") and _flag(args, "server_name") == "$(POD_NAME)"
    assert _flag(args, "http_port") == str(ports["monitor"])

    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"].startswith("/healthz") and check["port"] == "monitor", probe
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz?js-enabled-only=true"

    security = pod_spec(statefulset)["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] > 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    labels = spec["template"]["metadata"]["labels"]
    client = named("dev", "Service", "nats")
    assert label_selector_matches(client["spec"]["selector"], labels)
    assert client["spec"].get("clusterIP") != "None"
    assert [(p["port"], p["targetPort"]) for p in client["spec"]["ports"]] == [(4222, "client")]
    assert named("dev", "PodDisruptionBudget", "nats")["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("name", API_DEPLOYMENTS)
def test_every_api_service_gets_nats_url_from_a_secret(overlay: str, name: str) -> None:
    (container,) = pod_spec(named(overlay, "Deployment", name))["containers"]
    (item,) = [item for item in container.get("env", []) if item["name"] == "NATS_URL"]
    ref = item["valueFrom"]["secretKeyRef"]
    assert ref["key"] == "NATS_URL" and not ref.get("optional")
    # dev's generated Secret carries kustomize's content hash: microshop-nats-<hash>.
    assert ref["name"] == "microshop-nats" if overlay == "prod" else ref["name"].startswith("microshop-nats-")
    url = container_env(overlay, container)["NATS_URL"]
    if overlay == "prod":
        assert url is None, "prod's broker is external: its Secret is created beforehand, never rendered"
    else:
        assert url == "nats://nats:4222", "dev's own cluster, through its client Service"


def test_dev_keeps_every_event_stream_on_every_nats_pod() -> None:
    replicas = named("dev", "StatefulSet", "nats")["spec"]["replicas"]
    for name in API_DEPLOYMENTS:
        (container,) = pod_spec(named("dev", "Deployment", name))["containers"]
        assert container_env("dev", container)["EVENTS_REPLICAS"] == str(replicas), name


def test_prod_deploys_no_broker() -> None:
    assert not [obj for obj in render("prod") if obj["metadata"]["name"].startswith("nats")]

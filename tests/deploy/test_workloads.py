"""What an SRE relies on in each overlay: every process deployed twice with
probes, resources, a disruption budget and network policies, run as a
restricted non-root user, scaled on the right signal, and no secret value in
the manifests."""

from __future__ import annotations

import re
from typing import Any

from pmc import registry
from pmc.cli import build_parser
from tests.deploy.conftest import ROOT, of_kind

# Operators' generated secrets, and the secrets an operator creates by hand
# (README.md, "Kubernetes"): the only secrets the manifests may reference.
# Each process's own broker user: pmc-amqp-<process>.
BROKER_USERS = {
    f"pmc-amqp-{name}" for name in (*registry.APPLICATIONS, "relay", "gateway")
}
KNOWN_SECRETS = {
    "pmc-rabbitmq-default-user",
    "pmc-postgres-app",
    "pmc-secret-key",
    "pmc-context-secret",
    *BROKER_USERS,
    "pmc-key-encryption-key",
    "pmc-keystore",
    "pmc-keystore-role",
}
# Settings that hold a secret: never a literal value.
SECRET_SETTINGS = re.compile(r"PASSWORD|SECRET|KEY|TOKEN|AMQP_URI|CREDENTIAL")
# Read by the probe server of every process (issue 16's probes and metrics),
# written alongside these manifests: allowed before that code lands.
PROBE_SETTINGS = {"PMC_PROBE_ADDRESS"}
# Read by OpenSSL when a process checks the broker's certificate.
OPENSSL_SETTINGS = {"SSL_CERT_FILE"}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def _pod(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = _pod(workload)["spec"]["containers"]
    return container


def _named(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in of_kind(manifests, kind)}


def test_every_process_kind_runs_twice(manifests: list[dict[str, Any]]) -> None:
    deployments = _named(manifests, "Deployment")
    expected = {f"pmc-{name}" for name in registry.SERVICE_CLASSES} | {"pmc-relay"}
    assert set(deployments) == expected
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, name


def test_each_container_runs_a_real_pmc_command(
    manifests: list[dict[str, Any]],
) -> None:
    parser = build_parser()
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        args = parser.parse_args(_container(workload)["args"])
        name = workload["metadata"]["name"]
        if args.command == "serve":
            assert name == f"pmc-{args.name}"
            assert args.name in registry.SERVICE_CLASSES
        else:
            assert name == f"pmc-{args.command}"
            assert args.command in ("relay", "migrate")


def test_every_deployment_has_probes_resources_a_budget_and_a_policy(
    manifests: list[dict[str, Any]],
) -> None:
    budgets = of_kind(manifests, "PodDisruptionBudget")
    policies = of_kind(manifests, "NetworkPolicy")
    for deployment in of_kind(manifests, "Deployment"):
        name = deployment["metadata"]["name"]
        container = _container(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == 9000, name
        for probe, path in (
            ("livenessProbe", "/health/live"),
            ("readinessProbe", "/health/ready"),
        ):
            check = container[probe]["httpGet"]
            assert (check["path"], ports[check["port"]]) == (path, 9000), name
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound]), name
        labels = _pod(deployment)["metadata"]["labels"]
        assert any(_selects(b["spec"]["selector"], labels) for b in budgets), name
        own = [
            p["spec"] for p in policies if _selects(p["spec"]["podSelector"], labels)
        ]
        # Its own egress rules, on top of a policy that denies everything else.
        assert any(p.get("egress") for p in own), name
        assert any(
            set(p["policyTypes"]) == {"Ingress", "Egress"}
            and not p.get("ingress")
            and not p.get("egress")
            for p in own
        ), name


def test_every_pod_runs_restricted(manifests: list[dict[str, Any]]) -> None:
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        name = workload["metadata"]["name"]
        pod = _pod(workload)["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        context = _container(workload)["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"]["drop"] == ["ALL"], name
        writable = {
            m["mountPath"]: m["name"] for m in _container(workload)["volumeMounts"]
        }
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[writable["/tmp"]], name


def test_no_secret_value_is_written_in_the_manifests(
    manifests: list[dict[str, Any]], rendered: str
) -> None:
    assert of_kind(manifests, "Secret") == []
    for config in of_kind(manifests, "ConfigMap"):
        for key in config.get("data", {}):
            assert not SECRET_SETTINGS.search(key), key
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        for env in _container(workload).get("env", []):
            name = env["name"]
            if SECRET_SETTINGS.search(name) or name.startswith("POSTGRES_"):
                assert "value" not in env, name
                assert env["valueFrom"]["secretKeyRef"]["name"] in KNOWN_SECRETS
    # No credentials inside a URL anywhere (amqp://user:password@…).
    assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", rendered)


def test_every_setting_the_manifests_give_is_one_the_code_reads(
    manifests: list[dict[str, Any]],
) -> None:
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("services", "gateway", "pmc")
        for path in (ROOT / folder).rglob("*.py")
    )
    given = {key for c in of_kind(manifests, "ConfigMap") for key in c["data"]}
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        given |= {env["name"] for env in _container(workload).get("env", [])}
    unread = {
        name
        for name in given - PROBE_SETTINGS - OPENSSL_SETTINGS
        if f'"{name}"' not in code
    }
    assert unread == set()


def test_consumers_scale_on_their_own_queues_and_the_gateway_on_cpu(
    manifests: list[dict[str, Any]],
) -> None:
    scaled = {
        s["spec"]["scaleTargetRef"]["name"]: s
        for s in of_kind(manifests, "ScaledObject")
    }
    services = [name for name in registry.SERVICE_CLASSES if name != "gateway"]
    assert set(scaled) == {f"pmc-{name}" for name in services}
    queues = [s.queue_name for s in registry.subscriptions()]
    for name in services:
        (trigger,) = scaled[f"pmc-{name}"]["spec"]["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert scaled[f"pmc-{name}"]["spec"]["minReplicaCount"] >= 2
        pattern = re.compile(trigger["metadata"]["queueName"])
        own = {q for q in queues if q.split("--")[1].startswith(f"{name}.")}
        own.add(f"rpc-{name}")
        matched = {
            q for q in queues + [f"rpc-{s}" for s in services] if pattern.search(q)
        }
        assert matched == own, name
        # Waiting retries and dead letters are no reason for more replicas.
        for queue in own:
            assert not pattern.search(f"{queue}.dead")
            assert not pattern.search(f"{queue}.retry.1000ms")
    (hpa,) = of_kind(manifests, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "pmc-gateway"
    assert hpa["spec"]["minReplicas"] >= 2
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def _peer(labels: dict[str, str] | None) -> frozenset[tuple[str, str]]:
    return frozenset((labels or {}).items())


def test_network_policies_open_only_what_each_process_needs(
    manifests: list[dict[str, Any]],
) -> None:
    (rabbit,) = of_kind(manifests, "RabbitmqCluster")
    (postgres,) = of_kind(manifests, "Cluster")
    # Reached by the labels the operators put on their pods.
    # AMQP over TLS only (README.md, "Broker credentials").
    broker = (_peer({"app.kubernetes.io/name": rabbit["metadata"]["name"]}), 5671)
    database = (_peer({"cnpg.io/cluster": postgres["metadata"]["name"]}), 5432)
    smtp = (_peer(None), 587)
    expected = {name: {broker, database} for name in registry.APPLICATIONS}
    expected["notifier"] = {broker, database, smtp}
    expected["relay"] = {broker, database}
    expected["gateway"] = {broker, database}
    expected["migrate"] = {database}
    policies = _named(manifests, "NetworkPolicy")
    for name, allowed in expected.items():
        reached = set()
        for rule in policies[f"pmc-{name}"]["spec"]["egress"]:
            for peer in rule.get("to") or [{}]:
                labels = peer.get("podSelector", {}).get("matchLabels")
                reached |= {(_peer(labels), port["port"]) for port in rule["ports"]}
        assert reached == allowed, name
    gateway_in = policies["pmc-gateway"]["spec"]["ingress"]
    (rule,) = gateway_in
    assert rule["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }
    assert [p["port"] for p in rule["ports"]] == [8000]
    scraping = policies["pmc-allow-scraping"]["spec"]["ingress"]
    assert [p["port"] for r in scraping for p in r["ports"]] == [9000]


def test_the_gateway_ingress_limits_requests(manifests: list[dict[str, Any]]) -> None:
    (ingress,) = of_kind(manifests, "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == "2m"
    assert int(notes["nginx.ingress.kubernetes.io/limit-rps"]) > 0
    (rule,) = ingress["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "pmc-gateway", "port": {"name": "http"}}


def test_prometheus_scrapes_every_process_and_alerts_on_lag_and_errors(
    manifests: list[dict[str, Any]],
) -> None:
    (monitor,) = of_kind(manifests, "ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")
    services = of_kind(manifests, "Service")
    scraped = {
        s["spec"]["selector"]["app.kubernetes.io/name"]
        for s in services
        if _selects(monitor["spec"]["selector"], s["metadata"]["labels"])
        and any(
            p["name"] == "metrics" and p["port"] == 9000 for p in s["spec"]["ports"]
        )
    }
    assert scraped == {d["metadata"]["name"] for d in of_kind(manifests, "Deployment")}
    (rules,) = of_kind(manifests, "PrometheusRule")
    expressions = " ".join(
        rule["expr"] for group in rules["spec"]["groups"] for rule in group["rules"]
    )
    for metric in (
        "pmc_relay_lag_seconds",
        "pmc_consumer_lag_messages",
        "pmc_projection_lag_events",
        "pmc_parked_events",
        'pmc_rpc_requests_total{outcome="error"}',
        'pmc_http_requests_total{status=~"5.."}',
    ):
        assert metric in expressions


def test_production_fails_closed_and_only_the_dev_cluster_runs_the_simulator(
    overlay: str, manifests: list[dict[str, Any]]
) -> None:
    """Production fails closed: without a strong secret key or a real card
    provider its processes refuse to start (services/common/settings.py). The
    development cluster runs the card simulator, so development mode."""
    config = _named(manifests, "ConfigMap")["pmc-config"]
    expected = "development" if overlay == "dev" else "production"
    assert config["data"]["PMC_MODE"] == expected
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        env = {e["name"]: e for e in _container(workload).get("env", [])}
        assert "PMC_MODE" not in env, workload["metadata"]["name"]


def test_the_keys_live_under_a_role_of_their_own(
    manifests: list[dict[str, Any]],
) -> None:
    """The platform's role reads every sealed event: the keys that open them
    belong to another role, which the database cluster creates with its own
    password, and which every process reaches through its own DSN."""
    (cluster,) = of_kind(manifests, "Cluster")
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    (role,) = [
        r for r in cluster["spec"]["managed"]["roles"] if r["name"] == "pmc_keys"
    ]
    assert role["login"] and not role.get("superuser")
    assert role["passwordSecret"]["name"] in KNOWN_SECRETS
    assert initdb["owner"] != "pmc_keys"
    assert (
        "CREATE SCHEMA keystore AUTHORIZATION pmc_keys"
        in (initdb["postInitApplicationSQL"])
    )
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        env = {e["name"]: e for e in _container(workload).get("env", [])}
        dsn = env["PMC_KEYSTORE_DSN"]["valueFrom"]["secretKeyRef"]["name"]
        assert dsn == "pmc-keystore", workload["metadata"]["name"]


def test_each_process_talks_to_the_broker_as_its_own_user_over_tls(
    manifests: list[dict[str, Any]],
) -> None:
    """Not the operator's administrator: each process its own broker user
    (amqps, permissions of its own), and every process checks the broker's
    certificate and the acting-school context's signature."""
    (rabbit,) = of_kind(manifests, "RabbitmqCluster")
    assert rabbit["spec"]["tls"]["secretName"]
    users = set()
    for workload in of_kind(manifests, "Deployment"):
        env = {e["name"]: e for e in _container(workload).get("env", [])}
        name = workload["metadata"]["name"]
        user = env["AMQP_URI"]["valueFrom"]["secretKeyRef"]
        assert user["name"] == name.replace("pmc-", "pmc-amqp-", 1), name
        users.add(user["name"])
        assert env["SSL_CERT_FILE"]["value"].startswith("/etc/pmc/rabbitmq-ca/")
        secret = env["PMC_CONTEXT_SECRET"]["valueFrom"]["secretKeyRef"]
        assert secret["name"] == "pmc-context-secret", name
    assert users == BROKER_USERS

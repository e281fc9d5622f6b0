"""Every rendered object is one the API server of a pinned Kubernetes version,
with the operators' CRDs installed, would accept: no unknown field, no wrong
type, nothing required missing."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from tests.deploy.conftest import ROOT, kustomize

# The oldest release the manifests target; kubernetes-validate is pinned too.
KUBERNETES_VERSION = "1.33.0"
SCHEMAS = Path(__file__).parent / "schemas"


def _strict(schema: Any) -> Any:
    """A CRD schema as the API server applies it with strict field validation
    (kubectl's default): a field no schema declares is refused, except where
    the CRD keeps unknown fields."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if (
        "properties" in strict
        and "additionalProperties" not in strict
        and not strict.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


@functools.cache
def crd_validators() -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    """(apiVersion, kind) -> validator, from tests/deploy/schemas (the
    operators' published CRDs, see the head of each file)."""
    found = {}
    for path in sorted(SCHEMAS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[(crd["apiVersion"], crd["kind"])] = jsonschema.Draft7Validator(
            _strict(crd["schema"])
        )
    return found


def problems(obj: dict[str, Any]) -> list[str]:
    """Why the API server would refuse `obj` (nothing if it would accept it)."""
    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    validator = crd_validators().get((obj.get("apiVersion"), obj.get("kind")))
    if validator is not None:
        return [
            f"{name}: {'.'.join(map(str, error.path))}: {error.message}"
            for error in validator.iter_errors(obj)
        ]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"{name}: {exc.message}"]
    except kubernetes_validate.ValidationError as exc:
        return [f"{name}: {'.'.join(map(str, exc.path))}: {exc.message}"]
    return []


def test_each_overlay_renders_the_whole_platform(
    manifests: list[dict[str, Any]],
) -> None:
    kinds = {m["kind"] for m in manifests}
    assert {
        "Namespace",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Job",
        "RabbitmqCluster",
        "Cluster",
        "ScaledObject",
        "ServiceMonitor",
        "PrometheusRule",
    } <= kinds


def test_every_rendered_object_matches_its_schema(
    manifests: list[dict[str, Any]],
) -> None:
    found = [problem for obj in manifests for problem in problems(obj)]
    assert found == []


def test_a_wrong_field_or_type_is_caught(manifests: list[dict[str, Any]]) -> None:
    """The checks above can fail: one misspelt field or wrong type, in a
    built-in object and in each operator's, is refused."""
    deployment = copy.deepcopy(next(m for m in manifests if m["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    assert problems(deployment)
    for kind in ("RabbitmqCluster", "Cluster", "ScaledObject", "PrometheusRule"):
        obj = copy.deepcopy(next(m for m in manifests if m["kind"] == kind))
        assert problems(obj) == []
        obj["spec"]["replicaz"] = 3
        assert problems(obj), kind
    rabbit = copy.deepcopy(next(m for m in manifests if m["kind"] == "RabbitmqCluster"))
    rabbit["spec"]["replicas"] = "three"
    assert problems(rabbit)


def test_the_base_renders_too() -> None:
    assert "kind: Deployment" in kustomize(ROOT / "deploy" / "k8s" / "base")

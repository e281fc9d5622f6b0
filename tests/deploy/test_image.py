"""The container image is written, not built here (no engine on these
machines): what it holds must be what the tests run. Its Python is theirs,
its packages are pyproject.toml's pins, its commands are pmc's, and it runs as
the user the manifests name."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

from gateway.pages import VENDORED
from pmc.cli import build_parser
from tests.deploy.conftest import ROOT, objects

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's (INSTRUCTION, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_the_image_runs_the_python_the_tests_run() -> None:
    bases = {args.split()[0] for word, args in instructions() if word == "FROM"}
    (base,) = {b for b in bases if b.startswith("python:")}
    match = re.fullmatch(r"python:(3)\.(\d+)\.(\d+)-slim-bookworm", base)
    assert match, base
    minor = f"3.{match[2]}"
    assert minor == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f">={minor}" in PYPROJECT["project"]["requires-python"]


def test_the_image_installs_exactly_the_pinned_dependencies() -> None:
    for requirement in PYPROJECT["project"]["dependencies"]:
        assert re.fullmatch(r"[\w.\-\[\]]+==[\w.]+", requirement), requirement
    run = " ".join(args for word, args in instructions() if word == "RUN")
    assert '["project"]["dependencies"]' in run
    assert "--only-binary=:all:" in run


def test_the_image_holds_the_platforms_packages_and_nothing_else() -> None:
    copied = {
        args.split()[0]
        for word, args in final_stage()
        if word == "COPY" and "--from" not in args
    }
    packages = {
        pattern.rstrip("*")
        for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert copied == packages
    # .dockerignore leaves out everything, then lets in just those.
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*"
    allowed = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    assert allowed == packages | {"pyproject.toml", "package.json", "package-lock.json"}


def test_the_image_serves_the_map_library_the_pages_load() -> None:
    # The gateway serves Leaflet from node_modules (gateway/pages.py): the
    # image must hold every file it names, built by the node the tests use.
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    major = node.stdout.strip().lstrip("v").split(".")[0]
    bases = [args.split()[0] for word, args in instructions() if word == "FROM"]
    assert any(b.startswith(f"node:{major}.") for b in bases), bases
    copied = [
        args.split()[-1]
        for word, args in final_stage()
        if word == "COPY" and "--from=browser-libraries" in args
    ]
    for path in VENDORED.values():
        wanted = f"/app/node_modules/{path}"
        assert any(wanted.startswith(f"{c}/") for c in copied), path


def test_the_image_runs_pmc_as_the_manifests_user() -> None:
    stage = dict(final_stage())
    entrypoint = json.loads(stage["ENTRYPOINT"])
    assert entrypoint == ["python", "-m", "pmc.cli"]
    default = build_parser().parse_args(json.loads(stage["CMD"]))
    assert (default.command, default.name) == ("serve", "gateway")
    user = stage["USER"].split(":")[0]
    assert user.isdigit() and int(user) >= 10000
    for obj in objects("prod"):
        if obj["kind"] in ("Deployment", "Job"):
            pod = obj["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsUser"] == int(user)


def test_the_image_defaults_to_production_mode() -> None:
    env = " ".join(args for word, args in final_stage() if word == "ENV")
    assert "PMC_MODE=production" in env.split()

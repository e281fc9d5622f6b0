"""The policy scanner (checkov, pinned in deploy/scanner-requirements.txt) finds
nothing wrong in either overlay nor in the Dockerfile. Its severities need a
paid platform key, so every failed check counts; a check may only be skipped
with a written reason, in an annotation of the object it does not apply to."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import OVERLAYS, ROOT, rendered_overlay

CHECKOV = ROOT / ".venv-scanner" / "bin" / "checkov"
# A copy of prod with one container allowed to escalate: proves the scan can fail.
WEAKENED = "weakened.yaml"


@functools.cache
def scanned() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """file -> passed/failed/skipped checks, from one run of the scanner over
    both overlays, the weakened copy and the Dockerfile (one start: seconds)."""
    assert CHECKOV.exists(), f"{CHECKOV} is missing: scripts/test.sh installs it"
    folder = Path(tempfile.mkdtemp(prefix="pmc-scan-"))
    try:
        for overlay in OVERLAYS:
            (folder / f"{overlay}.yaml").write_text(rendered_overlay(overlay))
        weakened = rendered_overlay("prod").replace(
            "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1
        )
        (folder / WEAKENED).write_text(weakened)
        shutil.copy(ROOT / "Dockerfile", folder / "Dockerfile")
        done = subprocess.run(
            [
                str(CHECKOV),
                "--directory",
                str(folder),
                "--framework",
                "kubernetes",
                "dockerfile",
                "--output",
                "json",
                "--compact",
                # Offline: no download of the platform's check metadata.
                "--skip-download",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    reports = json.loads(done.stdout)
    by_file: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for report in reports if isinstance(reports, list) else [reports]:
        results = report["results"]
        assert results["parsing_errors"] == []
        for outcome in ("passed_checks", "failed_checks", "skipped_checks"):
            for check in results[outcome]:
                by_file[check["file_path"].lstrip("/")][outcome].append(check)
    return by_file


@pytest.mark.parametrize("file", [f"{overlay}.yaml" for overlay in OVERLAYS])
def test_the_scanner_finds_nothing_and_every_skip_says_why(file: str) -> None:
    results = scanned()[file]
    failed = [
        f"{c['check_id']} {c['check_name']}: {c['resource']}"
        for c in results["failed_checks"]
    ]
    assert failed == []
    assert len(results["passed_checks"]) > 100
    for skipped in results["skipped_checks"]:
        reason = skipped["check_result"].get("suppress_comment", "")
        assert len(reason) > 40, (skipped["check_id"], skipped["resource"], reason)


def test_the_scanner_finds_nothing_in_the_dockerfile() -> None:
    results = scanned()["Dockerfile"]
    assert [c["check_id"] for c in results["failed_checks"]] == []
    assert results["skipped_checks"] == []
    assert len(results["passed_checks"]) > 10


def test_the_scanner_reports_a_weakened_container() -> None:
    """The scans above can fail: a container allowed to escalate is reported."""
    failed = {c["check_id"] for c in scanned()[WEAKENED]["failed_checks"]}
    assert failed == {"CKV_K8S_20"}

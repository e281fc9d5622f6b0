"""How the end-to-end files are shared between the processes that run them.

scripts/test.sh runs the end-to-end files in two processes, each with a
platform of its own. A file weighs the seconds it took in CI
(`tests/e2e/seconds.json`, setup and teardown included); a file not measured
yet weighs the measured median per test function times its functions. Files
go, heaviest first, to the lightest share so far, so that the shares end
about together. Every process collects the same items: shares never overlap.

PMC_TEST_RECORD_SECONDS=FILE makes a run write what each file took, merged
into FILE, to refresh the weights from a CI run on the 2-core machine.
"""

from __future__ import annotations

import fcntl
import json
import os
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

MEASURED = Path(__file__).parent / "e2e" / "seconds.json"


def _measured() -> dict[str, float]:
    try:
        return json.loads(MEASURED.read_text())["files"]
    except FileNotFoundError:
        return {}


def weights(items: list[Any]) -> dict[Path, float]:
    """Each collected file's expected seconds."""
    functions = Counter(path for path, _ in {(i.path, i.originalname) for i in items})
    measured = _measured()
    per_function = statistics.median(
        [
            measured[path.name] / count
            for path, count in functions.items()
            if path.name in measured
        ]
        or [5.0]
    )
    return {
        path: measured.get(path.name, per_function * count)
        for path, count in functions.items()
    }


def keep_share(config: pytest.Config, items: list[Any], shard: str) -> None:
    """Keep in `items` the k-th of n shares (`shard` is "k/n")."""
    index, count = (int(part) for part in shard.split("/"))
    weight = weights(items)
    shares: list[list[Path]] = [[] for _ in range(count)]
    for path in sorted(weight, key=lambda p: (-weight[p], str(p))):
        lightest = min(shares, key=lambda share: sum(weight[p] for p in share))
        lightest.append(path)
    kept = set(shares[index])
    config.hook.pytest_deselected(items=[i for i in items if i.path not in kept])
    items[:] = [i for i in items if i.path in kept]


class SecondsRecorder:
    """Adds up each file's setup, call and teardown; merges them into a file."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[Path(report.fspath).name] += report.duration

    def pytest_sessionfinish(self) -> None:
        # The shards finish about together: one writes at a time.
        with self.target.open("a+") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(0)
            known = json.loads(file.read() or '{"files": {}}')
            files = known["files"] | {n: round(s) for n, s in self.seconds.items()}
            known["files"] = dict(sorted(files.items()))
            file.seek(0)
            file.truncate()
            file.write(json.dumps(known, indent=1) + "\n")


def register_recorder(config: pytest.Config) -> None:
    target = os.environ.get("PMC_TEST_RECORD_SECONDS")
    if target:
        config.pluginmanager.register(SecondsRecorder(Path(target)), "pmc-seconds")

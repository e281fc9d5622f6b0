"""Where a request's CPU goes: CPU seconds per process kind during a phase of a
benchmark, divided by the requests answered in it.

Reads /proc for the platform's processes (by their label) and for the machine's
PostgreSQL and RabbitMQ servers and this benchmark itself, so that the cost of a
hold can be compared with the cost of a trivial request kind by kind.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from pmc.launcher import Launcher

TICK = os.sysconf("SC_CLK_TCK")
# Servers the platform shares with the rest of the machine, by command name.
SERVERS = {"postgres": "postgresql", "beam.smp": "rabbitmq"}


def _cpu_of(pid: int) -> tuple[str, float] | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            head, tail = stat.read().rsplit(")", 1)
    except OSError:
        return None
    fields = tail.split()
    return head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / TICK


def snapshot(launcher: Launcher) -> Counter[str]:
    """CPU seconds used so far, per process kind (`booking`, `relay`, …)."""
    used: Counter[str] = Counter()
    mine = {process.pid: label for label, process in launcher.processes.items()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        found = _cpu_of(pid)
        if found is None:
            continue
        command, seconds = found
        if pid in mine:
            used[mine[pid].split("#")[0]] += seconds
        elif command in SERVERS:
            used[SERVERS[command]] += seconds
        elif pid == os.getpid():
            used["benchmark client"] += seconds
    return used


@contextmanager
def per_request(
    launcher: Launcher, what: str, enabled: bool = True
) -> Iterator[list[int]]:
    """Print, after the block, the CPU milliseconds per answered request of
    each process kind; the block appends the count of requests answered."""
    answered: list[int] = []
    if not enabled:
        yield answered
        return
    before = snapshot(launcher)
    yield answered
    spent = snapshot(launcher) - before
    count = max(sum(answered), 1)
    parts = ", ".join(
        f"{kind} {seconds * 1000 / count:.2f}" for kind, seconds in spent.most_common()
    )
    total = sum(spent.values()) * 1000 / count
    print(f"  CPU ms per request, {what}: total {total:.2f} ({parts})")

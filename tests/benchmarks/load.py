"""A small HTTP load generator for the benchmarks: asyncio over kept-alive
HTTP/1.1 connections, so that the client spends little of the machine's CPU
(the platform and its client share two cores here)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str
    token: str
    body: dict[str, Any] | None = None


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Figures:
    """What a run measured."""

    answers: list[Answer] = field(default_factory=list)
    elapsed: float = 0.0
    dropped: int = 0

    @property
    def rate(self) -> float:
        return len(self.answers) / self.elapsed if self.elapsed else 0.0

    @property
    def statuses(self) -> dict[int, int]:
        return dict(Counter(a.status for a in self.answers))

    def quantile_ms(self, q: int) -> float:
        latencies = [a.seconds for a in self.answers]
        if len(latencies) < 2:
            return latencies[0] * 1000 if latencies else 0.0
        return statistics.quantiles(latencies, n=100)[q - 1] * 1000

    def line(self, what: str) -> str:
        return (
            f"{what}: {self.rate:7.1f}/s, p50 {self.quantile_ms(50):6.0f} ms,"
            f" p99 {self.quantile_ms(99):6.0f} ms, answers {self.statuses}"
            + (f", no answer {self.dropped}" if self.dropped else "")
        )


class Connection:
    """One kept-alive HTTP/1.1 connection."""

    def __init__(self, base: str) -> None:
        url = urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> Answer:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port
            )
        assert self.reader is not None
        body = b"" if request.body is None else json.dumps(request.body).encode()
        head = (
            f"{request.method} {request.path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {request.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        started = time.perf_counter()
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        payload = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return Answer(
            int(status_line.split()[1]), payload, time.perf_counter() - started
        )

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _closed_loop(
    base: str, clients: int, requests: Iterator[Request], figures: Figures
) -> None:
    async def client() -> None:
        connection = Connection(base)
        for request in requests:  # shared: each request is sent once
            try:
                figures.answers.append(await connection.send(request))
            except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
                figures.dropped += 1
                connection.close()
        connection.close()

    await asyncio.gather(*(client() for _ in range(clients)))


def closed_loop(base: str, clients: int, requests: Iterator[Request]) -> Figures:
    """`clients` connections, each sending its next request when answered."""
    figures = Figures()
    started = time.perf_counter()
    asyncio.run(_closed_loop(base, clients, requests, figures))
    figures.elapsed = time.perf_counter() - started
    return figures


def for_seconds(seconds: float, make: Callable[[], Request]) -> Iterator[Request]:
    """Requests made by `make` until `seconds` have passed."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        yield make()


async def _open_loop(
    base: str, rate: float, requests: list[Request], figures: Figures
) -> None:
    idle: list[Connection] = []
    started = time.perf_counter()

    async def one(request: Request) -> None:
        connection = idle.pop() if idle else Connection(base)
        try:
            figures.answers.append(await connection.send(request))
            idle.append(connection)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            figures.dropped += 1
            connection.close()

    tasks = []
    for n, request in enumerate(requests):
        # Sent on schedule, whether or not earlier ones were answered: latency
        # under a fixed offered load, not the closed loop's self-pacing.
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request)))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()


def open_loop(base: str, rate: float, requests: list[Request]) -> Figures:
    """Send `requests` at `rate` per second, each on an idle or new connection."""
    figures = Figures()
    started = time.perf_counter()
    asyncio.run(_open_loop(base, rate, requests, figures))
    figures.elapsed = time.perf_counter() - started
    return figures

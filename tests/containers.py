"""Fallback for machines without a local PostgreSQL and RabbitMQ but with a
Docker engine: start both in containers for the test session (testcontainers).

The python-svc machines run both services locally and have no Docker engine,
so there this module is never used; install the `containers` extra to use it.
"""

from __future__ import annotations

import shutil
import socket
from contextlib import ExitStack
from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoints:
    postgres: dict[str, str]
    amqp_host: str
    amqp_port: int
    management_url: str
    in_containers: bool = False


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def docker_available() -> bool:
    return shutil.which("docker") is not None and _engine_answers()


def _engine_answers() -> bool:
    try:
        import docker  # installed with testcontainers

        docker.from_env().ping()
    except Exception:
        return False
    return True


def start_containers(stack: ExitStack) -> Endpoints:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.postgres import PostgresContainer

    postgres = stack.enter_context(
        PostgresContainer("postgres:15", username="postgres", password="postgres")
    )
    rabbit = stack.enter_context(
        DockerContainer("rabbitmq:3.13-management").with_exposed_ports(5672, 15672)
    )
    wait_for_logs(rabbit, "Server startup complete", timeout=120)
    host = rabbit.get_container_host_ip()
    return Endpoints(
        postgres={
            "POSTGRES_HOST": postgres.get_container_host_ip(),
            "POSTGRES_PORT": str(postgres.get_exposed_port(5432)),
            "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": "postgres",
        },
        amqp_host=host,
        amqp_port=int(rabbit.get_exposed_port(5672)),
        management_url=f"http://guest:guest@{host}:{rabbit.get_exposed_port(15672)}",
        in_containers=True,
    )

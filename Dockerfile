# syntax=docker/dockerfile:1
# The one image of Passer mon code. Every process kind runs from it, chosen by
# its command (README.md, "Container image"; deploy/k8s gives each its own):
#   serve identity | candidates | scheduling | booking | billing | notifier
#   serve gateway        the JSON API and the pages, on 8000
#   relay                the outbox relays
#   migrate              every service's schema and tables, then exit
# Every process serves its probes and metrics on 9000 (PMC_PROBE_ADDRESS).

# The Python the test suite runs (pyproject.toml: requires-python 3.11), the
# same exact tag in both stages: the venv built in the first runs in the second.

FROM python:3.11.7-slim-bookworm AS dependencies
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml /build/pyproject.toml
# Only the runtime dependencies, at the versions pyproject.toml pins (those the
# tests prove together): no test or lint tool in the image.
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("/build/pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /build/requirements.txt \
    && python -m venv /opt/pmc \
    && /opt/pmc/bin/pip install --require-virtualenv --only-binary=:all: -r /build/requirements.txt \
    && /opt/pmc/bin/python -m compileall -q /opt/pmc/lib

# The pages' map library (Leaflet and its clusters), at package-lock.json's
# versions: the gateway serves it from node_modules, the map needs no internet.
# The node the tests' set-up uses (Debian bookworm's nodejs 20).
FROM node:20.20.2-bookworm-slim AS browser-libraries
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM python:3.11.7-slim-bookworm
# The PDFs (invoices, convocations, receipts) are set in DejaVu: without it
# « € » and « — » would print as « ? ». Bookworm's version, pinned.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core=2.37-6 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 pmc \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin pmc \
    && install -d -o 10001 -g 10001 /var/lib/pmc/print-queue
COPY --from=dependencies /opt/pmc /opt/pmc
# The code, owned by root and read-only to the process (the packages
# pyproject.toml declares, with their data files: pages, communes).
COPY services /app/services
COPY gateway /app/gateway
COPY pmc /app/pmc
COPY --from=browser-libraries /build/node_modules/leaflet/dist /app/node_modules/leaflet/dist
COPY --from=browser-libraries /build/node_modules/leaflet.markercluster/dist /app/node_modules/leaflet.markercluster/dist
# Compiled once here: the containers' root filesystem is read-only.
RUN /opt/pmc/bin/python -m compileall -q /app
# An image is a deployment: production unless told otherwise, so a container
# without a strong PMC_SECRET_KEY or a real card provider refuses to start.
ENV PMC_MODE=production
ENV PATH=/opt/pmc/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PSYCOPG_WAIT_FUNC=wait_select \
    PMC_PROBE_ADDRESS=0.0.0.0:9000 \
    WEB_SERVER_ADDRESS=0.0.0.0:8000 \
    PMC_PRINT_FOLDER=/var/lib/pmc/print-queue
WORKDIR /app
USER 10001:10001
EXPOSE 8000 9000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9000/health/live', timeout=2)"]
ENTRYPOINT ["python", "-m", "pmc.cli"]
CMD ["serve", "gateway"]

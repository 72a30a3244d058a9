"""What a service is, as far as result checks care: a PostgreSQL database, a Redis, something
else (each check kind says which it fits).

Decided from the image name (`postgres:16`, `postgis/postgis`, `redis:7`, `bitnami/redis`),
or for a built service from the last `FROM` of its Dockerfile (build args filled in). A
stub is an HTTP API. Anything else is "unknown": envsim cannot tell, and does not object.
"""

from __future__ import annotations

import re

from envsim.config.profile_model import Service

POSTGRES = "postgres"
REDIS = "redis"
STUB = "stub"

_POSTGRES_NAMES = ("postgres", "postgresql", "postgis", "timescaledb", "timescaledb-ha", "pgvector")
_REDIS_NAMES = ("redis", "redis-stack", "redis-stack-server", "valkey", "keydb")
# known, and neither of the above: a check that needs one of them cannot work here
_OTHER_NAMES = {
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "percona": "MySQL",
    "percona-server": "MySQL",
    "mongo": "MongoDB",
    "mongodb": "MongoDB",
    "mssql": "SQL Server",
    "mssql-server": "SQL Server",
    "cockroach": "CockroachDB",
    "memcached": "Memcached",
    "rabbitmq": "RabbitMQ",
    "nats": "NATS",
    "kafka": "Kafka",
    "elasticsearch": "Elasticsearch",
    "nginx": "nginx",
    "httpd": "Apache httpd",
    "python": "Python",
    "node": "Node.js",
    "busybox": "BusyBox",
    "alpine": "Alpine",
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "toxiproxy": "Toxiproxy",
    "mockserver": "MockServer",
}


def image_family(image: str) -> str:
    """`docker.io/bitnami/postgresql:16@sha256:...` -> `postgresql`."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def _dockerfile_base(service: Service) -> str | None:
    if service.build is None:
        return None
    try:
        text = (service.build.context / service.build.dockerfile).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    args = dict(service.build.args)
    base = None
    for line in text.splitlines():
        words = line.strip().split()
        if len(words) >= 2 and words[0].upper() == "ARG" and "=" in words[1]:
            key, _, value = words[1].partition("=")
            args.setdefault(key, value.strip("\"'"))
        elif len(words) >= 2 and words[0].upper() == "FROM":
            candidate = [w for w in words[1:] if not w.startswith("--")]
            if candidate:
                base = candidate[0]
    if base is None:
        return None
    resolved = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m.group(1), "\0"), base)
    return None if "\0" in resolved else resolved


def service_kind(service: Service) -> tuple[str, str]:
    """(kind, description): kind is postgres, redis, stub, other or unknown."""
    if service.stub is not None:
        return STUB, "a stub (an HTTP API)"
    image = service.image or _dockerfile_base(service)
    if image is None:
        return "unknown", "a built image"
    return image_kind(image)


def image_kind(image: str) -> tuple[str, str]:
    """(kind, description) of a service running `image`: postgres, redis, other or unknown."""
    family = image_family(image)
    if family.startswith("postgres") or family in _POSTGRES_NAMES:
        return POSTGRES, f"PostgreSQL (image {image})"
    if family.startswith("redis") or family in _REDIS_NAMES:
        return REDIS, f"Redis (image {image})"
    if family in _OTHER_NAMES:
        return "other", f"{_OTHER_NAMES[family]} (image {image})"
    return "unknown", f"image {image}"

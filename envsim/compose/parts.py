"""Converting single compose values: ports, durations, healthchecks, sizes, volumes."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

# Well-known container ports get a readable name (it shows up in proxy names: `db-pg`).
PORT_NAMES = {
    5432: "pg",
    6379: "redis",
    3306: "mysql",
    27017: "mongo",
    5672: "amqp",
    9092: "kafka",
    2181: "zookeeper",
    11211: "memcached",
    9200: "elastic",
    1433: "mssql",
    1521: "oracle",
    4222: "nats",
    8086: "influx",
    80: "http",
    8000: "http",
    8080: "http",
    3000: "http",
    5000: "http",
    8888: "http",
    9000: "http",
    443: "https",
    8443: "https",
}
MAX_RANGE = 16

_PORT_SPEC = re.compile(r"^(?:(?P<host>.*):)?(?P<container>\d+(?:-\d+)?)(?:/(?P<proto>[a-z]+))?$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)")
_DURATION_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*$", re.IGNORECASE)
_LOCAL_URL = re.compile(r"\bhttps?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(/[^\s'\"|;&)]*)?")
_HTTP_CHECK_TOOLS = ("curl", "wget")


class ValueProblem(ValueError):
    """A compose value the conversion cannot read; the message says what was expected."""


@dataclass(frozen=True)
class PortSpec:
    container: int
    host: int | None  # a fixed host port in compose, if any
    protocol: str
    text: str  # as written, for comments


def parse_port(value: Any) -> list[PortSpec]:
    """Compose's short (`[IP:][HOST:]CONTAINER[/PROTO]`, ranges too) or long port syntax."""
    if isinstance(value, dict):
        target = value.get("target")
        if not isinstance(target, int) and not (isinstance(target, str) and target.isdigit()):
            raise ValueProblem("a port mapping needs 'target': the container port number")
        published = value.get("published")
        host = (
            int(published)
            if isinstance(published, int) or (isinstance(published, str) and published.isdigit())
            else None
        )
        text = f"{published}:{target}" if published is not None else str(target)
        return [PortSpec(int(target), host, str(value.get("protocol", "tcp")), text)]
    text = str(value).strip()
    match = _PORT_SPEC.match(text)
    if match is None:
        raise ValueProblem(f"not a port mapping: '{text}' (expected [HOST:]CONTAINER[/PROTOCOL])")
    containers = _port_range(match.group("container"))
    host_part = (match.group("host") or "").rsplit(":", 1)[-1] if match.group("host") is not None else ""
    hosts: list[int | None] = [None] * len(containers)
    if host_part and re.fullmatch(r"\d+(-\d+)?", host_part):
        numbers = _port_range(host_part)
        hosts = list(numbers) if len(numbers) == len(containers) else [numbers[0]] + [None] * (len(containers) - 1)
    protocol = match.group("proto") or "tcp"
    return [PortSpec(port, host, protocol, text) for port, host in zip(containers, hosts)]


def _port_range(text: str) -> list[int]:
    first, _, last = text.partition("-")
    low, high = int(first), int(last or first)
    if not 1 <= low <= high <= 65535:
        raise ValueProblem(f"port out of range: '{text}'")
    if high - low >= MAX_RANGE:
        raise ValueProblem(f"port range '{text}' is too large (at most {MAX_RANGE} ports are converted)")
    return list(range(low, high + 1))


def image_repository(image: Any) -> str:
    """`docker.io/library/postgres:15-alpine` -> `postgres`."""
    if not isinstance(image, str):
        return ""
    name = image.split("@")[0].rsplit("/", 1)[-1]
    return name.split(":")[0].lower()


def port_name(port: int, taken: set[str]) -> str:
    name = PORT_NAMES.get(port, f"p{port}")
    if name in taken:
        name = f"p{port}"
    index = 2
    while name in taken:
        name = f"p{port}-{index}"
        index += 1
    return name


def seconds(value: Any) -> float:
    """Compose durations: `1m30s`, `500ms`, `10s`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(a + u for a, u in parts) != text.replace(" ", ""):
        raise ValueProblem(f"not a duration: '{text}' (expected such as 10s, 1m30s or 500ms)")
    return sum(float(amount) * _DURATION_UNITS[unit] for amount, unit in parts)


def duration_text(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return f"{int(round(value))}s"
    return f"{max(1, round(value * 1000))}ms"


def size_text(value: Any) -> str:
    """Compose byte sizes (`512M`, `1g`, `1gb`, a number of bytes) in envsim's notation."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    match = _SIZE.match(str(value))
    if match is None:
        raise ValueProblem(f"not a size: '{value}' (expected such as 512m or 1g)")
    amount, unit = match.group(1), match.group(2).lower()
    return f"{amount}{'' if unit == 'b' else unit}"


def cpus_value(value: Any) -> float:
    try:
        cpus = float(value)
    except (TypeError, ValueError):
        raise ValueProblem(f"not a number of CPUs: '{value}'") from None
    if cpus <= 0:
        raise ValueProblem(f"the number of CPUs must be above 0, got {value}")
    return cpus


def command_list(value: Any) -> list[str]:
    """Compose's command forms: a list, or a string split the way a shell would."""
    if isinstance(value, list):
        return [str(item) for item in value]
    try:
        return shlex.split(str(value))
    except ValueError as error:
        raise ValueProblem(f"cannot split the command into words: {error}") from None


@dataclass(frozen=True)
class HealthResult:
    health: dict[str, Any] | None
    comment: str = ""
    note: str = ""  # a line for the notes above the service
    flagged: bool = False  # a shell command: worth a warning
    http_path: str | None = None


def health_from_test(test: Any, ports: dict[str, int]) -> HealthResult:
    """A compose `healthcheck.test` as an envsim health check (before timing options)."""
    if isinstance(test, list) and test[:1] == ["NONE"]:
        return HealthResult(None, note="healthcheck: NONE (disabled) -- no health check")
    if isinstance(test, str):
        kind, words = "CMD-SHELL", [test]
    elif isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL"):
        kind, words = test[0], [str(word) for word in test[1:]]
    elif isinstance(test, list) and test:
        kind, words = "CMD", [str(word) for word in test]  # compose takes a bare list as CMD
    else:
        raise ValueProblem("a healthcheck test is a string or a list starting with CMD, CMD-SHELL or NONE")
    if not words:
        raise ValueProblem(f"the healthcheck test has nothing after {kind}")
    shell_text = " ".join(words) if kind == "CMD-SHELL" else shlex.join(words)
    url = _LOCAL_URL.search(shell_text)
    path = (url.group(2) or "/") if url else None
    http = _http_check(kind, words, shell_text, url, ports)
    if http is not None:
        return HealthResult(http, comment=f"compose: {shell_text} (envsim requests the URL itself)", http_path=path)
    if kind == "CMD-SHELL":
        return HealthResult(
            {"cmd": ["sh", "-c", " ".join(words)]},
            comment="compose CMD-SHELL: runs in a shell",
            flagged=True,
            http_path=path,
        )
    return HealthResult({"cmd": words}, http_path=path)


def _http_check(kind: str, words: list[str], text: str, url: re.Match | None, ports: dict[str, int]) -> dict | None:
    """`curl -f http://localhost:8000/healthz` becomes `{http: /healthz}` (no curl needed in the image)."""
    if url is None or not text.startswith(_HTTP_CHECK_TOOLS) or text.startswith("https"):
        return None
    rest = text[url.end() :].strip()
    if kind == "CMD-SHELL" and rest not in ("", "|| exit 1", "|| exit") or re.search(r"[|;&`$]", text[: url.start()]):
        return None
    number = int(url.group(1)) if url.group(1) else 80
    names = [name for name, port in ports.items() if port == number]
    if not names:
        return None
    health: dict[str, Any] = {"http": url.group(2) or "/"}
    if names[0] != next(iter(ports)):
        health["port"] = names[0]
    return health


@dataclass(frozen=True)
class Mount:
    kind: str  # bind | volume | anonymous | tmpfs | other
    source: str
    target: str
    text: str


def parse_volume(value: Any) -> Mount:
    if isinstance(value, dict):
        kind = str(value.get("type", "volume"))
        source, target = str(value.get("source", "")), str(value.get("target", ""))
        text = f"{source}:{target}" if source else target
        if kind == "volume" and not source:
            kind = "anonymous"
        return Mount(kind if kind in ("bind", "volume", "anonymous", "tmpfs") else "other", source, target, text)
    text = str(value)
    parts = text.split(":")
    if len(parts) == 1:
        return Mount("anonymous", "", parts[0], text)
    source, target = parts[0], parts[1]
    kind = "bind" if source.startswith((".", "/", "~", "$")) else "volume"
    return Mount(kind, source, target, text)

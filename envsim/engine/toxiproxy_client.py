"""A small typed client for Toxiproxy's HTTP API (port 8474), over http.client.

Every call has a timeout; every non-2xx answer raises ToxiproxyError carrying the HTTP
status and the body Toxiproxy sent (it explains itself, e.g. {"error":"proxy not found"}).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from envsim.engine.admin_api import AdminApiClient, AdminApiError

Stream = Literal["upstream", "downstream"]


class ToxiproxyError(AdminApiError):
    server = "toxiproxy"


@dataclass(frozen=True)
class Toxic:
    type: str
    attributes: Mapping[str, int | float] = field(default_factory=dict)
    name: str = ""  # Toxiproxy defaults it to "<type>_<stream>"
    stream: Stream = "downstream"
    toxicity: float = 1.0

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": dict(self.attributes),
        }
        if self.name:
            body["name"] = self.name
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Toxic:
        return cls(
            type=data["type"],
            attributes=dict(data.get("attributes") or {}),
            name=data.get("name", ""),
            stream=data.get("stream", "downstream"),
            toxicity=float(data.get("toxicity", 1.0)),
        )


@dataclass(frozen=True)
class Proxy:
    name: str
    listen: str  # "0.0.0.0:5432"; port 0 asks Toxiproxy for a free one
    upstream: str  # "db-real:5432"
    enabled: bool = True
    toxics: tuple[Toxic, ...] = ()  # as reported by the server; ignored when creating

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "listen": self.listen, "upstream": self.upstream, "enabled": self.enabled}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Proxy:
        return cls(
            name=data["name"],
            listen=data["listen"],
            upstream=data["upstream"],
            enabled=bool(data.get("enabled", True)),
            toxics=tuple(Toxic.from_json(t) for t in data.get("toxics") or ()),
        )


class ToxiproxyClient(AdminApiClient):
    """One Toxiproxy server, e.g. ToxiproxyClient("http://127.0.0.1:8474")."""

    error = ToxiproxyError
    default_port = 8474

    def __init__(self, url: str = "http://127.0.0.1:8474", timeout: float = 5.0):
        super().__init__(url, timeout)

    # ------------------------------------------------------------------ server

    def version(self) -> str:
        answer = self._call("GET", "/version")
        # 2.7+ answers {"version": "2.12.0"}; older servers answered plain text.
        return answer["version"] if isinstance(answer, dict) else str(answer).strip()

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        self._call("POST", "/reset")

    # ------------------------------------------------------------------ proxies

    def proxies(self) -> dict[str, Proxy]:
        answer = self._call("GET", "/proxies")
        return {name: Proxy.from_json(data) for name, data in answer.items()}

    def proxy(self, name: str) -> Proxy:
        return Proxy.from_json(self._call("GET", f"/proxies/{_segment(name)}"))

    def create_proxy(self, proxy: Proxy) -> Proxy:
        return Proxy.from_json(self._call("POST", "/proxies", proxy.to_json()))

    def populate(self, proxies: list[Proxy]) -> list[Proxy]:
        """Create or replace proxies in bulk; proxies already matching are left untouched."""
        answer = self._call("POST", "/populate", [p.to_json() for p in proxies])
        return [Proxy.from_json(data) for data in answer.get("proxies") or ()]

    def update_proxy(
        self, name: str, *, listen: str | None = None, upstream: str | None = None, enabled: bool | None = None
    ) -> Proxy:
        changes: dict[str, Any] = {}
        if listen is not None:
            changes["listen"] = listen
        if upstream is not None:
            changes["upstream"] = upstream
        if enabled is not None:
            changes["enabled"] = enabled
        # PATCH since 2.6; POST is the deprecated spelling older servers understand.
        return Proxy.from_json(self._call("PATCH", f"/proxies/{_segment(name)}", changes))

    def enable_proxy(self, name: str) -> Proxy:
        return self.update_proxy(name, enabled=True)

    def disable_proxy(self, name: str) -> Proxy:
        """Take the proxy down: new connections are refused, open ones are closed."""
        return self.update_proxy(name, enabled=False)

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", f"/proxies/{_segment(name)}")

    # ------------------------------------------------------------------ toxics

    def toxics(self, proxy: str) -> list[Toxic]:
        return [Toxic.from_json(t) for t in self._call("GET", f"/proxies/{_segment(proxy)}/toxics")]

    def add_toxic(self, proxy: str, toxic: Toxic) -> Toxic:
        return Toxic.from_json(self._call("POST", f"/proxies/{_segment(proxy)}/toxics", toxic.to_json()))

    def update_toxic(
        self,
        proxy: str,
        name: str,
        *,
        attributes: Mapping[str, int | float] | None = None,
        toxicity: float | None = None,
    ) -> Toxic:
        changes: dict[str, Any] = {}
        if attributes is not None:
            changes["attributes"] = dict(attributes)
        if toxicity is not None:
            changes["toxicity"] = toxicity
        path = f"/proxies/{_segment(proxy)}/toxics/{_segment(name)}"
        return Toxic.from_json(self._call("PATCH", path, changes))

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{_segment(proxy)}/toxics/{_segment(name)}")


def _segment(name: str) -> str:
    return quote(name, safe="")

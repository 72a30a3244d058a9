"""Creating a Toxiproxy container's proxies from the plan (idempotent: /populate replaces)."""

from __future__ import annotations

from collections.abc import Mapping

from envsim.engine.toxiproxy_client import Proxy, ToxiproxyClient, ToxiproxyError
from envsim.errors import EnvironmentProblem
from envsim.plan.stack import ToxiproxyPlan


def populate_proxies(url: str, toxiproxy: ToxiproxyPlan) -> None:
    proxies = [Proxy(name=p.name, listen=p.listen, upstream=p.upstream, enabled=True) for p in toxiproxy.proxies]
    try:
        ToxiproxyClient(url).populate(proxies)
    except ToxiproxyError as error:
        raise EnvironmentProblem(f"toxiproxy {toxiproxy.name} refused the proxies: {error}") from None


def toxiproxy_version(toxiproxy_urls: Mapping[str, str]) -> str:
    """The version the stack's (first) Toxiproxy server reports, for the journal."""
    url = next(iter(toxiproxy_urls.values()), None)
    if url is None:
        return ""
    try:
        return ToxiproxyClient(url).version()
    except ToxiproxyError:  # it stopped during the run: the journal says so elsewhere
        return "unknown (did not answer)"

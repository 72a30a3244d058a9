"""The Toxiproxy proxies in front of a service, held shut while its pods are gone.

Toxiproxy (2.x) dials a proxy's upstream inside its accept loop, with no timeout. On a cluster
the upstream is the service's `envsim-upstream-*` Service, and right after a pod is deleted
kube-proxy's rules can still send a new connection to the gone pod's address, or (no endpoint
left, and the CNI's FORWARD rules accepting pod traffic before kube-proxy's REJECT) out of the
node by the default route. Such a SYN is answered by nobody: the dial hangs until the kernel
gives up (22 s to "no route to host" measured on the test cluster, up to ~127 s of SYN
retries), and all that time the proxy accepts no other client, also long after the pod is back.
Disabling the proxy then does not help: Toxiproxy's stop waits for that same accept loop.

So envsim never lets Toxiproxy dial a service that has no pod: before a kill, stop or restart
removes the service's pods it disables the proxies in front of it (clients are refused, as
they see a stopped container's address fail on Docker), and once the workload has every
replica ready again it enables them. The release runs in a thread of its own, so a fault's
clear is recorded when it happens and the service's start counts in the recovery; the thread
is not a daemon, so the process does not exit leaving a proxy shut.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from envsim.engine.toxiproxy_client import ToxiproxyClient, ToxiproxyError
from envsim.plan.stack import StackPlan

READY_WAIT = 120.0  # seconds a released service may take to have its replicas ready again
POLL = 0.5


class ProxyHolds:
    """Which proxies envsim shut for which service, and the threads that open them again.

    `ready(service)` says whether the service's workload has all its replicas ready."""

    def __init__(
        self,
        plan: StackPlan,
        toxiproxy_urls: Mapping[str, str],
        ready: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ):
        self._plan, self._urls, self._ready, self._clock = plan, dict(toxiproxy_urls), ready, clock
        self._lock = threading.Lock()
        self._held: dict[str, list[tuple[str, str]]] = {}  # service -> (toxiproxy url, proxy) shut by envsim
        self._generation: dict[str, int] = {}  # a new hold makes a pending release give up

    def proxies(self, service: str) -> list[tuple[str, str]]:
        """(Toxiproxy API URL, proxy name) of every proxy in front of `service` that envsim reaches."""
        found = []
        for proxy in self._plan.proxies_of(service):
            url = self._urls.get(self._plan.toxiproxy_of(proxy.name).name)
            if url is not None:
                found.append((url, proxy.name))
        return found

    def hold(self, service: str) -> None:
        """Shut the proxies in front of `service` (those enabled now; a `down` fault's stay as they are)."""
        with self._lock:
            self._generation[service] = self._generation.get(service, 0) + 1
            held = self._held.setdefault(service, [])
            for url, name in self.proxies(service):
                if (url, name) in held:
                    continue
                client = ToxiproxyClient(url)
                if client.proxy(name).enabled:
                    client.disable_proxy(name)
                    held.append((url, name))

    def release(self, service: str) -> threading.Thread | None:
        """Open the proxies shut for `service` once its replicas are all ready (or after READY_WAIT).

        A clear from another process than the apply (`envsim fault clear`) knows of no hold: it
        opens every shut proxy in front of the service (a `down` of the same service with it)."""
        with self._lock:
            if not self._held.get(service):
                self._held[service] = self._shut(service)
            if not self._held[service]:
                return None
            generation = self._generation.get(service, 0)
        thread = threading.Thread(
            target=self._release_when_ready, args=(service, generation), name=f"envsim-release-{service}"
        )
        thread.start()
        return thread

    def _shut(self, service: str) -> list[tuple[str, str]]:
        return [(url, name) for url, name in self.proxies(service) if not ToxiproxyClient(url).proxy(name).enabled]

    def _release_when_ready(self, service: str, generation: int) -> None:
        deadline = self._clock() + READY_WAIT
        while self._clock() < deadline and not self._is_ready(service):
            if not self._reachable(service):
                return  # the stack is being removed (its forwarder stops first): nothing is left to open
            time.sleep(POLL)
        with self._lock:
            if self._generation.get(service, 0) != generation:
                return  # held again meanwhile: that hold's release opens them
            for url, name in self._held.pop(service, []):
                try:
                    ToxiproxyClient(url).enable_proxy(name)
                except ToxiproxyError:
                    pass  # the stack went away meanwhile: nothing is left to open

    def _reachable(self, service: str) -> bool:
        with self._lock:
            held = list(self._held.get(service, []))
        try:
            for url, name in held[:1]:
                ToxiproxyClient(url).proxy(name)
            return True
        except ToxiproxyError:
            return False

    def _is_ready(self, service: str) -> bool:
        try:
            return self._ready(service)
        except Exception:  # the apiserver did not answer this time: ask again
            return False

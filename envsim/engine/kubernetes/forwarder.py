"""Loopback ports forwarded into a stack's namespace, held by a detached envsim process.

The entry points listen on the stack's publish address instead when `up --publish-address`
chose one (for load workers on other machines); every admin API stays on loopback.

Docker publishes a port on 127.0.0.1 for as long as the container runs; on Kubernetes the same
is a port-forward, which lives only as long as the process that holds it. So `envsim up` starts
this module as its own process (own session, so it outlives the command and a Ctrl-C in its
terminal), which listens on the loopback ports and, per connection, forwards to a ready pod
behind the Service through the apiserver (`kubernetes.stream.portforward`). Where it listens
is written to `forwarder.json` in the stack's state directory; `envsim down` stops it before
deleting the namespace, and it stops by itself once the namespace is gone.

Run as: python -m envsim.engine.kubernetes.forwarder SPEC_FILE
"""

from __future__ import annotations

import json
import random
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster, connect_cluster, is_missing
from envsim.fileio import write_atomic
from envsim.plan.publish import LOOPBACK, local_host, url_host

NAMESPACE_POLL = 5.0  # seconds between checks that the namespace still exists
# kubernetes.stream swaps the shared ApiClient's `request` for a websocket one while it opens a
# stream, so a plain call from another thread meanwhile goes out as a port-forward (seen:
# "Missing required parameter `ports`" under a run's load). Calls on the client take turns.
_API = threading.Lock()


def _ready_pod(cluster: Cluster, namespace: str, selector: dict[str, str]) -> str:
    label_selector = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    pods = cluster.core.list_namespaced_pod(namespace, label_selector=label_selector, _request_timeout=REQUEST_TIMEOUT)
    ready = [
        p.metadata.name
        for p in pods.items
        if p.metadata.deletion_timestamp is None
        and any(c.type == "Ready" and c.status == "True" for c in (p.status.conditions or []))
    ]
    if not ready:
        raise ConnectionError(f"no ready pod for {label_selector}")
    return random.choice(ready)  # as a Service spreads connections


def _target(cluster: Cluster, namespace: str, service: str, port: int) -> tuple[dict[str, str], int]:
    spec = cluster.core.read_namespaced_service(service, namespace, _request_timeout=REQUEST_TIMEOUT).spec
    for item in spec.ports:
        if item.port == port:
            return dict(spec.selector), int(item.target_port)  # the manifests give numeric targets
    raise ConnectionError(f"service {service} has no port {port}")


def _pipe(source: Any, sink: Any) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (sink, source):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve_connection(cluster: Cluster, namespace: str, service: str, port: int, client: socket.socket) -> None:
    from kubernetes.stream import portforward

    try:
        with _API:
            selector, target = _target(cluster, namespace, service, port)
            pod = _ready_pod(cluster, namespace, selector)
            forward = portforward(
                cluster.core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(target)
            )
        remote = forward.socket(target)
        remote.setblocking(True)
    except Exception as error:  # the client sees a closed connection, as with a refused one
        print(f"{service}:{port}: {error}", file=sys.stderr, flush=True)
        client.close()
        return
    back = threading.Thread(target=_pipe, args=(remote, client), daemon=True)
    back.start()
    _pipe(client, remote)
    back.join()
    client.close()
    forward.close()


def _listen(host: str, host_port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, host_port))
    listener.listen(64)
    return listener


def _accept_loop(cluster: Cluster, namespace: str, service: str, port: int, listener: socket.socket) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(
            target=_serve_connection, args=(cluster, namespace, service, port, client), daemon=True
        ).start()


def serve(spec_file: Path) -> None:
    """Listen on every forward of the spec, write where, and forward until the namespace is gone."""
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    cluster = connect_cluster(spec["kubeconfig"], spec["context"])
    namespace = spec["namespace"]
    urls = {}
    for forward in spec["forwards"]:
        host = forward.get("host", LOOPBACK)
        listener = _listen(host, forward["host_port"])
        urls[forward["key"]] = f"http://{url_host(local_host(host))}:{listener.getsockname()[1]}"
        threading.Thread(
            target=_accept_loop, args=(cluster, namespace, forward["service"], forward["port"], listener), daemon=True
        ).start()
    import os

    write_atomic(Path(spec["result"]), json.dumps({"pid": os.getpid(), "urls": urls}), private=True)
    while True:
        time.sleep(NAMESPACE_POLL)
        try:
            with _API:
                cluster.core.read_namespace(namespace, _request_timeout=REQUEST_TIMEOUT)
        except Exception as error:
            if is_missing(error):
                return
            # the apiserver may be briefly away: keep the ports, a later poll decides


if __name__ == "__main__":
    serve(Path(sys.argv[1]))

"""Connecting to a cluster, and the namespace queries the other Kubernetes modules use.

A stack is the namespace `envsim-<stack>` labelled `envsim.stack`, as a Docker stack is the set
of containers carrying that label; listing and removing go by the label alone, so a namespace
envsim did not make is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from envsim.errors import EnvironmentProblem
from envsim.plan.kubernetes_names import dns_label
from envsim.plan.stack import LABEL_PREFIX, STACK_LABEL

PROFILE_LABEL = f"{LABEL_PREFIX}.profile"
REQUEST_TIMEOUT = 10.0  # seconds for one API call; a cluster that takes longer is taken as gone


def namespace_of(stack: str) -> str:
    """The stack's namespace (as `plan.kubernetes_objects.namespace_name` names it)."""
    return dns_label(f"envsim-{stack}")


@dataclass(frozen=True)
class Cluster:
    """An API client for one cluster, with where it came from (for messages and the forwarder)."""

    api_client: Any  # kubernetes.client.ApiClient
    kubeconfig: str | None
    context: str | None
    server: str

    @property
    def core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client)

    @property
    def apps(self) -> Any:
        from kubernetes import client

        return client.AppsV1Api(self.api_client)

    @property
    def batch(self) -> Any:
        from kubernetes import client

        return client.BatchV1Api(self.api_client)

    def version(self) -> str:
        from kubernetes import client

        return str(client.VersionApi(self.api_client).get_code(_request_timeout=REQUEST_TIMEOUT).git_version)


def connect_cluster(kubeconfig: str | None = None, context: str | None = None) -> Cluster:
    """A client for the kubeconfig's cluster (default: $KUBECONFIG, else ~/.kube/config), asked
    for its version; EnvironmentProblem (exit 3) when none answers."""
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    where = kubeconfig or "the default kubeconfig ($KUBECONFIG, else ~/.kube/config)"
    try:
        api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
    except (ConfigException, OSError, TypeError, ValueError) as error:
        raise EnvironmentProblem(
            f"no Kubernetes cluster to use: {where}: {error}; envsim started, changed and removed nothing",
            hint="pass --kubeconfig (and --context), or set KUBECONFIG; `scripts/k8s-setup.sh` starts a local cluster",
        ) from None
    cluster = Cluster(api_client, kubeconfig, context, api_client.configuration.host)
    try:
        cluster.version()
    except Exception as error:  # urllib3, TLS, auth: every way a cluster does not answer
        api_client.close()
        raise EnvironmentProblem(
            f"no Kubernetes cluster answers at {cluster.server} ({where}"
            f"{f', context {context}' if context else ''}): {_reason(error)}; "
            "envsim started, changed and removed nothing",
            hint="start the cluster (`scripts/k8s-setup.sh` in this repo) or pass the --kubeconfig and --context "
            "of a running one, then run the command again",
        ) from None
    return cluster


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "reason", None) or error).strip().splitlines()
    return text[0] if text else type(error).__name__


def stack_namespaces(cluster: Cluster, stack: str | None = None) -> list[Any]:
    """The namespaces envsim made (of one stack, or of every stack), not being deleted."""
    selector = f"{STACK_LABEL}={stack}" if stack else STACK_LABEL
    listed = cluster.core.list_namespace(label_selector=selector, _request_timeout=REQUEST_TIMEOUT).items
    return [n for n in listed if n.status.phase != "Terminating"]


def stack_profiles(cluster: Cluster) -> dict[str, str | None]:
    return {
        n.metadata.labels[STACK_LABEL]: n.metadata.labels.get(PROFILE_LABEL)
        for n in stack_namespaces(cluster)
        if n.metadata.labels.get(STACK_LABEL)
    }


def is_missing(error: BaseException) -> bool:
    from kubernetes.client.exceptions import ApiException

    return isinstance(error, ApiException) and error.status == 404


def wait_until(done: Callable[[], bool], timeout: float, what: str, poll: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise EnvironmentProblem(f"{what} did not happen within {timeout:g}s")
        time.sleep(poll)

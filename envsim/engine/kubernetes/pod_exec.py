"""A command in a pod's first container through the apiserver (`kubernetes.stream`)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from envsim.engine.kubernetes.cluster import Cluster
from envsim.engine.run_engine import ExecResult

EXEC_TIMEOUT = 120.0  # seconds a check's command may take in a pod


def pod_exec(cluster: Cluster, namespace: str, pod: str, command: Sequence[str]) -> ExecResult:
    """`command` in the pod's first container through the apiserver; its exit code and output."""
    from kubernetes.stream import stream

    response = stream(
        cluster.core.connect_get_namespaced_pod_exec,
        pod,
        namespace,
        command=list(command),
        stdout=True,
        stderr=True,
        stdin=False,
        tty=False,
        _preload_content=False,
    )
    stdout, stderr = [], []
    deadline = time.monotonic() + EXEC_TIMEOUT
    try:
        while response.is_open() and time.monotonic() < deadline:
            response.update(timeout=1)
            if response.peek_stdout():
                stdout.append(response.read_stdout())
            if response.peek_stderr():
                stderr.append(response.read_stderr())
        timed_out = response.is_open()
    finally:
        response.close()
    code = None if timed_out else response.returncode
    return code, "".join(stdout), "".join(stderr)

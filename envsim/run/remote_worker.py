"""`envsim worker`: a Locust worker process on this machine joining a run's master elsewhere.

The worker runs in a child process, like every Locust process envsim starts (Locust's import
monkey-patches the process with gevent). It gets the load's config from the master, after the
master checked that both run the same envsim and Locust versions.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from envsim.errors import Interrupted


def join(host: str, port: int, name: str = "") -> int:
    """Run one worker until the master's run ends; its exit status (0 done, 3 refused or no master)."""
    command = [sys.executable, "-m", "envsim.run.locust_child", "--role", "worker"]
    command += ["--master-host", host, "--master-port", str(port), "--name", name]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGTERM)  # it leaves the run; the master notes the loss
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise Interrupted("the worker left the run") from None

"""Serving over stdin/stdout until the agent disconnects, or a signal says stop.

On stdin EOF, SIGTERM or SIGINT the server stops serving: tool calls in flight are cancelled
(their workers revert faults and remove what they started), then the lifespan removes the
stacks this session started, and only then does the process exit (130 after a signal). A
signal during that clean-up is only noted: an agent's stdio client sends SIGTERM 2 s after
closing stdin, and a half-removed stack is worse than a late exit (should it escalate to
SIGKILL, envsim.mcp.watcher finishes the job). Stdio itself passes through envsim.mcp.relay.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

INTERRUPTED = 130  # as the CLI exits after clean-up on a signal
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run_stdio(root: Path | str | None = None) -> None:
    # The relay starts before the SDK is imported, so a cached handshake is answered meanwhile.
    from envsim.mcp.handshake import default_cache
    from envsim.mcp.relay import Relay

    for signum in STOP_SIGNALS:  # until serving starts nothing needs undoing: just go
        signal.signal(signum, _exit_at_once)
    relay = Relay(default_cache())
    relay.start()
    try:
        import anyio

        from envsim.mcp.server import build_server

        anyio.run(serve_until_stopped, build_server(root))
    finally:
        relay.finish()


async def serve_until_stopped(server) -> None:
    import anyio

    serving = anyio.CancelScope()
    async with anyio.create_task_group() as group:
        with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
            group.start_soon(_stop_on_signal, signals, serving, server.envsim_stopped)
            with serving:
                await server.run_stdio_async()
            group.cancel_scope.cancel()


async def _stop_on_signal(signals, serving, stopped: threading.Event) -> None:
    async for _signum in signals:
        if serving.cancel_called:
            continue  # clean-up is under way; it finishes
        serving.cancel()
        # The SDK's stdin reader sits in a thread until the agent writes or closes stdin;
        # once clean-up is done nothing else is worth waiting for.
        threading.Thread(target=_exit_when_stopped, args=(stopped,), name="envsim-mcp-exit", daemon=True).start()


def _exit_at_once(signum: int, frame: object) -> None:
    os._exit(INTERRUPTED)


def _exit_when_stopped(stopped: threading.Event) -> None:
    stopped.wait()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(INTERRUPTED)

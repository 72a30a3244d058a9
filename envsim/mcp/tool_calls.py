"""How an MCP tool call runs: envsim errors become tool errors with the CLI's text, every answer
is scrubbed of credential values, and long work runs in a worker thread that reports progress
and is cancelled (faults reverted, what it started removed) with the request.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from envsim.errors import EnvsimError, InputError
from envsim.mcp.workspace import Workspace

POLL = 0.1  # seconds between progress flushes while a worker thread runs


class Guard:
    """Runs a handler: envsim errors become tool errors with the CLI's text; every answer is scrubbed."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    def __call__(self, handler: Callable[[], Any]) -> Any:
        try:
            result = handler()
        except EnvsimError as error:
            raise self.tool_error(error) from None
        return self.workspace.scrubber().data(result)

    async def acting(self, handler: Callable[[], Awaitable[Any]]) -> Any:
        try:
            result = await handler()
        except EnvsimError as error:
            raise self.tool_error(error) from None
        except ToolError:
            raise
        except Exception as error:  # noqa: BLE001 - the agent gets the reason, scrubbed
            text = f"{type(error).__name__}: {error}"
            raise ToolError(self.workspace.scrubber().text(text[:1000])) from None
        return self.workspace.scrubber().data(result)

    def tool_error(self, error: EnvsimError) -> ToolError:
        text = self.workspace.error_text(error) if isinstance(error, InputError) else str(error)
        hint = getattr(error, "hint", None)
        if hint:
            text += f" (hint: {hint})"
        return ToolError(self.workspace.scrubber().text(text))


async def in_thread(ctx: Context | None, work: Callable[[threading.Event, Callable[..., None]], Any]) -> Any:
    """Run `work(cancel, emit)` in a worker thread; its `emit(progress, total, message)` calls
    become MCP progress notifications (when the caller asked for progress).

    When the request is cancelled (the agent's notifications/cancelled, or the connection
    closing) `cancel` is set and the worker is waited for, shielded, until it has reverted
    faults and removed what it started; then the cancellation goes on.
    """
    import anyio

    cancel = threading.Event()
    events: collections.deque = collections.deque()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = work(cancel, lambda *event: events.append(event))
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
            outcome["error"] = error

    async def flush() -> None:
        while events:
            progress, total, message = events.popleft()
            if ctx is None:
                continue
            try:
                await ctx.report_progress(progress, total, message)
            except Exception:  # noqa: BLE001 - a gone client must not stop the work
                pass

    worker = threading.Thread(target=target, name="envsim-mcp-tool", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            await flush()
            await anyio.sleep(POLL)
    except anyio.get_cancelled_exc_class():
        cancel.set()
        with anyio.CancelScope(shield=True):
            while worker.is_alive():
                await anyio.sleep(POLL)
        raise
    await flush()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]

"""HAProxy's runtime API over TCP (published on 127.0.0.1): the fault switches of a front.

One command per connection (the API's non-interactive mode): HAProxy answers and closes.
A switch is a line of the front's fault map (envsim.plan.haproxy_config.FAULT_MAP).
"""

from __future__ import annotations

import socket

from envsim.plan.haproxy_config import FAULT_MAP


class RuntimeApiError(Exception):
    pass


class HaproxyRuntime:
    def __init__(self, address: str, timeout: float = 5.0):
        host, _, port = address.rpartition(":")
        self._address = (host, int(port))
        self._timeout = timeout

    def command(self, line: str) -> str:
        try:
            with socket.create_connection(self._address, timeout=self._timeout) as connection:
                connection.sendall(line.encode() + b"\n")
                chunks = []
                while chunk := connection.recv(65536):
                    chunks.append(chunk)
        except OSError as error:
            raise RuntimeApiError(f"HAProxy's runtime API at {self._address[0]}:{self._address[1]}: {error}") from None
        return b"".join(chunks).decode("utf-8", "replace")

    def set_switch(self, switch: str, on: bool) -> None:
        answer = self.command(f"set map {FAULT_MAP} {switch} {'on' if on else 'off'}").strip()
        if answer:  # success is silent; anything said is a refusal
            raise RuntimeApiError(f"HAProxy refused to switch {switch}: {answer}")

    def switches(self) -> dict[str, bool]:
        """Every switch of the fault map and whether it is on."""
        found = {}
        for line in self.command(f"show map {FAULT_MAP}").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0].startswith("0x"):  # "<entry id> <key> <value>"
                found[parts[1]] = parts[2] == "on"
        return found

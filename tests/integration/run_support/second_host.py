"""A second machine on this one: a network namespace joined to it by a veth pair.

A process in the namespace reaches this machine only through the pair's addresses, as from
another host: the namespace has its own loopback and no other route.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class SecondHost:
    netns: str
    host_address: str  # this side of the veth pair
    worker_address: str  # the namespace's side


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextlib.contextmanager
def second_host_namespace() -> Iterator[SecondHost]:
    """Named and addressed for one test alone, so that runs side by side on one machine do not
    take each other's devices or addresses; removed on leaving, whatever happened."""
    suffix = uuid.uuid4().hex[:6]
    subnet = int(suffix[:2], 16)
    here, there = f"esvh{suffix}", f"esvw{suffix}"  # interface names: 15 characters at most
    host = SecondHost(f"envsim-test-{suffix}", f"10.231.{subnet}.1", f"10.231.{subnet}.2")
    try:
        _ip("netns", "add", host.netns)
        _ip("link", "add", here, "type", "veth", "peer", "name", there)
        _ip("link", "set", there, "netns", host.netns)
        _ip("addr", "add", f"{host.host_address}/30", "dev", here)
        _ip("link", "set", here, "up")
        _ip("-n", host.netns, "addr", "add", f"{host.worker_address}/30", "dev", there)
        _ip("-n", host.netns, "link", "set", there, "up")
        _ip("-n", host.netns, "link", "set", "lo", "up")
        yield host
    finally:
        subprocess.run(["ip", "link", "del", here], capture_output=True)
        subprocess.run(["ip", "netns", "del", host.netns], capture_output=True)


def routes_in(netns: str) -> list[str]:
    """The namespace's IPv4 routes, one per line as `ip route` prints them."""
    listed = subprocess.run(["ip", "-n", netns, "route"], check=True, capture_output=True, text=True)
    return [line.strip() for line in listed.stdout.splitlines() if line.strip()]


def envsim_in(netns: str, *args: str) -> subprocess.Popen[str]:
    """`envsim ARGS` (this tree's) started in the namespace."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = ["ip", "netns", "exec", netns, sys.executable, "-m", "envsim", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

"""Whether an address given to publish a stack's entry points on is one of this machine's.

Docker accepts any address in `-p IP:HOST:CONTAINER` and only fails when the container
starts (or, with its userland proxy off, publishes on an address nothing answers at), so the
address is tried here first, before anything starts: binding a socket to it succeeds only
on an address of one of this machine's interfaces (or a wildcard).
"""

from __future__ import annotations

import errno
import socket

from envsim.errors import InputError
from envsim.plan.publish import parse_publish_address

OPTION = "--publish-address"


def checked_publish_address(text: str) -> str:
    """The address in canonical form; InputError saying why when it is not this machine's."""
    try:
        address = parse_publish_address(text)
    except ValueError as error:
        raise InputError(f"{OPTION}: {error}") from None
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((address, 0))
    except OSError as error:
        raise InputError(f"{OPTION} {address}: {_why_not(error)}") from None
    return address


def _why_not(error: OSError) -> str:
    reason = error.strerror or str(error)
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"not an address of this machine (binding to it failed: {reason}); publish on one of its "
            "interfaces' addresses that the load workers reach (`ip -brief address` lists them), "
            "or 0.0.0.0 for every one"
        )
    return f"envsim cannot listen on it (binding to it failed: {reason})"

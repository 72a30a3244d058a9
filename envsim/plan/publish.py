"""The address a stack's entry points are published on, and the one load workers elsewhere use.

Entry points (the ports a profile lists under `publish:`) are published on 127.0.0.1 unless
`envsim up --publish-address ADDRESS` names another address of this machine, so that Locust
workers on other machines can send the load to the stack. Toxiproxy's, MockServer's and
HAProxy's APIs switch faults and stay on 127.0.0.1 whatever the address: they are never
published with the entry points. Pure: nothing here binds or connects.
"""

from __future__ import annotations

import ipaddress

LOOPBACK = "127.0.0.1"


def parse_publish_address(text: str) -> str:
    """The address in its canonical form; ValueError saying why when it is not an IP address."""
    written = text.strip()
    try:
        return str(ipaddress.ip_address(written.strip("[]")))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an IP address; Docker publishes ports on an address, not a name "
            "(e.g. 10.0.0.5, or 0.0.0.0 for every address of this machine)"
        ) from None


def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


def is_wildcard(address: str) -> bool:
    """0.0.0.0 or ::, every address of this machine."""
    return ipaddress.ip_address(address).is_unspecified


def url_host(address: str) -> str:
    """The address as a URL's host: an IPv6 one in brackets."""
    return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address


def local_host(address: str) -> str:
    """How this machine reaches an entry point published on `address`: a wildcard one on
    loopback, any other on the address itself (Docker listens on that address only)."""
    return LOOPBACK if is_wildcard(address) else address


def describe_publish_address(address: str) -> str:
    """The address with what it means for who can reach the entry points, as `status` shows it."""
    if is_loopback(address):
        return f"{address} (this machine only)"
    if is_wildcard(address):
        return f"{address} (every address of this machine: whoever reaches it reaches the entry points)"
    return f"{address} (whoever reaches this address)"


def workers_entry_host(publish_address: str, master_bind: str) -> str:
    """The host at which Locust workers that joined the master on `master_bind` reach the entry
    points published on `publish_address`; ValueError saying why when they cannot.

    Workers connect to the master's address, so it tells where they are: one on loopback has
    them on this machine. A wildcard entry point is reached at the master's address.
    """
    if not is_wildcard(publish_address):
        if is_loopback(publish_address) and not is_loopback(master_bind):
            raise ValueError(
                f"the stack's entry points are published on {publish_address} only, so a worker on another "
                f"machine (the master listens on {master_bind}) would send the load to its own machine; "
                "publish them on an address the workers reach: `envsim up PROFILE --publish-address ADDRESS` "
                "(or `envsim run --publish-address ADDRESS` for a stack the run starts)"
            )
        return publish_address
    if is_wildcard(master_bind):
        raise ValueError(
            f"the entry points are published on {publish_address} and the master listens on {master_bind}: "
            "envsim cannot tell which address of this machine the workers reach; name it with --master-bind ADDRESS"
        )
    return master_bind

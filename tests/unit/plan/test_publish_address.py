"""Where entry points are published, and where load workers from elsewhere are sent to reach them."""

from __future__ import annotations

import pytest

from envsim.engine.apply import StackHandle
from envsim.engine.status import ProxyStatus, StackStatus
from envsim.plan.publish import describe_publish_address, local_host, parse_publish_address, workers_entry_host
from envsim.plan.stack import plan_stack


@pytest.mark.parametrize(
    "written, canonical",
    [("10.0.0.5", "10.0.0.5"), (" 0.0.0.0 ", "0.0.0.0"), ("[::1]", "::1"), ("fd00:0:0::7", "fd00::7")],
)
def test_an_address_is_kept_in_its_canonical_form(written, canonical):
    assert parse_publish_address(written) == canonical


@pytest.mark.parametrize("written", ["gateway.example", "10.0.0", "10.0.0.5:8000", ""])
def test_what_is_not_an_ip_address_is_refused_saying_so(written):
    with pytest.raises(ValueError, match="is not an IP address; Docker publishes ports on an address, not a name"):
        parse_publish_address(written)


@pytest.mark.parametrize(
    "published, master, host",
    [
        ("127.0.0.1", "127.0.0.1", "127.0.0.1"),  # the workers joined on loopback: they are on this machine
        ("10.0.0.5", "10.0.0.5", "10.0.0.5"),
        ("10.0.0.5", "127.0.0.1", "10.0.0.5"),
        ("10.0.0.5", "0.0.0.0", "10.0.0.5"),
        ("0.0.0.0", "10.0.0.5", "10.0.0.5"),  # every address: the one the workers joined at
        ("0.0.0.0", "127.0.0.1", "127.0.0.1"),
    ],
)
def test_workers_are_sent_the_address_they_reach(published, master, host):
    assert workers_entry_host(published, master) == host


def test_workers_elsewhere_are_refused_a_stack_on_loopback_saying_what_they_would_load():
    with pytest.raises(ValueError) as refused:
        workers_entry_host("127.0.0.1", "10.0.0.5")
    assert "published on 127.0.0.1 only" in str(refused.value)
    assert "would send the load to its own machine" in str(refused.value)
    assert "--publish-address ADDRESS" in str(refused.value)


def test_a_wildcard_entry_point_needs_the_address_the_workers_join_at():
    with pytest.raises(ValueError, match="name it with --master-bind ADDRESS"):
        workers_entry_host("0.0.0.0", "0.0.0.0")


def test_this_machine_reaches_a_wildcard_entry_point_on_loopback():
    assert local_host("0.0.0.0") == "127.0.0.1" and local_host("10.0.0.5") == "10.0.0.5"


def _handle(profile, entry_url: str, publish_address: str) -> StackHandle:
    plan = plan_stack(profile)
    [entry] = plan.entry_points
    return StackHandle(plan, {}, {entry.name: entry_url}, {}, {}, publish_address=publish_address)


def test_the_handle_gives_workers_the_entry_point_at_their_address(profile):
    [entry] = plan_stack(profile).entry_points
    wildcard = _handle(profile, "http://127.0.0.1:32768", "0.0.0.0")
    assert wildcard.workers_entry_url(entry.name, "10.0.0.5") == "http://10.0.0.5:32768"
    specific = _handle(profile, "http://10.0.0.5:32768", "10.0.0.5")
    assert specific.workers_entry_url(entry.name, "10.0.0.5") == "http://10.0.0.5:32768"
    six = _handle(profile, "http://[fd00::7]:32768", "fd00::7")
    assert six.workers_entry_url(entry.name, "fd00::7") == "http://[fd00::7]:32768"
    with pytest.raises(ValueError, match="published on 127.0.0.1 only"):
        _handle(profile, "http://127.0.0.1:32768", "127.0.0.1").workers_entry_url(entry.name, "10.0.0.5")


def test_a_plan_publishes_on_loopback_unless_told_otherwise(profile):
    assert plan_stack(profile).publish_address == "127.0.0.1"


def test_status_says_where_the_entry_points_are_published_and_who_reaches_them():
    proxy = ProxyStatus("api-http", "0.0.0.0:8000", "envsim-upstream-api:8000", True, "http://10.0.0.5:32768", ())
    text = StackStatus("shop", (), (proxy,), ("http://127.0.0.1:32769",), publish_address="10.0.0.5").to_text()
    assert "entry points published on 10.0.0.5 (whoever reaches this address)" in text
    assert "toxiproxy api: http://127.0.0.1:32769" in text
    assert "(this machine only)" in StackStatus("shop", (), (proxy,), ()).to_text()
    assert "whoever reaches it reaches the entry points" in describe_publish_address("0.0.0.0")

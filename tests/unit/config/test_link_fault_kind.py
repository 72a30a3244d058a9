"""The link fault kind as plain data: rates, steps, and the helper's shell program."""

from __future__ import annotations

import subprocess

import pytest

from envsim.config.fault_kinds.link import (
    LinkFault,
    LinkStep,
    build,
    chain_name,
    describe,
    format_rate,
    helper_script,
    parse_rate,
    plan,
    summary,
)


@pytest.mark.parametrize(
    ("written", "bits"),
    [("1mbit", 1_000_000), ("500kbit", 500_000), (" 1.5 Mbit ", 1_500_000), ("1gbit", 10**9), ("64bit", 64)],
)
def test_rates_are_read_in_bits_per_second(written, bits):
    assert parse_rate(written) == bits


@pytest.mark.parametrize("written", ["1mb", "1m", 1000, "mbit", "", None])
def test_what_is_no_rate_is_none(written):
    assert parse_rate(written) is None


def test_rates_are_written_back_in_the_largest_whole_unit():
    assert [format_rate(b) for b in (10**9, 1_000_000, 1_500_000, 500_000, 64)] == [
        "1gbit",
        "1mbit",
        "1500kbit",
        "500kbit",
        "64bit",
    ]


class TwoReplicas:
    def containers(self, target):
        return (f"shop-{target}-1", f"shop-{target}-2")


def test_a_failure_mode_is_one_effect_planned_as_a_helper_per_container():
    effects = build({"target": "api", "packet_loss": "10%", "link_bandwidth": "1mbit"})
    assert effects == (LinkFault(0.1, 1_000_000),)
    assert summary(effects) == "packet loss 10%, link bandwidth 1mbit"
    steps = plan("lossy", "api", effects, TwoReplicas())  # type: ignore[arg-type]
    assert [(s.container, s.helper, s.chain) for s in steps] == [
        ("shop-api-1", "shop-api-1-net-lossy", "envsim-lossy"),
        ("shop-api-2", "shop-api-2-net-lossy", "envsim-lossy"),
    ]
    assert describe(steps[0]) == "drop 10% of packets and limit egress to 1mbit in shop-api-1's network namespace"
    assert build({"target": "api", "latency": "1s"}) == ()


def test_chain_names_fit_iptables_limit_and_stay_apart():
    long_one, other = chain_name("a" * 40), chain_name("a" * 39 + "b")
    assert chain_name("lossy") == "envsim-lossy"
    assert len(long_one) <= 28 and len(other) <= 28 and long_one != other


@pytest.mark.parametrize(
    ("loss", "rate", "present", "absent"),
    [
        (0.3, None, ["netem loss 30%", "--probability 0.300000 -j DROP", 'mechanism="iptables statistic"'], ["tbf"]),
        (None, 1_000_000, ["tbf rate 1000000bit burst 3200", 'mechanism="tbf"'], ["netem", "iptables -w -N"]),
        (0.1, 2_000_000, ["netem loss 10% rate 2000000bit", "tbf rate 2000000bit", "statistic + tbf"], []),
    ],
)
def test_the_helper_script_tries_netem_first_and_falls_back(loss, rate, present, absent):
    script = helper_script(LinkStep("c", "h", "envsim-x", loss, rate))
    for text in present:
        assert text in script
    for text in absent:
        assert text not in script
    # reverts on SIGTERM and when its time-to-live is over
    assert "trap 'revert; exit 0' TERM INT" in script and script.rstrip().endswith("revert")
    assert subprocess.run(["sh", "-n"], input=script, text=True).returncode == 0

"""The DNS fault kind as plain data: effects, steps, and the helper's shell program."""

from __future__ import annotations

import subprocess

import pytest

from envsim.config.fault_kinds.dns import DnsFault, DnsStep, build, describe, helper_script, plan, summary


class TwoReplicas:
    def containers(self, target):
        return (f"shop-{target}-1", f"shop-{target}-2")


def test_a_failure_mode_is_one_effect_planned_as_a_helper_per_container():
    effects = build({"target": "api", "dns": {"name": "Payments.Example.com.", "answer": "servfail"}})
    assert effects == (DnsFault("payments.example.com", "servfail"),)
    assert summary(effects) == "DNS servfail for payments.example.com"
    steps = plan("pay-dns", "api", effects, TwoReplicas())  # type: ignore[arg-type]
    assert [(s.container, s.helper, s.chain) for s in steps] == [
        ("shop-api-1", "shop-api-1-dns-pay-dns", "envsim-dns-pay-dns"),
        ("shop-api-2", "shop-api-2-dns-pay-dns", "envsim-dns-pay-dns"),
    ]
    assert describe(steps[0]) == ("shop-api-1 resolves payments.example.com: SERVFAIL (getaddrinfo: temporary failure)")
    assert build({"target": "api", "packet_loss": "1%"}) == ()


@pytest.mark.parametrize(
    ("answer", "options"),
    [
        ("nxdomain", ["--address=/db/ "]),
        ("servfail", ["--server=/db/127.0.0.1#9"]),
        ("no_answer", ["--local=/db/", "--txt-record=db,envsim"]),
    ],
)
def test_the_helper_runs_dnsmasq_with_the_answer_and_redirects_only_the_apps_queries(answer, options):
    script = helper_script(DnsStep("c", "h", "envsim-dns-x", "db", answer))
    for option in options:
        assert option in script
    # everything else goes on to Docker's resolver, uncached; dnsmasq's own queries are let by
    assert "--server=127.0.0.11 " in script and "--cache-size=0" in script
    assert "-d 127.0.0.11 --dport 53 ! --sport 5454 -j DNAT --to-destination 127.0.0.1:5353" in script
    assert f'echo "envsim-ready: dnsmasq {answer}"' in script
    assert "trap 'revert; exit 0' TERM INT" in script and script.rstrip().endswith("revert")
    assert subprocess.run(["sh", "-n"], input=script, text=True).returncode == 0


def test_a_delay_is_an_effect_without_an_answer():
    effects = build({"target": "api", "dns": {"name": "payments.example.com", "delay": "2s"}})
    assert effects == (DnsFault("payments.example.com", None, 2.0),)
    assert summary(effects) == "DNS delay 2s for payments.example.com"
    steps = plan("pay-slow", "api", effects, TwoReplicas())  # type: ignore[arg-type]
    assert [(s.answer, s.delay) for s in steps] == [(None, 2.0), (None, 2.0)]
    assert describe(steps[0]) == "shop-api-1 resolves payments.example.com: its answer 2s late"


def test_for_a_delay_dnsmasq_forwards_the_name_to_a_forwarder_whose_queries_the_redirect_lets_by():
    script = helper_script(DnsStep("c", "h", "envsim-dns-x", "db", None, 0.25))
    assert "--server=/db/127.0.0.1#5355" in script and "--address=" not in script
    assert "' 0.25 5355 5455 &" in script  # the forwarder holds each query 0.25 s
    # the forwarder's own queries to Docker's resolver are not sent back to dnsmasq
    assert (
        "-A envsim-dns-x -p udp --sport 5455 -j RETURN && iptables -w -t nat -A envsim-dns-x -p udp -d 127.0.0.11"
        in script
    )
    assert 'echo "envsim-ready: dnsmasq delay 250ms"' in script
    assert 'kill "$resolver" $delayer' in script  # reverting stops both
    assert subprocess.run(["sh", "-n"], input=script, text=True).returncode == 0

"""Links in the plan: a proxy per (client, target) link on a Toxiproxy of the client's own,
the client's hosts file pointing the target's name at it, faults narrowed by `from:` and
partitions acting on those links only, and the links in the plan's text and JSON."""

from __future__ import annotations

import dataclasses
import json

from envsim.config.fault_kinds.partition import Partition, PartitionStep
from envsim.config.fault_kinds.toxic import Toxic, ToxicStep
from envsim.config.fault_model import FailureMode
from envsim.config.profile_model import Service
from envsim.plan.faults import plan_faults
from envsim.plan.render import profile_plan_to_dict, stack_to_text
from envsim.plan.stack import plan_stack

LATENCY = Toxic("latency", (("latency", 200), ("jitter", 0)))


def _with_modes(profile, *modes: FailureMode):
    return dataclasses.replace(profile, failure_modes=profile.failure_modes + modes)


def test_no_from_and_no_partition_plan_no_links(profile):
    plan = plan_stack(profile)
    assert plan.links == () and all(t.client is None for t in plan.toxiproxies)
    assert all(c.links == () for c in plan.containers)


def test_a_from_fault_gets_the_client_its_own_link_and_acts_there_only(profile):
    slow = FailureMode("db-slow-for-worker", "db", (LATENCY,), links=(("worker", "db"),))
    profile = _with_modes(profile, slow)
    plan = plan_stack(profile)
    [link] = plan.links
    assert (link.name, link.client, link.service, link.listen, link.upstream) == (
        "link.worker.db.pg",
        "worker",
        "db",
        "0.0.0.0:5432",
        "envsim-upstream-db:5432",
    )
    toxiproxy = plan.toxiproxy_of(link.name)
    # no network alias: a shared alias would send every client to the link
    assert (toxiproxy.name, toxiproxy.client, toxiproxy.aliases) == ("envsim-prod-like-worker.links-0", "worker", ())
    assert [c.links for c in plan.containers_of("worker")] == [(("db", toxiproxy.name),)]
    assert all(c.links == () for c in plan.containers_of("api"))
    faults = {f.name: f for f in plan_faults(plan, profile)}
    assert [(s.toxiproxy, s.proxy) for s in faults["db-slow-for-worker"].steps] == [(toxiproxy.name, link.name)]
    # a fault on db without `from:` reaches the link too, so the worker still sees it
    assert {s.proxy for s in faults["db-slow"].steps} == {"db-pg", "link.worker.db.pg"}


def test_a_partition_between_two_services_cuts_both_links_and_nothing_else(profile):
    split = FailureMode(
        "split", "cache", (Partition((("api", "cache"), ("cache", "api"))),), (("api", "cache"), ("cache", "api"))
    )
    profile = _with_modes(profile, split)
    plan = plan_stack(profile)
    assert sorted((p.client, p.service) for p in plan.links) == [("api", "cache"), ("cache", "api")]
    steps = next(f for f in plan_faults(plan, profile) if f.name == "split").steps
    assert all(isinstance(s, PartitionStep) for s in steps)
    assert [(s.client, s.target, s.proxy) for s in steps] == [
        ("api", "cache", "link.api.cache.redis"),
        ("cache", "api", "link.cache.api.http"),
    ]
    assert steps[0].toxics == ("envsim.split.partition.downstream", "envsim.split.partition.upstream")
    assert "partition api -/-> cache" in next(f for f in plan_faults(plan, profile) if f.name == "split").describe()


def test_a_link_to_a_service_without_ports_is_not_planned(profile):
    one_way = FailureMode("cut", "worker", (Partition((("api", "worker"),)),), (("api", "worker"),))
    assert plan_stack(_with_modes(profile, one_way)).links == ()


def test_targets_sharing_a_port_number_split_a_clients_links_over_two_toxiproxies(profile):
    replica = Service(name="db2", image="postgres:15", ports=(("pg", 5432),))
    modes = (
        FailureMode("a", "db", (LATENCY,), links=(("worker", "db"),)),
        FailureMode("b", "db2", (LATENCY,), links=(("worker", "db2"),)),
    )
    profile = dataclasses.replace(profile, services=profile.services + (replica,), failure_modes=modes)
    plan = plan_stack(profile)
    assert [(t.name, [p.service for p in t.proxies]) for t in plan.toxiproxies if t.client] == [
        ("envsim-prod-like-worker.links-0", ["db"]),
        ("envsim-prod-like-worker.links-1", ["db2"]),
    ]
    assert plan.containers_of("worker")[0].links == (
        ("db", "envsim-prod-like-worker.links-0"),
        ("db2", "envsim-prod-like-worker.links-1"),
    )


def test_plan_text_and_json_show_the_links(profile):
    profile = _with_modes(profile, FailureMode("slow", "db", (LATENCY,), links=(("worker", "db"),)))
    plan = plan_stack(profile)
    faults = plan_faults(plan, profile)
    text = stack_to_text(plan, faults)
    assert "toxiproxy envsim-prod-like-worker.links-0  api 127.0.0.1:free->8474  links of worker" in text
    assert "  worker -> db:5432 -> envsim-upstream-db:5432" in text
    assert "  link     db -> envsim-prod-like-worker.links-0 (its hosts file; the env is unchanged)" in text
    data = json.loads(json.dumps(profile_plan_to_dict(plan, faults)))
    assert data["links"] == [
        {
            "client": "worker",
            "target": "db",
            "port": "pg",
            "proxy": "link.worker.db.pg",
            "toxiproxy": "envsim-prod-like-worker.links-0",
        }
    ]
    worker = next(c for c in data["containers"] if c["service"] == "worker")
    assert worker["links"] == {"db": "envsim-prod-like-worker.links-0"}
    assert isinstance(next(f for f in faults if f.name == "slow").steps[0], ToxicStep)

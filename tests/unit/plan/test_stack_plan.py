from dataclasses import replace

from envsim.config.profile_model import Service
from envsim.plan.render import stack_to_dict, stack_to_text, to_json
from envsim.plan.stack import UPSTREAM_PREFIX, endpoint_scheme, plan_stack


def test_services_with_ports_are_fronted_by_toxiproxy_under_their_own_names(profile):
    plan = plan_stack(profile)
    (toxiproxy,) = plan.toxiproxies
    assert toxiproxy.aliases == ("api", "db", "cache")
    assert {p.name: p.upstream for p in toxiproxy.proxies} == {
        "api-http": f"{UPSTREAM_PREFIX}api:8000",
        "db-pg": f"{UPSTREAM_PREFIX}db:5432",
        "cache-redis": f"{UPSTREAM_PREFIX}cache:6379",
    }
    db = plan.containers_of("db")[0]
    assert db.aliases == (f"{UPSTREAM_PREFIX}db",)
    # a service without ports is not proxied and keeps its own name
    assert plan.containers_of("worker")[0].aliases == ("worker",)


def test_replicas_share_one_published_entry_point(profile):
    plan = plan_stack(profile)
    assert [c.name for c in plan.containers_of("api")] == ["envsim-prod-like-api-0", "envsim-prod-like-api-1"]
    assert [p.name for p in plan.entry_points] == ["api-http"]
    assert plan.entry_points[0].published.host_port is None


def test_containers_on_the_stack_network_reach_an_entry_point_by_its_service_name(profile):
    # the name is an alias of the Toxiproxy container, so load from there takes the entry's faults too
    plan = plan_stack(profile)
    assert [p.network_url for p in plan.entry_points] == ["http://api:8000"]
    assert "api" in plan.toxiproxies[0].aliases


def test_start_order_follows_dependencies(profile):
    plan = plan_stack(profile)
    assert plan.levels == (("cache", "db"), ("api", "worker"))


def test_every_container_carries_the_stack_label(profile):
    plan = plan_stack(profile, stack_name="PR 123")
    assert plan.stack == "pr-123"
    for container in plan.containers:
        assert dict(container.labels)["envsim.stack"] == "pr-123"
    assert dict(plan.toxiproxies[0].labels)["envsim.role"] == "toxiproxy"


def test_port_collisions_get_a_second_toxiproxy(profile):
    second_db = Service(name="db2", image="postgres:15", ports=(("pg", 5432),))
    plan = plan_stack(replace(profile, services=profile.services + (second_db,)))
    assert [t.aliases for t in plan.toxiproxies] == [("api", "db", "cache"), ("db2",)]
    assert plan.toxiproxy_of("db2-pg").name == "envsim-prod-like-toxiproxy-1"


def test_service_on_toxiproxys_api_port_moves_the_api(profile):
    odd = Service(name="odd", image="x", ports=(("p", 8474),))
    plan = plan_stack(replace(profile, services=(odd,)))
    assert plan.toxiproxies[0].api.container_port == 18474


def test_plan_output_redacts_secrets_and_is_deterministic(profile):
    text = stack_to_text(plan_stack(profile))
    assert "DATABASE_URL=postgresql://app:<secret:db_password>@db:5432/shop" in text
    first = to_json(stack_to_dict(plan_stack(profile)))
    assert first == to_json(stack_to_dict(plan_stack(profile)))
    assert "<secret:db_password>" in first


def test_endpoints_are_addressed_by_their_protocol(profile):
    (toxiproxy,) = plan_stack(profile).toxiproxies
    assert {p.name: p.scheme for p in toxiproxy.proxies} == {
        "api-http": "http",
        "db-pg": "postgres",
        "cache-redis": "redis",
    }
    assert endpoint_scheme("sql", 5432) == "postgres"  # a well-known number, whatever the name
    assert endpoint_scheme("http", 5432) == "http"  # a name that says HTTP wins
    assert endpoint_scheme("p9000", 9000) == "http"
    assert endpoint_scheme("https", 9443) == "https"

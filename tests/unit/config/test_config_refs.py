"""Cross-reference rules, each on its own, with the message a user sees."""

from __future__ import annotations

from config_helpers import MINIMAL_PROFILE, messages, profile_messages, scenario_messages, write

SCENARIO_HEAD = """
envsim: 1
profile: prod-like
load:
  duration: 3m
  tasks:
    - {name: browse, request: "GET /products"}
    - {name: checkout, request: "POST /orders"}
"""


def test_scaffold_is_valid(repo):
    assert messages([repo / "profiles/prod-like.yaml", repo / "scenarios/checkout.yaml"]) == []


def test_depends_on_target_exists(repo):
    text = MINIMAL_PROFILE + "    depends_on: [dbb]\n  db: {image: pg}\n"
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:7:18: services.api.depends_on[0]: unknown service 'dbb'; did you mean 'db'?"
    ]


def test_dependency_cycle_is_named(repo):
    text = """
    envsim: 1
    services:
      a: {image: x, depends_on: [b]}
      b: {image: x, depends_on: [c]}
      c: {image: x, depends_on: [a]}
      d: {image: x, depends_on: [d]}
    """
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:3:29: services.a.depends_on: dependency cycle: a -> b -> c -> a",
        "profiles/p.yaml:6:30: services.d.depends_on[0]: a service cannot depend on itself",
    ]


def test_failure_mode_target_exists_and_has_ports(repo):
    text = (
        MINIMAL_PROFILE
        + """  worker: {image: w}
failure_modes:
  a: {target: apo, latency: 1s}
  b: {target: worker, down: true}
  c: {target: worker, container: kill}
"""
    )
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:9:15: failure_modes.a.target: unknown service 'apo'; did you mean 'api'?",
        "profiles/p.yaml:10:15: failure_modes.b.target: 'worker' declares no ports, so there is no traffic "
        "to interpose on; add 'ports' to it",
    ]


def test_http_faults_on_stubs_and_real_http_services(repo):
    text = (
        MINIMAL_PROFILE
        + """  pay: {stub: {routes: [{method: GET, path: /}]}}
  db: {image: postgres:16, ports: {pg: 5432}}
  worker: {image: w:1}
failure_modes:
  a: {target: api, http_errors: {503: 20%}, retry_after: 1s, drop: 5%, delay: 200ms}
  b: {target: pay, http_errors: {503: 60%, 429: 50%}, retry_after: 1s}
  c: {target: api, slow_body: {delay: 1s}}
  d: {target: pay, delay: 300ms}
  e: {target: db, http_errors: {500: 1%}}
  f: {target: worker, outage: true}
  g: {target: api, delay: 100ms, latency: 1s}
"""
    )
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:12:33: failure_modes.b.http_errors: error rates add up to more than 100% (110%)",
        "profiles/p.yaml:12:33: failure_modes.b.http_errors: name one status per failure mode (a stub injects "
        "one error status at a time); add another failure mode",
        "profiles/p.yaml:13:20: failure_modes.c.slow_body: slow_body applies to stub services only, and 'api' is "
        "not a stub (a real service's answers can be held back with 'delay')",
        "profiles/p.yaml:14:20: failure_modes.d.delay: delay applies to real HTTP services only, and 'pay' is a "
        "stub (give the stub a 'latency', or use slow_body)",
        "profiles/p.yaml:15:19: failure_modes.e.http_errors: HTTP faults on a real service need every port of it "
        "to speak plain HTTP, and on 'db' its port 'pg' is not HTTP (name the port 'http', or give a one-port "
        "service an http health check)",
        "profiles/p.yaml:16:23: failure_modes.f.outage: HTTP faults on a real service need every port of it "
        "to speak plain HTTP, and on 'worker' it declares no ports (name the port 'http', or give a one-port "
        "service an http health check)",
        "profiles/p.yaml:17:20: failure_modes.g.delay: HTTP faults (http_errors, drop, slow_body, outage, delay) "
        "cannot be combined with network or container faults in one failure mode",
    ]


def test_publish_and_health_ports_exist(repo):
    text = """
    envsim: 1
    services:
      api:
        image: a
        ports: {http: 80}
        publish: {htp: 8080}
        health: {tcp: web}
    """
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:6:15: services.api.publish.htp: unknown port 'htp'; did you mean 'http'? (ports of api: http)",
        "profiles/p.yaml:7:19: services.api.health.tcp: unknown port 'web' (ports of api: http)",
    ]


def test_secret_must_be_a_credential_and_only_where_needed(repo):
    text = (
        MINIMAL_PROFILE
        + """    env: {A: "x${secret.db_pasword}y"}
    command: [run, "${secret.db_password}"]
    secret_files: {tokn: /run/t}
credentials:
  db_password: {generate: password}
  token: {generate: token}
"""
    )
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:7:14: services.api.env.A: unknown secret 'db_pasword': not defined under credentials; "
        "did you mean 'db_password'?",
        "profiles/p.yaml:8:20: services.api.command[1]: '${secret.db_password}' is not allowed here: secrets may "
        "be used in service env values, stub auth and task headers only",
        "profiles/p.yaml:9:20: services.api.secret_files.tokn: unknown secret 'tokn'; did you mean 'token'?",
    ]


def test_env_without_default_must_be_set(repo):
    text = MINIMAL_PROFILE + '    env: {A: "${env.APP_MODE}", B: "${env.OTHER:-x}"}\n'
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:7:14: services.api.env.A: environment variable 'APP_MODE' is not set "
        "(give a default with '${env.APP_MODE:-default}')"
    ]
    assert profile_messages(repo, text, env={"APP_MODE": "prod"}) == []


def test_referenced_files_exist_and_stay_in_the_repo(repo, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere")
    write(repo, "app/Dockerfile", "FROM scratch\n")
    write(repo, "db/schema.sql", "select 1;\n")
    text = f"""
    envsim: 1
    services:
      api: {{build: {{context: ../app, dockerfile: Dockerfile.prod}}}}
      web: {{build: ../web}}
      ok: {{build: {{context: ../app}}}}
      db:
        image: pg
        seed: [{{sql: ../db/schema.sql}}, {{sql: ../db/missing.sql}}, {{sql: {outside}/x.sql}}]
      pay: {{stub: {{openapi: ../../outside.yaml}}}}
    """
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:3:46: services.api.build.dockerfile: file not found: 'Dockerfile.prod'",
        "profiles/p.yaml:4:16: services.web.build: directory not found: '../web'",
        "profiles/p.yaml:8:43: services.db.seed[1].sql: file not found: '../db/missing.sql'",
        f"profiles/p.yaml:8:69: services.db.seed[2].sql: path '{outside}/x.sql' leads outside the repo",
        "profiles/p.yaml:9:25: services.pay.stub.openapi: path '../../outside.yaml' leads outside the repo",
    ]


def test_scenario_profile_must_resolve(repo):
    assert scenario_messages(repo, SCENARIO_HEAD.replace("prod-like", "prod-lik")) == [
        "scenarios/s.yaml:2:10: profile: no profile named 'prod-lik' (looked for profiles/prod-lik.yaml); "
        "did you mean 'prod-like'?"
    ]


def test_scenario_reports_an_invalid_profile(repo):
    write(repo, "profiles/prod-like.yaml", "envsim: 1\nservices: {api: {image: a, replicas: 0}}\n")
    assert scenario_messages(repo, SCENARIO_HEAD) == [
        "profiles/prod-like.yaml:2:38: services.api.replicas: must be at least 1, got 0",
        "scenarios/s.yaml:2:10: profile: profile 'prod-like' is not valid (its problems are listed)",
    ]


def test_timeline_faults_exist_in_the_profile(repo):
    text = SCENARIO_HEAD + "timeline:\n  - {at: 10s, fault: db-slwo}\n  - {at: 4m, fault: db-slow}\n"
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:9:22: timeline[0].fault: unknown failure mode 'db-slwo'; did you mean 'db-slow'? "
        "(failure_modes of profile 'prod-like')",
        "scenarios/s.yaml:10:10: timeline[1].at: starts at 240s, after the load ends (180s)",
    ]


def test_load_target_exists_and_publishes(repo):
    assert scenario_messages(repo, SCENARIO_HEAD + "  target: apii\n") == [
        "scenarios/s.yaml:8:11: load.target: unknown service 'apii'; did you mean 'api'?"
    ]
    assert scenario_messages(repo, SCENARIO_HEAD + "  target: db\n") == [
        "scenarios/s.yaml:8:11: load.target: 'db' publishes no port: add 'publish' to it in the profile"
    ]
    assert scenario_messages(repo, SCENARIO_HEAD + "  target: api.htp\n") == [
        "scenarios/s.yaml:8:11: load.target: unknown published port 'htp'; did you mean 'http'?"
    ]


def test_check_endpoints_name_a_task(repo):
    text = (
        SCENARIO_HEAD
        + """checks:
  - {metric: p95, endpoint: browse, below: 1s}
  - {metric: p95, endpoint: "POST /orders", below: 1s}
  - {metric: p95, endpoint: brwose, below: 1s}
  - {metric: p95, endpoint: "GET /orders", below: 1s}
"""
    )
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:11:29: checks[2].endpoint: unknown task 'brwose'; did you mean 'browse'?",
        "scenarios/s.yaml:12:29: checks[3].endpoint: unknown task 'GET /orders'; did you mean 'POST /orders'?",
    ]


def test_locustfile_endpoints_are_free_form(repo):
    write(repo, "load/shop.py", "# locust tasks\n")
    text = """
    envsim: 1
    profile: prod-like
    load: {duration: 1m, locustfile: ../load/shop.py}
    checks:
      - {metric: p95, endpoint: "GET /anything", below: 1s}
    """
    assert scenario_messages(repo, text) == []
    assert scenario_messages(repo, text.replace("shop.py", "shop2.py")) == [
        "scenarios/s.yaml:3:34: load.locustfile: file not found: '../load/shop2.py'"
    ]


def test_during_and_after_name_a_timeline_fault(repo):
    text = (
        SCENARIO_HEAD
        + """timeline:
  - {at: 10s, for: 10s, fault: db-slow}
  - {at: 30s, fault: cache-down}
checks:
  - {metric: error_rate, during: db-slw, below: 5%}
  - {metric: rps, after: api-crash, above: 1}
  - {metric: recovery_time, after: cache-down, below: 10s}
  - {metric: recovery_time, after: db-slow, above: 10s}
"""
    )
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:12:34: checks[0].during: unknown fault 'db-slw'; did you mean 'db-slow'? (not in the timeline)",
        "scenarios/s.yaml:13:26: checks[1].after: unknown fault 'api-crash' (not in the timeline)",
        "scenarios/s.yaml:14:36: checks[2].after: recovery is measured after a fault ends, but 'cache-down' "
        "has no 'for' in the timeline",
        "scenarios/s.yaml:15:45: checks[3].above: recovery_time takes 'below' or 'at_most'",
    ]


def test_sql_and_http_check_services_exist(repo):
    text = (
        SCENARIO_HEAD
        + """checks:
  - sql: {service: dbb, query: "select 1"}
    equals: {successes: checkuot}
  - http: {service: api, request: "GET /healthz", port: admin}
"""
    )
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:9:20: checks[0].sql.service: unknown service 'dbb'; did you mean 'db'?",
        "scenarios/s.yaml:10:25: checks[0].equals.successes: unknown task 'checkuot'; did you mean 'checkout'?",
        "scenarios/s.yaml:11:57: checks[1].http.port: unknown port 'admin'",
    ]


def test_duplicate_task_names_and_missing_duration(repo):
    text = """
    envsim: 1
    profile: prod-like
    load:
      tasks: [{name: a, request: GET /}, {name: a, request: GET /x}]
    """
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:3:1: load: missing required key 'duration' (or give 'stages')",
        "scenarios/s.yaml:4:45: load.tasks[1].name: duplicate task name 'a' (also task 1)",
    ]


def test_scenario_secret_in_headers_must_exist_in_profile(repo):
    text = SCENARIO_HEAD.replace(
        '"POST /orders"}', '"POST /orders", headers: {Authorization: "Bearer ${secret.tokn}"}}'
    )
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:7:74: load.tasks[1].headers.Authorization: unknown secret 'tokn': not defined under "
        "credentials"
    ]


def test_statements_only_on_a_postgresql_service(repo):
    text = (
        MINIMAL_PROFILE
        + """  db: {image: "postgis/postgis:16-3.4", statements: true}
  cache: {image: "redis:7", statements: true}
  carrier: {stub: {routes: [{method: GET, path: /v1}]}, statements: true}
  built: {build: ., statements: true}
"""
    )
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:8:41: services.cache.statements: statement statistics are PostgreSQL's "
        "(pg_stat_statements), and this service is Redis (image redis:7)",
        "profiles/p.yaml:9:69: services.carrier.statements: statement statistics are PostgreSQL's "
        "(pg_stat_statements), and this service is a stub",
    ]


def test_statements_must_be_true_or_false(repo):
    text = MINIMAL_PROFILE + "  db: {image: postgres:16, statements: yes please}\n"
    (message,) = profile_messages(repo, text)
    assert message == "profiles/p.yaml:7:40: services.db.statements: expected true or false, got text 'yes please'"

"""Each compose setting and what it becomes in the profile (or the warning it gives)."""

from __future__ import annotations

import pytest
from compose_helpers import draft_of, profile_of, warnings_of

from envsim.errors import InputError


def service(text: str, name: str = "api", **options) -> dict:
    return profile_of(text, **options)["services"][name]


def problems(text: str, **options) -> list[str]:
    with pytest.raises(InputError) as caught:
        draft_of(text, **options)
    return [str(p) for p in caught.value.problems]


def test_image_and_build_forms():
    assert service("services: {api: {image: 'app:1'}}") == {"image": "app:1"}
    assert service("services: {api: {build: .}}")["build"] == {"context": ".."}
    built = service(
        """
    services:
      api:
        image: app:dev
        build:
          context: ./src
          dockerfile: docker/Dockerfile
          args: [BASE=python:3.11-slim, FROM_ENV]
          target: runtime
    """,
        environ={"FROM_ENV": "yes"},
    )
    assert built == {
        "build": {
            "context": "../src",
            "dockerfile": "docker/Dockerfile",
            "args": {"BASE": "python:3.11-slim", "FROM_ENV": "yes"},
        }
    }
    notes = warnings_of("services: {api: {build: {context: ., target: runtime}}}")
    assert any("build.target: runtime -- not converted: envsim builds the Dockerfile's last stage" in w for w in notes)


def test_build_paths_are_relative_to_the_profile_and_urls_are_refused():
    assert service("services: {api: {build: {context: /elsewhere/app}}}")["build"]["context"] == "../../elsewhere/app"
    assert problems("services: {api: {build: 'https://github.com/x/y.git'}}") == [
        "docker-compose.yml:1:25: services.api.build.context: a build context from a URL is not supported: clone it "
        "and give its directory"
    ]


def test_environment_list_map_and_env_file():
    env = service(
        """
    services:
      api:
        image: app
        env_file: [common.env, {path: missing.env, required: false}]
        environment:
          - MODE=prod
          - FROM_SHELL
          - PRICE=$$5
    """,
        env_files={"common.env": "MODE=dev\nLOG=info\n", "missing.env": None},
    )["env"]
    # envsim's own syntax: `$$` is a literal `$`; a name without a value comes from the caller
    assert env == {"MODE": "prod", "LOG": "info", "FROM_SHELL": "${env.FROM_SHELL:-}", "PRICE": "$$5"}
    text = draft_of("services: {api: {image: app, environment: {PRICE: $$5, X: }}}")
    from envsim.compose.render import render_profile

    rendered = render_profile(text)
    assert 'PRICE: "$$5"' in rendered  # a literal $ is written as $$ for envsim
    assert 'X: "${env.X:-}"  # from the caller\'s environment' in rendered
    assert problems("services: {api: {image: app, env_file: gone.env}}") == [
        "docker-compose.yml:1:40: services.api.env_file[0]: env file not found: 'gone.env'"
    ]


def test_ports_expose_and_publish():
    api = service("""
    services:
      api:
        image: app
        ports: ["8000:8000", "127.0.0.1:9090:9090/tcp", 3000, {target: 8080, published: 18080}, "53:53/udp"]
        expose: ["9100"]
    """)
    # well-known ports get readable names, others (and second ones) their number
    assert api["ports"] == {"http": 8000, "p9090": 9090, "p3000": 3000, "p8080": 8080, "p9100": 9100}
    assert api["publish"] == [n for n in api["ports"] if n != "p9100"]
    notes = warnings_of("services: {api: {image: app, ports: ['53:53/udp']}}")
    assert notes and "envsim proxies TCP only" in notes[0]
    assert problems("services: {api: {image: app, ports: ['x:y']}}")[0].endswith(
        "services.api.ports[0]: not a port mapping: 'x:y' (expected [HOST:]CONTAINER[/PROTOCOL])"
    )


def test_depends_on_both_forms_and_conditions():
    text = """
    services:
      api:
        image: app
        depends_on:
          db: {condition: service_healthy}
          migrate: {condition: service_completed_successfully}
      db: {image: postgres:15}
      migrate: {image: app, depends_on: [db]}
    """
    profile = profile_of(text)
    assert profile["services"]["api"]["depends_on"] == ["db", "migrate"]
    assert profile["services"]["migrate"]["depends_on"] == ["db"]
    assert any("service_completed_successfully -- not converted" in w for w in warnings_of(text))
    assert problems("services: {api: {image: app, depends_on: [dbb]}, db: {image: x}}") == [
        "docker-compose.yml:1:43: services.api.depends_on.dbb: depends on 'dbb', which is not a service; did you mean 'db'?"
    ]


def test_healthcheck_forms():
    def health(test: str, ports: str = "ports: ['8000']") -> dict:
        return service(f"services: {{api: {{image: app, {ports}, healthcheck: {{test: {test}}}}}}}").get("health")

    assert health('["CMD", "pg_isready", "-U", "app"]') == {"cmd": ["pg_isready", "-U", "app"], "start_period": "90s"}
    assert health('["CMD-SHELL", "redis-cli ping | grep PONG"]')["cmd"] == ["sh", "-c", "redis-cli ping | grep PONG"]
    assert health('"pg_isready || exit 1"')["cmd"] == ["sh", "-c", "pg_isready || exit 1"]
    assert health('["CMD", "curl", "-f", "http://localhost:8000/healthz"]') == {
        "http": "/healthz",
        "start_period": "90s",
    }
    assert health('"curl -fs http://127.0.0.1:8000/ready || exit 1"')["http"] == "/ready"
    assert health('["NONE"]') is None
    notes = warnings_of("services: {api: {image: app, healthcheck: {test: 'pg_isready'}}}")
    assert any("CMD-SHELL test becomes [sh, -c, ...]" in w for w in notes)


def test_healthcheck_timing_becomes_one_budget():
    api = service("""
    services:
      api:
        image: app
        healthcheck: {test: [CMD, ready], interval: 1m30s, timeout: 500ms, retries: 2, start_period: 10s}
    """)
    assert api["health"] == {"cmd": ["ready"], "interval": "90s", "timeout": "500ms", "start_period": "190s"}
    quick = service("services: {api: {image: app, healthcheck: {test: [CMD, ready], interval: 1s, retries: 5}}}")
    assert quick["health"] == {"cmd": ["ready"], "interval": "1s"}  # within envsim's default 60s budget
    assert problems("services: {api: {image: app, healthcheck: {test: [CMD, x], interval: soon}}}") == [
        "docker-compose.yml:1:70: services.api.healthcheck.interval: not a duration: 'soon' (expected such as 10s, 1m30s or 500ms)"
    ]


def test_command_and_entrypoint_strings_are_split():
    api = service("""services: {api: {image: app, entrypoint: "python -m", command: 'app --name "a b"'}}""")
    assert api["command"] == ["python", "-m", "app", "--name", "a b"]
    assert any(
        "entrypoint: envsim sets the command only" in w
        for w in warnings_of("services: {api: {image: app, entrypoint: [tini]}}")
    )


def test_replicas_and_resources():
    api = service("""
    services:
      api:
        image: app
        deploy:
          replicas: 3
          resources: {limits: {cpus: "0.5", memory: 512M}, reservations: {memory: 128M}}
          restart_policy: {condition: on-failure}
    """)
    assert api["replicas"] == 3 and api["resources"] == {"cpus": 0.5, "memory": "512m"}
    old_style = service("services: {api: {image: app, scale: 2, cpus: 1.5, mem_limit: 1gb}}")
    assert old_style["replicas"] == 2 and old_style["resources"] == {"cpus": 1.5, "memory": "1g"}
    notes = warnings_of("services: {api: {image: app, deploy: {resources: {reservations: {cpus: '1'}}}}}")
    assert any("deploy.resources.reservations" in w for w in notes)


def test_volumes_initdb_sql_becomes_a_seed_and_others_are_warned():
    text = """
    services:
      db:
        image: postgres:15
        volumes:
          - ./db/schema.sql:/docker-entrypoint-initdb.d/01.sql:ro
          - pgdata:/var/lib/postgresql/data
          - ./src:/app
          - type: tmpfs
            target: /tmp
    volumes: {pgdata: {}}
    """
    assert service(text, "db")["seed"] == [{"sql": "../db/schema.sql"}]
    notes = warnings_of(text)
    assert any("named volume 'pgdata' is not kept" in w for w in notes)
    assert any("volumes[2]: volumes: ./src:/app -- not converted: bind mounts are not supported" in w for w in notes)
    assert any("tmpfs volumes are not kept" in w for w in notes)


@pytest.mark.parametrize(
    "key, value, reason",
    [
        ("network_mode", "host", "every service joins the stack's own network"),
        ("privileged", "true", "default privileges"),
        ("restart", "always", "envsim does not restart containers"),
        ("cap_add", "[NET_ADMIN]", "default privileges"),
        ("devices", "['/dev/fuse:/dev/fuse']", "default privileges"),
        ("container_name", "my-api", "service name"),
    ],
)
def test_unsupported_keys_are_comments_and_warnings(key, value, reason):
    text = f"services: {{api: {{image: app, {key}: {value}}}}}"
    draft = draft_of(text)
    assert any(note.startswith(f"{key}: ") and reason in note for note in draft.services[0].notes)
    assert any(f"services.api.{key}: {key}:" in w and reason in w for w in warnings_of(text))
    from envsim.compose.render import render_profile

    assert f"    # {key}: " in render_profile(draft)


def test_top_level_networks_and_profiles_services_are_reported():
    text = """
    services:
      api: {image: app, networks: [front]}
      debug: {image: busybox, profiles: [debug]}
    networks: {front: {}}
    """
    profile = profile_of(text)
    assert list(profile["services"]) == ["api"]
    notes = warnings_of(text)
    assert any("service 'debug' is not converted: compose starts it only with --profile" in w for w in notes)
    assert any("(top)" not in w and 'networks: ["front"] -- not converted' in w for w in notes)


def test_unknown_keys_and_wrong_types_are_located_errors():
    assert problems("""
    services:
      api:
        imgae: app
        build: {context: 3}
        ports: 8000
    """) == [
        "docker-compose.yml:3:5: services.api.imgae: unknown compose key 'imgae'; did you mean 'image'?",
        "docker-compose.yml:4:22: services.api.build.context: must be text, got 3",
        "docker-compose.yml:5:12: services.api.ports: must be a list, got 8000",
    ]
    assert problems("servics: {}\n") == [
        "docker-compose.yml:1:1: (top): no 'services' in the compose file: nothing to convert",
        "docker-compose.yml:1:1: servics: unknown compose key 'servics'; did you mean 'services'?",
    ]


def test_service_names_are_made_valid():
    text = "services: {Web.App: {image: app}, worker: {image: app, depends_on: [Web.App]}}"
    profile = profile_of(text)
    assert list(profile["services"]) == ["web-app", "worker"]
    assert profile["services"]["worker"]["depends_on"] == ["web-app"]
    assert any("service 'Web.App' is named 'web-app'" in w for w in warnings_of(text))


def test_well_known_images_without_ports_get_their_port():
    profile = profile_of(
        "services: {db: {image: 'docker.io/library/postgres:15-alpine'}, api: {image: app, depends_on: [db]}}"
    )
    assert profile["services"]["db"]["ports"] == {"pg": 5432}
    assert "publish" not in profile["services"]["db"]
    assert profile["failure_modes"]["db-slow"] == {"target": "db", "latency": "200ms", "jitter": "50ms"}
    assert profile["failure_modes"]["db-down"] == {"target": "db", "down": True}
    assert "ports" not in profile["services"]["api"]

"""What `init --from-compose` infers for an app with no compose healthcheck: health checks from
the image (PostgreSQL, Redis) or the app's own files, and smoke requests for paths it serves."""

from __future__ import annotations

import json
from pathlib import Path

from compose_helpers import profile_of, scenario_of

from envsim.compose.app_hints import app_hints, read_context

# The shape of a small public API: PostgreSQL 11.5 with no password, an app that answers 404 to
# `GET /`, documents its paths in openapi.json and serves the document itself.
COMPOSE = """
services:
  db:
    image: postgres:11.5-alpine
  cache:
    image: redis:5-alpine
  api:
    build: ./api
    ports: ["8000:8000"]
    environment:
      DATABASE_URL: postgresql://postgres@db:5432/postgres
    depends_on: [db, cache]
"""
OPENAPI = {
    "openapi": "3.0.2",
    "paths": {
        "/api/items": {"get": {}, "post": {}},
        "/api/items/{item_id}": {"get": {}},
        "/api/orders": {"post": {}},
        "/api/stats": {"get": {}},
    },
}
SERVER = """
ROUTES = {"/api/items": list_items, "/openapi.json": openapi_document}
"""
API_FILES = {"./api": {"openapi.json": json.dumps(OPENAPI), "items/server.py": SERVER}}


def test_images_and_the_apps_own_document_give_the_health_checks():
    services = profile_of(COMPOSE, app_files=API_FILES)["services"]
    assert services["db"]["health"] == {"cmd": ["pg_isready", "-h", "127.0.0.1", "-U", "postgres"]}
    assert services["cache"]["health"] == {"cmd": ["redis-cli", "ping"]}
    assert services["api"]["health"] == {"http": "/openapi.json"}  # the app serves its document


def test_the_smoke_scenario_requests_paths_the_app_serves_not_the_root():
    tasks = scenario_of(COMPOSE, app_files=API_FILES)["load"]["tasks"]
    assert [task["request"] for task in tasks] == ["GET /openapi.json", "GET /api/items", "GET /api/stats"]
    assert [task["name"] for task in tasks] == ["health", "api-items", "api-stats"]


def test_a_health_path_wins_and_a_postgres_user_is_used():
    compose = COMPOSE.replace(
        "    image: postgres:11.5-alpine", "    image: postgres:16\n    environment: {POSTGRES_USER: shop}"
    )
    routes = '@app.get("/api/items")\n@app.get("/healthz")\n@app.get("/api/items/{item_id}")\n'
    services = profile_of(compose, app_files={"./api": {"main.py": routes}})["services"]
    assert services["api"]["health"] == {"http": "/healthz"}
    assert services["db"]["health"]["cmd"][-1] == "shop"
    tasks = scenario_of(compose, app_files={"./api": {"main.py": routes}})["load"]["tasks"]
    assert [task["request"] for task in tasks] == ["GET /healthz", "GET /api/items"]


def test_without_hints_nothing_is_invented():
    services = profile_of(COMPOSE)["services"]
    assert "health" not in services["api"]
    assert [task["request"] for task in scenario_of(COMPOSE)["load"]["tasks"]] == ["GET /"]
    # a compose healthcheck is kept as written, never replaced by an inferred one
    written = COMPOSE.replace(
        "    image: redis:5-alpine", "    image: redis:5-alpine\n    healthcheck: {test: [CMD, ready], interval: 1s}"
    )
    assert profile_of(written)["services"]["cache"]["health"] == {"cmd": ["ready"], "interval": "1s"}


def test_fastapi_serves_its_document_and_parameters_are_left_out():
    hints = app_hints({"app/main.py": 'app = FastAPI()\n@app.get("/users/{uid}")\n@app.route("/about")\n'})
    assert (hints.health_path, hints.get_paths) == ("/openapi.json", ("/about",))
    assert app_hints({"README.md": "GET /health"}).health_path is None  # only sources and documents count


def test_reading_a_context_skips_dependencies_and_other_files(tmp_path: Path):
    (tmp_path / "node_modules/x").mkdir(parents=True)
    (tmp_path / "node_modules/x/index.js").write_text('app.get("/vendor")')
    (tmp_path / "src").mkdir()
    (tmp_path / "src/app.py").write_text('@app.get("/api/items")')
    (tmp_path / "openapi.yaml").write_text("paths: {/api/stats: {get: {}}}")
    (tmp_path / "data.csv").write_text("a,b")
    assert sorted(read_context(tmp_path)) == ["openapi.yaml", "src/app.py"]
    assert app_hints(read_context(tmp_path)).get_paths == ("/api/stats", "/api/items")

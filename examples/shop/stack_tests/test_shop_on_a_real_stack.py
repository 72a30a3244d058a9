"""The shop's integration tests on a real stack: PostgreSQL, Redis and Toxiproxy, no mocks.

Run from the repo root:   pytest examples/shop/stack_tests --envsim-profile prod-like
envsim's pytest plugin brings the stack up once for the session and removes it afterwards.
Tests run in file order: the fault of one test must not be seen by the tests around it.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request

import pytest

SLOW_DB_AT_LEAST = 0.15  # db-slow adds 200ms ± 50ms to every database round trip
FAST_AT_MOST = 0.12


def median_seconds(url: str, samples: int = 5) -> float:
    times = []
    for _ in range(samples):
        started = time.monotonic()
        with urllib.request.urlopen(url, timeout=10) as answer:
            answer.read()
        times.append(time.monotonic() - started)
    return statistics.median(times)


def test_products_come_from_the_seeded_database(envsim_stack):
    with urllib.request.urlopen(envsim_stack.endpoint("api") + "/orders/count", timeout=10) as answer:
        assert json.load(answer)["count"] >= 20000  # prod-like seeds 20,000 orders


def test_the_database_is_fast_before_any_fault(envsim_stack):
    assert median_seconds(envsim_stack.endpoint("api") + "/products/db") < FAST_AT_MOST


def test_a_slow_database_is_slow_inside_the_fault_block_only(envsim_stack):
    url = envsim_stack.endpoint("api") + "/products/db"
    with envsim_stack.fault("db-slow"):
        assert envsim_stack.active_faults() == ["db-slow"]
        assert median_seconds(url) >= SLOW_DB_AT_LEAST
    assert envsim_stack.active_faults() == []


@pytest.mark.envsim_fault("db-slow")
def test_a_marker_makes_one_test_meet_a_slow_database(envsim_stack):
    assert median_seconds(envsim_stack.endpoint("api") + "/products/db") >= SLOW_DB_AT_LEAST


def test_the_database_is_fast_again_after_the_faults(envsim_stack):
    assert envsim_stack.active_faults() == []
    assert median_seconds(envsim_stack.endpoint("api") + "/products/db") < FAST_AT_MOST


def test_the_app_gets_its_credentials_without_showing_them(envsim_stack):
    env = envsim_stack.env_for("api")
    assert env["DATABASE_URL"] == "postgresql://app:<secret:db_password>@db:5432/shop"
    assert envsim_stack.secret("db_password") not in json.dumps(env)

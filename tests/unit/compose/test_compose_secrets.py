"""Credentials in compose become generated secrets, one per literal value, everywhere it is used."""

from __future__ import annotations

import pytest
from compose_helpers import profile_of, warnings_of

from envsim.compose.secrets import secret_kind

SHOP = """
services:
  db:
    image: postgres:15
    environment:
      POSTGRES_USER: shop
      POSTGRES_PASSWORD: s3cret-pw
      POSTGRES_PASSWORD_FILE: /run/secrets/pw
  api:
    image: app
    environment:
      DATABASE_URL: postgresql://shop:s3cret-pw@db:5432/shop
      READ_URL: postgresql://reader:other-pw@db:5432/shop
      PAYMENTS_TOKEN: tok_123
      STRIPE_API_KEY: sk_live_abc
      SESSION_SECRET: tok_123
      REQUIRE_TOKEN: "true"
      CACHE_URL: redis://:cache-pw@cache:6379/0
"""


@pytest.mark.parametrize(
    "name, kind",
    [
        ("POSTGRES_PASSWORD", "password"),
        ("DB_PASSWD", "password"),
        ("JWT_SECRET", "token"),
        ("GITHUB_TOKEN", "token"),
        ("API_KEY", "token"),
        ("STRIPE_APIKEY", "token"),
        ("AWS_SECRET_ACCESS_KEY", "token"),
        ("POSTGRES_PASSWORD_FILE", None),
        ("KEYCLOAK_URL", None),
        ("MONKEY", None),
        ("PORT", None),
    ],
)
def test_which_names_hold_credentials(name, kind):
    assert secret_kind(name) == kind


def test_one_secret_per_value_shared_across_services():
    profile = profile_of(SHOP)
    db, api = profile["services"]["db"]["env"], profile["services"]["api"]["env"]
    assert db["POSTGRES_PASSWORD"] == "${secret.db_password}"
    assert api["DATABASE_URL"] == "postgresql://shop:${secret.db_password}@db:5432/shop"
    assert api["READ_URL"] == "postgresql://reader:${secret.db_password_2}@db:5432/shop"
    assert api["PAYMENTS_TOKEN"] == api["SESSION_SECRET"] == "${secret.payments_token}"
    assert api["STRIPE_API_KEY"] == "${secret.stripe_api_key}"
    assert api["CACHE_URL"] == "redis://:${secret.cache_password}@cache:6379/0"
    assert api["REQUIRE_TOKEN"] == "true"  # a flag, not a credential
    assert db["POSTGRES_PASSWORD_FILE"] == "/run/secrets/pw"  # a path, not a credential
    assert profile["credentials"] == {
        "db_password": {"generate": "password"},
        "db_password_2": {"generate": "password"},
        "payments_token": {"generate": "token"},
        "stripe_api_key": {"generate": "token"},
        "cache_password": {"generate": "password"},
    }


def test_secret_values_never_reach_the_profile_text():
    from compose_helpers import draft_of

    from envsim.compose.render import render_profile

    text = render_profile(draft_of(SHOP))
    for value in ("s3cret-pw", "other-pw", "tok_123", "sk_live_abc", "cache-pw"):
        assert value not in text
    assert (
        "db_password: {generate: password}  # was a literal in compose: POSTGRES_PASSWORD in db, DATABASE_URL in api"
        in text
    )


def test_a_credential_also_used_in_a_command_is_kept_as_written():
    text = """
    services:
      cache:
        image: redis:7
        command: redis-server --requirepass cache-pw
      api:
        image: app
        environment: {REDIS_URL: "redis://:cache-pw@cache:6379/0", REDIS_PASSWORD: cache-pw}
    """
    profile = profile_of(text)
    assert profile["services"]["api"]["env"]["REDIS_URL"] == "redis://:cache-pw@cache:6379/0"
    assert "credentials" not in profile
    assert any("also appears in the command, healthcheck or build args of cache" in w for w in warnings_of(text))


def test_compose_secret_files_become_generated_credentials():
    profile = profile_of("""
    services:
      db:
        image: postgres:15
        environment: {POSTGRES_PASSWORD_FILE: /run/secrets/db_pw}
        secrets: [db_pw, {source: api_key, target: key.txt}]
    secrets:
      db_pw: {file: ./db_pw.txt}
      api_key: {file: ./key.txt}
    """)
    assert profile["services"]["db"]["secret_files"] == {
        "db_pw": "/run/secrets/db_pw",
        "api_key": "/run/secrets/key.txt",
    }
    assert profile["credentials"] == {"db_pw": {"generate": "password"}, "api_key": {"generate": "password"}}

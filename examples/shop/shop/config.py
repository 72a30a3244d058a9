"""Settings from the environment, read once at start-up (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    port: int = 8000
    host: str = "0.0.0.0"  # all interfaces: inside a container the stack's network reaches it
    # Every wait on a dependency is bounded, so a fault surfaces as an error instead of a
    # request that never ends.
    db_connect_timeout: int = 3  # seconds (libpq takes whole seconds)
    db_statement_timeout_ms: int = 5000  # enforced by the server
    db_query_deadline: float = 8.0  # enforced here: covers a network that stops delivering
    db_pool_size: int = 10
    cache_timeout: float = 0.5  # seconds, connect and per command
    cache_ttl: int = 5  # seconds a product list stays cached
    cache_retry_after: float = 1.0  # after a cache failure, skip the cache this long
    # the payments provider (POST /orders/pay); unset: that endpoint answers 503
    payments_url: str = ""
    payments_token: str = ""
    payments_token_file: str = ""  # preferred when present: re-read on every call
    payments_token_cache: bool = False  # PAYMENTS_TOKEN_CACHE=1: read the token file once at start-up
    payments_api_version: str = "2024-06"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not env.get(name)]
        if missing:
            raise SystemExit(f"shop: missing environment variable(s): {', '.join(missing)}")
        return cls(
            database_url=env["DATABASE_URL"],
            redis_url=env["REDIS_URL"],
            port=int(env.get("PORT", "8000")),
            host=env.get("HOST", "0.0.0.0"),
            db_connect_timeout=int(env.get("DB_CONNECT_TIMEOUT", "3")),
            db_statement_timeout_ms=int(env.get("DB_STATEMENT_TIMEOUT_MS", "5000")),
            db_query_deadline=float(env.get("DB_QUERY_DEADLINE", "8")),
            db_pool_size=int(env.get("DB_POOL_SIZE", "10")),
            cache_timeout=float(env.get("CACHE_TIMEOUT", "0.5")),
            cache_ttl=int(env.get("CACHE_TTL", "5")),
            cache_retry_after=float(env.get("CACHE_RETRY_AFTER", "1")),
            payments_url=env.get("PAYMENTS_URL", ""),
            payments_token=env.get("PAYMENTS_TOKEN", ""),
            payments_token_file=env.get("PAYMENTS_TOKEN_FILE", ""),
            payments_token_cache=env.get("PAYMENTS_TOKEN_CACHE", "").lower() in ("1", "true", "yes"),
            payments_api_version=env.get("PAYMENTS_API_VERSION", "2024-06"),
        )

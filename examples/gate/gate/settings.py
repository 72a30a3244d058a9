"""Configuration from the environment, as the container gets it."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    fixed: bool = False  # GATE_FIXED=1: the fixed variant of every class
    host: str = "0.0.0.0"
    port: int = 8000
    workers: int = 4  # request worker threads, like a gunicorn --threads 4
    database_url: str = ""
    redis_url: str = ""
    carrier_url: str = ""  # third-party shipping API (rates, labels)
    carrier_key: str = ""
    payments_url: str = ""  # third-party payments API (bearer token, rotated)
    payments_token_file: str = ""

    @classmethod
    def from_env(cls, env: dict | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            fixed=_flag(env.get("GATE_FIXED")),
            host=env.get("HOST", "0.0.0.0"),
            port=int(env.get("PORT", "8000")),
            workers=int(env.get("GATE_WORKERS", "4")),
            database_url=env.get("DATABASE_URL", ""),
            redis_url=env.get("REDIS_URL", ""),
            carrier_url=env.get("CARRIER_URL", ""),
            carrier_key=env.get("CARRIER_KEY", ""),
            payments_url=env.get("PAYMENTS_URL", ""),
            payments_token_file=env.get("PAYMENTS_TOKEN_FILE", ""),
        )

"""Redis as a cache in front of the product list. The shop keeps working when it is down."""

from __future__ import annotations

import json
import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .config import Settings


class Cache:
    def __init__(self, settings: Settings):
        self._settings = settings
        # One retry covers a pooled connection that went stale (Redis restarted); a cache
        # that is really down fails within the timeout instead of being retried.
        self._client = redis.Redis.from_url(
            settings.redis_url,
            socket_timeout=settings.cache_timeout,
            socket_connect_timeout=settings.cache_timeout,
            retry=Retry(NoBackoff(), 1),
        )
        self._lock = threading.Lock()
        self._skip_until = 0.0

    def get_json(self, key: str) -> tuple[object | None, str]:
        """(value, "hit") / (None, "miss") / (None, "unavailable")."""
        if self._skipping():
            return None, "unavailable"
        try:
            raw = self._client.get(key)
        except redis.RedisError:
            self._failed()
            return None, "unavailable"
        if raw is None:
            return None, "miss"
        return json.loads(raw), "hit"

    def set_json(self, key: str, value: object, ttl: int) -> None:
        if self._skipping():
            return
        try:
            self._client.set(key, json.dumps(value), ex=ttl)
        except redis.RedisError:
            self._failed()

    def ping(self) -> None:
        """Raises redis.RedisError when the cache does not answer (health checks bypass the skip)."""
        self._client.ping()

    def close(self) -> None:
        self._client.close()

    def _skipping(self) -> bool:
        # After a failure every request would otherwise pay the cache timeout again.
        with self._lock:
            return time.monotonic() < self._skip_until

    def _failed(self) -> None:
        with self._lock:
            self._skip_until = time.monotonic() + self._settings.cache_retry_after

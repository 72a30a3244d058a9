"""Login sessions. Class 6: the buggy store is a dict in this process, so with two replicas
behind a request balancer half the requests land where the session is unknown (401).
Fixed, sessions live in Redis, shared by every replica."""

from __future__ import annotations

import secrets
import threading


class MemorySessions:
    def __init__(self):
        self._sessions: dict[str, str] = {}
        self._lock = threading.Lock()

    def create(self, user: str) -> str:
        sid = secrets.token_urlsafe(16)
        with self._lock:
            self._sessions[sid] = user
        return sid

    def user(self, sid: str) -> str | None:
        with self._lock:
            return self._sessions.get(sid)


class RedisSessions:
    def __init__(self, client, ttl: int = 3600):
        self._redis = client
        self._ttl = ttl

    def create(self, user: str) -> str:
        sid = secrets.token_urlsafe(16)
        self._redis.set(f"session:{sid}", user, ex=self._ttl)
        return sid

    def user(self, sid: str) -> str | None:
        value = self._redis.get(f"session:{sid}")
        return value.decode() if isinstance(value, bytes) else value

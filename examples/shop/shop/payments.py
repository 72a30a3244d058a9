"""Charging an order at the payments provider: bearer token, pinned API version, retries.

The token is read from the secret file on every call when the deployment mounts one (a
rotated token is picked up at once), else from the environment as it was at start-up.
PAYMENTS_TOKEN_CACHE=1 reads the file once at start-up instead: the bug token rotation exposes.
Throttling (429) and unavailability (503) are retried with backoff, honouring Retry-After,
with the order id as the idempotency key so a retry never charges twice.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


class PaymentFailed(Exception):
    def __init__(self, status: int | None, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PaymentsClient:
    url: str
    token: str = ""
    token_file: str = ""
    api_version: str = "2024-06"
    timeout: float = 3.0
    attempts: int = 3
    max_backoff: float = 2.0  # seconds: the longest wait between attempts, whatever Retry-After says
    # the buggy variant (PAYMENTS_TOKEN_CACHE=1): the file is read once, here, and never again,
    # so a rotated token is never seen and every call after the rotation gets 401
    cache_token: bool = False

    def __post_init__(self) -> None:
        if self.cache_token and self.token_file and Path(self.token_file).is_file():
            object.__setattr__(self, "token", Path(self.token_file).read_text(encoding="utf-8").strip())
            object.__setattr__(self, "token_file", "")

    def current_token(self) -> str:
        if self.token_file and Path(self.token_file).is_file():
            return Path(self.token_file).read_text(encoding="utf-8").strip()
        return self.token

    def charge(self, order_id: int, amount_cents: int) -> dict:
        body = json.dumps({"amount": amount_cents, "currency": "eur", "metadata": {"order": order_id}}).encode()
        delay = 0.2
        for attempt in range(1, self.attempts + 1):
            status, payload, retry_after = self._post("/v1/charges", body, idempotency_key=f"order-{order_id}")
            if status is not None and 200 <= status < 300:
                return payload
            if status not in (None, 429, 502, 503, 504) or attempt == self.attempts:
                raise PaymentFailed(status, f"charge failed with {status or 'no answer'}: {payload}")
            time.sleep(min(self.max_backoff, retry_after if retry_after is not None else delay))
            delay *= 2
        raise PaymentFailed(None, "unreachable")

    def _post(self, path: str, body: bytes, idempotency_key: str) -> tuple[int | None, dict, float | None]:
        request = urllib.request.Request(
            self.url.rstrip("/") + path,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.current_token()}",
                "Api-Version": self.api_version,
                "Idempotency-Key": idempotency_key,
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _json(response.read()), None
        except urllib.error.HTTPError as error:
            retry_after = error.headers.get("Retry-After")
            return (
                error.code,
                _json(error.read()),
                float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        except (urllib.error.URLError, OSError) as error:
            return None, {"error": str(error)}, None


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"raw": raw[:200].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}

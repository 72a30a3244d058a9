"""Clients of the two third-party APIs: the carrier (shipping rates and labels) and payments.

Class 3 (retry): `CarrierClient.rates` with attempts=1 gives up on the first 503/429; fixed,
it retries with exponential backoff and honours Retry-After (capped).
Class 5 (version): `CarrierClient.label` sends the API version it was written against;
buggy, that is 2023-01, which the carrier has deprecated (410 Gone); fixed, the current one.
Class 4 (token): `PaymentsClient` with reread_token=False reads the token file once, at
start-up; when the provider rotates the token every call after that gets 401. Fixed, the
file is read on every call.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

CARRIER_VERSION = "2024-06"  # what the carrier serves today
CARRIER_VERSION_LEGACY = "2023-01"  # what the label integration was written against
RETRYABLE = (429, 502, 503, 504)


class UpstreamError(Exception):
    def __init__(self, status: int | None, message: str):
        super().__init__(message)
        self.status = status


def http_call(method: str, url: str, headers: dict, body: dict | None, timeout: float):
    """(status or None, JSON payload, Retry-After seconds or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={**headers, **({"Content-Type": "application/json"} if data else {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _json(response.read()), None
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read()), _retry_after(error.headers.get("Retry-After"))
    except (urllib.error.URLError, OSError) as error:
        return None, {"error": str(error)}, None


class CarrierClient:
    def __init__(
        self,
        url: str,
        key: str,
        *,
        attempts: int,
        label_version: str,
        timeout: float = 3.0,
        max_backoff: float = 2.0,
        call=http_call,
        sleep=time.sleep,
    ):
        self.url = url.rstrip("/")
        self.key = key
        self.attempts = attempts
        self.label_version = label_version
        self.timeout = timeout
        self.max_backoff = max_backoff
        self._call = call
        self._sleep = sleep

    def _headers(self, version: str) -> dict:
        return {"X-Api-Key": self.key, "Carrier-Version": version}

    def rates(self, sku: str) -> dict:
        delay = 0.2
        for attempt in range(1, self.attempts + 1):
            status, payload, retry_after = self._call(
                "GET", f"{self.url}/v1/rates?sku={sku}", self._headers(CARRIER_VERSION), None, self.timeout
            )
            if status == 200:
                return payload
            if status not in (None, *RETRYABLE) or attempt == self.attempts:
                raise UpstreamError(status, f"carrier rates: {status or 'no answer'} after {attempt} attempt(s)")
            self._sleep(min(self.max_backoff, retry_after if retry_after is not None else delay))
            delay *= 2
        raise AssertionError("unreachable")

    def label(self, sku: str) -> dict:
        status, payload, _ = self._call(
            "POST", f"{self.url}/v1/labels", self._headers(self.label_version), {"sku": sku}, self.timeout
        )
        if status not in (200, 201):
            raise UpstreamError(
                status, f"carrier labels: {status or 'no answer'} (Carrier-Version {self.label_version})"
            )
        return payload


class PaymentsClient:
    def __init__(self, url: str, token_file: str, *, reread_token: bool, timeout: float = 3.0, call=http_call):
        self.url = url.rstrip("/")
        self.token_file = token_file
        self.reread_token = reread_token
        self.timeout = timeout
        self._call = call
        # the bug: read once, here, and kept for the life of the process
        self._token = None if reread_token else self._read_token()

    def _read_token(self) -> str:
        path = Path(self.token_file)
        return path.read_text(encoding="utf-8").strip() if self.token_file and path.is_file() else ""

    def token(self) -> str:
        return self._read_token() if self.reread_token else (self._token or "")

    def charge(self, amount_cents: int) -> dict:
        status, payload, _ = self._call(
            "POST",
            f"{self.url}/v1/charges",
            {"Authorization": f"Bearer {self.token()}"},
            {"amount": amount_cents, "currency": "eur"},
            self.timeout,
        )
        if status not in (200, 201):
            raise UpstreamError(status, f"payments: {status or 'no answer'}")
        return payload


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"raw": raw[:200].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}

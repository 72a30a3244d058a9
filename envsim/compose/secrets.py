"""Credentials found in compose environments become generated envsim credentials.

A value is a credential when its variable's name says so (PASSWORD, PASSWD, SECRET, TOKEN,
KEY, API_KEY) or when it is the password of a URL (`scheme://user:PASSWORD@host`). One
literal value is one secret wherever it appears, so the database's POSTGRES_PASSWORD and the
app's DATABASE_URL keep agreeing once envsim generates the value. A value that also appears
where envsim cannot put a secret (a command, a healthcheck, a build arg) stays as written:
replacing it in some places only would break the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from envsim.compose.draft import CredentialDraft, EnvsimText, ServiceDraft

_URL_PASSWORD = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@(?P<host>[^:/@\s?#]*)"
)
_SECRET_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN")
_KEY_WORDS = ("KEY", "APIKEY", "KEYS")
_NOT_SECRET_VALUES = {"", "true", "false", "yes", "no", "on", "off", "none", "null", "0", "1"}
_NOT_SECRET_SUFFIXES = ("_FILE", "_PATH", "_DIR", "_URL_FILE")


def secret_kind(variable: str) -> str | None:
    """'password' or 'token' when the variable's name says it holds a credential."""
    name = variable.upper()
    if name.endswith(_NOT_SECRET_SUFFIXES):
        return None  # POSTGRES_PASSWORD_FILE holds a path, not the password
    if "PASSWORD" in name or "PASSWD" in name:
        return "password"
    if any(word in name for word in _SECRET_WORDS):
        return "token"
    if any(part in _KEY_WORDS for part in name.split("_")) or name.endswith("APIKEY"):
        return "token"
    return None


def _secret_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return name if name and not name[0].isdigit() else f"s_{name}"


@dataclass
class _Found:
    value: str
    kind: str
    names: list[str] = field(default_factory=list)  # from variable names
    url_names: list[str] = field(default_factory=list)  # from URL hosts: preferred (`db_password`)
    places: list[str] = field(default_factory=list)  # "POSTGRES_PASSWORD in db"


@dataclass
class SecretsResult:
    credentials: list[CredentialDraft]
    kept: list[str]  # messages: values left as written, and why


def extract_secrets(services: list[ServiceDraft], elsewhere: dict[str, list[str]]) -> SecretsResult:
    """Replace credentials in every service's `env` (in place) by `${secret.NAME}` references.

    `elsewhere` maps each service to the texts envsim cannot hold a secret in (commands,
    healthchecks, build args); a credential seen there is kept as written, with a message.
    """
    found: dict[str, _Found] = {}
    for service in services:
        for variable, value in (service.get("env") or {}).items():
            if not isinstance(value, str):
                continue
            kind = secret_kind(variable)
            if kind and value.strip().lower() not in _NOT_SECRET_VALUES and not _URL_PASSWORD.search(value):
                entry = found.setdefault(value, _Found(value, kind))
                entry.names.append(_secret_name(variable))
                entry.places.append(f"{variable} in {service.name}")
            for match in _URL_PASSWORD.finditer(value):
                entry = found.setdefault(match.group("password"), _Found(match.group("password"), "password"))
                entry.kind = "password"
                entry.url_names.append(_secret_name(f"{match.group('host') or service.name}_password"))
                entry.places.append(f"{variable} in {service.name}")
    kept: list[str] = []
    for value, entry in list(found.items()):
        users = [name for name, texts in elsewhere.items() if any(value in text for text in texts)]
        if users:
            kept.append(
                f"a credential ({', '.join(entry.places)}) also appears in the command, healthcheck or "
                f"build args of {', '.join(users)}, where envsim cannot put a secret: kept as written"
            )
            del found[value]
    names: dict[str, str] = {}
    credentials: list[CredentialDraft] = []
    for value, entry in found.items():
        base = (entry.url_names + entry.names)[0]
        name, suffix = base, 2
        while name in names.values():
            name = f"{base}_{suffix}"
            suffix += 1
        names[value] = name
        places = list(dict.fromkeys(entry.places))
        credentials.append(CredentialDraft(name, entry.kind, f"was a literal in compose: {', '.join(places)}"))
    for service in services:
        env = service.get("env")
        if env:
            for variable, value in env.items():
                if isinstance(value, str):
                    env[variable] = _with_references(value, names)
    return SecretsResult(credentials, kept)


def _escape(text: str) -> str:
    return text.replace("$", "$$")


def _with_references(value: str, names: dict[str, str]) -> Any:
    if value in names:
        return EnvsimText(f"${{secret.{names[value]}}}")
    pieces: list[str] = []
    position = 0
    changed = False
    for match in _URL_PASSWORD.finditer(value):
        password = match.group("password")
        if password not in names:
            continue
        start, end = match.span("password")
        pieces.append(_escape(value[position:start]))
        pieces.append(f"${{secret.{names[password]}}}")
        position = end
        changed = True
    if not changed:
        return value
    pieces.append(_escape(value[position:]))
    return EnvsimText("".join(pieces))

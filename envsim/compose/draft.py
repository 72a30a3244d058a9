"""The profile being written: plain values in the order they are written, with comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from envsim.errors import Problem


class EnvsimText(str):
    """A string already in envsim's syntax (`$$`, `${secret.NAME}`): written as it is.

    Every other string is a literal value and has its `$` written as `$$`.
    """


@dataclass
class Field:
    key: str
    value: Any
    comment: str = ""  # after the value, on the same line


@dataclass
class ServiceDraft:
    name: str
    fields: list[Field] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # comment lines above the fields
    env_comments: dict[str, str] = field(default_factory=dict)
    has_build: bool = False
    health_path: str | None = None  # an HTTP path its health check requests
    smoke_paths: list[str] = field(default_factory=list)  # GET paths the app serves (its own files say)

    def set(self, key: str, value: Any, comment: str = "") -> None:
        self.fields.append(Field(key, value, comment))

    def get(self, key: str, default: Any = None) -> Any:
        return next((f.value for f in self.fields if f.key == key), default)

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)


@dataclass(frozen=True)
class CredentialDraft:
    name: str
    generate: str  # password | token
    comment: str = ""


@dataclass
class ProfileDraft:
    name: str
    sources: list[str]
    services: list[ServiceDraft] = field(default_factory=list)
    credentials: list[CredentialDraft] = field(default_factory=list)
    failure_modes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # top-level things not converted
    warnings: list[Problem] = field(default_factory=list)

    def service(self, name: str) -> ServiceDraft | None:
        return next((s for s in self.services if s.name == name), None)

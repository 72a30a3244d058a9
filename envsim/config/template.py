"""Values that may mention secrets or per-user variables, kept symbolic until they are needed.

Secret values are never stored in the model: a value that mentions a secret is a `Template`
whose parts name it, rendered only at apply time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretRef:
    name: str


@dataclass(frozen=True)
class VarRef:
    """`${var.NAME}` in a load request: a per-user value, filled in by the load generator."""

    name: str


@dataclass(frozen=True)
class Template:
    """A string value with `${secret.NAME}` references left symbolic.

    `${env.VAR:-default}` is resolved while loading (from the environment passed in), so
    only secrets remain, and in a load request `${var.NAME}` references.
    """

    parts: tuple[str | SecretRef | VarRef, ...]

    @classmethod
    def literal(cls, text: str) -> Template:
        return cls((text,))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if isinstance(p, SecretRef))

    @property
    def vars(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if isinstance(p, VarRef))

    def redacted(self) -> str:
        return "".join(
            p if isinstance(p, str) else f"${{var.{p.name}}}" if isinstance(p, VarRef) else f"<secret:{p.name}>"
            for p in self.parts
        )

    def render(self, secrets: Mapping[str, str]) -> str:
        """Secrets filled in; `${var.NAME}` references stay (see `with_secrets`)."""
        return "".join(
            p if isinstance(p, str) else secrets[p.name] if isinstance(p, SecretRef) else f"${{var.{p.name}}}"
            for p in self.parts
        )

    def with_secrets(self, secrets: Mapping[str, str]) -> tuple[str | VarRef, ...]:
        """The parts with secrets filled in: text and the variables left for the load generator."""
        parts: list[str | VarRef] = []
        for part in self.parts:
            text = secrets[part.name] if isinstance(part, SecretRef) else part
            if isinstance(text, str) and parts and isinstance(parts[-1], str):
                parts[-1] += text
            else:
                parts.append(text)
        return tuple(parts)

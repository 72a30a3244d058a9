"""Names and labels as Kubernetes accepts them, derived from envsim's names.

Kubernetes is stricter than Docker: object names are DNS-1123 labels (lowercase letters,
digits and '-', at most 63), Services must start with a letter, label values allow no spaces.
A name that has to change to fit gets a short hash of the original appended, so two names
that differ only in what was replaced (`db_a`, `db-a`) never land on the same object.
"""

from __future__ import annotations

import hashlib
import re

DNS_LABEL_MAX = 63
PORT_NAME_MAX = 15
_DNS_UNSAFE = re.compile(r"[^a-z0-9-]+")
_LABEL_VALUE_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
DNS_1035_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def dns_label(text: str, *, letter_first: bool = False) -> str:
    """`text` as a DNS-1123 label (with `letter_first`, a DNS-1035 one, as Services need)."""
    cleaned = re.sub("-{2,}", "-", _DNS_UNSAFE.sub("-", text.lower())).strip("-") or "x"
    if letter_first and not cleaned[0].isalpha():
        cleaned = f"x-{cleaned}"
    if cleaned == text and len(cleaned) <= DNS_LABEL_MAX:
        return cleaned
    suffix = f"-{_short_hash(text)}"
    return cleaned[: DNS_LABEL_MAX - len(suffix)].rstrip("-") + suffix


def label_value(text: str) -> str:
    """`text` as a label value: the same text where it fits, else its letters joined by '-'."""
    if LABEL_VALUE.match(text):
        return text
    cleaned = _LABEL_VALUE_UNSAFE.sub("-", text).strip("-_.")
    return cleaned[:DNS_LABEL_MAX].rstrip("-_.")


def port_name(name: str) -> str | None:
    """A container or Service port name (IANA service name rules), or None where none fits."""
    cleaned = re.sub("-{2,}", "-", _DNS_UNSAFE.sub("-", name.lower())).strip("-")[:PORT_NAME_MAX].strip("-")
    return cleaned if re.search("[a-z]", cleaned) else None


def secret_env_name(credential: str) -> str:
    """The helper variable a container gets for a credential used inside a longer value."""
    return f"ENVSIM_SECRET_{credential}"

"""What this machine provides to image builds: its apt mirror, its CA certificates, a cache.

Read when a build needs them, never at import time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")  # Debian's place for locally added CAs


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "envsim"


def ca_bundle() -> Path | None:
    """The bundle copied into the Debian base image: ENVSIM_CA_BUNDLE, else the system one."""
    configured = os.environ.get("ENVSIM_CA_BUNDLE")
    path = Path(configured) if configured else CA_BUNDLE
    return path if path.is_file() else None


def extra_ca_certificates() -> str:
    """PEM text offered to user builds: ENVSIM_EXTRA_CA_FILE, else the locally added CAs.

    Only the additions, not the whole bundle: images already carry the public CAs, and the
    text travels as a build arg.
    """
    configured = os.environ.get("ENVSIM_EXTRA_CA_FILE")
    if configured:
        return Path(configured).read_text(encoding="ascii", errors="replace")
    if not LOCAL_CA_DIR.is_dir():
        return ""
    parts = [p.read_text(encoding="ascii", errors="replace").strip() for p in sorted(LOCAL_CA_DIR.rglob("*.crt"))]
    return "\n".join(p for p in parts if p) + ("\n" if parts else "")


def apt_mirrors(source_texts: list[str], suite: str) -> tuple[str, str | None]:
    """(main mirror, security mirror) for `suite` from apt source files (deb822 or one-line).

    Pure, so it is tested with plain strings. Falls back to deb.debian.org.
    """
    main: str | None = None
    security: str | None = None
    for uri, suites in _entries(source_texts):
        for entry_suite in suites:
            if entry_suite == suite and main is None:
                main = uri
            elif entry_suite == f"{suite}-security" and security is None:
                security = uri
            elif entry_suite == f"{suite}/updates" and security is None:
                security = uri
    return (main or DEFAULT_MIRROR).rstrip("/"), security.rstrip("/") if security else None


def host_apt_mirrors(suite: str) -> tuple[str, str | None]:
    override = os.environ.get("ENVSIM_DEBIAN_MIRROR")
    if override:
        return override.rstrip("/"), os.environ.get("ENVSIM_DEBIAN_SECURITY_MIRROR") or DEFAULT_SECURITY_MIRROR
    texts: list[str] = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if path.suffix in (".list", ".sources") and path.is_file():
            try:
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
    main, security = apt_mirrors(texts, suite)
    return main, security or DEFAULT_SECURITY_MIRROR


_ONE_LINE = re.compile(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)")


def _entries(source_texts: list[str]) -> list[tuple[str, list[str]]]:
    entries: list[tuple[str, list[str]]] = []
    for text in source_texts:
        if re.search(r"^\s*Types:", text, re.MULTILINE | re.IGNORECASE):
            for stanza in re.split(r"\n\s*\n", text):
                fields = _stanza_fields(stanza)
                if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes") == "no":
                    continue
                for uri in fields.get("uris", "").split():
                    entries.append((uri, fields.get("suites", "").split()))
        else:
            for line in text.splitlines():
                found = _ONE_LINE.match(line)
                if found:
                    entries.append((found.group(1), [found.group(2)]))
    return entries


def _stanza_fields(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.lstrip().startswith("#") or ":" not in line or line[:1].isspace():
            continue
        key, value = line.split(":", 1)
        fields[key.strip().lower()] = value.strip()
    return fields

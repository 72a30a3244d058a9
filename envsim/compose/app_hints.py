"""What an app's own files say about the HTTP paths it serves, for `init --from-compose`.

A compose file rarely says which paths its app answers, and `GET /` is often a 404 (APIs
serve under `/api/...`). The app's build context usually says more: an OpenAPI document
lists its GET paths, and the source names its routes and health path. These become the
health check and the smoke scenario's requests. `app_hints` is pure (file texts in, paths
out); `read_context` does the bounded reading.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

DOCUMENT_NAMES = re.compile(r"^(openapi|swagger)([._-][\w.-]*)?\.(json|ya?ml)$", re.IGNORECASE)
SOURCE_SUFFIXES = frozenset({".py", ".js", ".mjs", ".ts", ".go", ".rb", ".java", ".kt", ".php"})
SKIPPED_DIRS = frozenset({".git", "node_modules", "venv", ".venv", "__pycache__", "dist", "target", "vendor", "tests"})
MAX_FILES = 400
MAX_BYTES = 256_000
SMOKE_PATHS = 3  # at most this many of the app's GET paths are requested by the smoke scenario

# A health path named in the source: "/health", "/healthz", "/api/ready", ...
_HEALTH_LITERAL = re.compile(r"""["'](/(?:[\w-]+/)?(?:health|healthz|healthcheck|ready|readyz|livez|ping))["']""")
# Routes declared for GET: @app.get("/x"), @router.route("/x"), app.get('/x', ...), add_get("/x")
_GET_ROUTE = re.compile(r"""\.(?:get|route|add_get|api_route)\(\s*["'](/[^"'\s]*)["']""")
# The URLs an app serves its own OpenAPI document at, when its source names them
_DOCUMENT_URLS = ("/openapi.json", "/openapi.yaml", "/swagger.json", "/v3/api-docs")


@dataclass(frozen=True)
class AppHints:
    health_path: str | None = None
    health_source: str = ""  # where the health path came from, for the profile's comment
    get_paths: tuple[str, ...] = ()  # GET paths without parameters, documented ones first


def app_hints(files: Mapping[str, str]) -> AppHints:
    """`files`: relative path -> text, from the build context."""
    documented = _documented_get_paths(files)
    sources = {name: text for name, text in files.items() if Path(name).suffix in SOURCE_SUFFIXES}
    routed = [path for text in sources.values() for path in _GET_ROUTE.findall(text) if _plain(path)]
    healths = [path for text in sources.values() for path in _HEALTH_LITERAL.findall(text)]
    serves_document = next((url for url in _DOCUMENT_URLS if _names(sources, url)), None)
    if serves_document is None and any("FastAPI(" in text for text in sources.values()):
        serves_document = "/openapi.json"  # FastAPI serves its document there unless told otherwise
    paths = list(dict.fromkeys(documented + routed))
    health, source = _health(paths, healths, serves_document)
    kept = [p for p in paths if p != health and p not in _DOCUMENT_URLS and p not in ("/docs", "/redoc")]
    return AppHints(health, source, tuple(kept[:SMOKE_PATHS]))


def _health(paths: list[str], healths: list[str], document: str | None) -> tuple[str | None, str]:
    named = [p for p in paths if _HEALTH_LITERAL.fullmatch(f'"{p}"')]
    if named:
        return named[0], "the app's health path"
    if healths:
        return healths[0], "a health path named in the app's source"
    if document is not None:
        return document, "the app's OpenAPI document"
    return None, ""


def _documented_get_paths(files: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    for name, text in sorted(files.items()):
        if not DOCUMENT_NAMES.match(Path(name).name):
            continue
        try:
            document = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError):
            continue
        paths = document.get("paths") if isinstance(document, dict) else None
        for path, item in (paths or {}).items() if isinstance(paths, dict) else ():
            if isinstance(path, str) and isinstance(item, dict) and "get" in item and _plain(path):
                found.append(path)
    return found


def _plain(path: str) -> bool:
    """A path with no parameter in it ({id}, <id>, :id) and no pattern."""
    return path.startswith("/") and not re.search(r"[{}<>:*()\[\]$^]", path)


def _names(sources: Mapping[str, str], url: str) -> bool:
    return any(f'"{url}"' in text or f"'{url}'" in text for text in sources.values())


def read_context(directory: Path) -> dict[str, str]:
    """The OpenAPI documents and source files of a build context, bounded in count and size;
    dependency and VCS directories are not entered."""
    files: dict[str, str] = {}
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(names):
            path = Path(root) / name
            if path.suffix not in SOURCE_SUFFIXES and not DOCUMENT_NAMES.match(name):
                continue
            try:
                if path.is_file() and path.stat().st_size <= MAX_BYTES:
                    files[path.relative_to(directory).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # unreadable: it says nothing
            if len(files) >= MAX_FILES:
                return files
    return files

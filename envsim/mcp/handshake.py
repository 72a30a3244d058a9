"""The SDK's own answers to `initialize` and `tools/list`, kept on disk to answer the next start.

Importing the MCP SDK takes about 0.7 s, ten times `envsim --help`; an agent waits that long
for the tool list at every start. Both answers depend only on envsim's MCP sources and the
SDK (never on the repo or on any secret), so they are stored once the SDK has given them and
replayed while the SDK imports (envsim.mcp.relay). The key covers the envsim version, the
versions of the `mcp` and `mcp_types` distributions, a hash of envsim/mcp/*.py and the
protocol version the client asked for; a file that does not parse or whose key differs is
ignored, and one the SDK contradicts is removed. Nothing here imports the SDK.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FORMAT = 1
SDK_DISTRIBUTIONS = ("mcp", "mcp_types")


def cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "envsim"


def _distribution(module: str) -> str:
    """`name-version` of the distribution providing `module`, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return f"{module}-missing"
    package = Path(spec.origin).parent
    site = package.parent if spec.submodule_search_locations else package
    for entry in sorted(os.listdir(site)):
        if entry.endswith(".dist-info") and entry.split("-")[0].replace("-", "_").lower() == module:
            return entry[: -len(".dist-info")]
    stat = os.stat(spec.origin)  # no metadata: any reinstall still changes the key
    return f"{module}-{stat.st_mtime_ns}-{stat.st_size}"


def source_key() -> str:
    """What the answers depend on, protocol version aside."""
    from envsim import __version__

    digest = hashlib.sha256(f"{FORMAT} {__version__} {' '.join(map(_distribution, SDK_DISTRIBUTIONS))}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


class HandshakeCache:
    """One file per (source key, protocol version)."""

    def __init__(self, directory: Path, key: str):
        self.directory, self.key = directory, key

    def path(self, protocol_version: str) -> Path:
        version = hashlib.sha256(protocol_version.encode()).hexdigest()[:12]
        return self.directory / f"mcp-handshake-{self.key}-{version}.json"

    def load(self, protocol_version: Any) -> dict[str, Any] | None:
        """{"initialize": result, "tools/list": result}, or None (absent, unreadable, other key)."""
        if not isinstance(protocol_version, str):
            return None
        try:
            data = json.loads(self.path(protocol_version).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (
            isinstance(data, dict)
            and data.get("key") == self.key
            and data.get("protocolVersion") == protocol_version
            and isinstance(data.get("initialize"), dict)
            and isinstance(data.get("tools/list"), dict)
            and isinstance(data["tools/list"].get("tools"), list)
        ):
            return None
        return {"initialize": data["initialize"], "tools/list": data["tools/list"]}

    def store(self, protocol_version: str, answers: Mapping[str, Any]) -> None:
        """Written whole or not at all (a concurrent start may read it any time)."""
        path = self.path(protocol_version)
        data = {"key": self.key, "protocolVersion": protocol_version, **answers}
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            pass  # a read-only home only costs speed

    def forget(self, protocol_version: str) -> None:
        try:
            self.path(protocol_version).unlink()
        except OSError:
            pass


def default_cache(env: Mapping[str, str] | None = None) -> HandshakeCache | None:
    """The cache for this installation; None when ENVSIM_MCP_HANDSHAKE_CACHE=0."""
    env = os.environ if env is None else env
    if env.get("ENVSIM_MCP_HANDSHAKE_CACHE") == "0":
        return None
    try:
        return HandshakeCache(cache_dir(env), source_key())
    except (OSError, ValueError, ImportError):  # an odd installation only costs speed
        return None

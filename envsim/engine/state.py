"""Per-stack state on disk: generated credentials and who owns the stack right now.

Kept outside the repo (so a secret can never be committed by accident) in
`$ENVSIM_STATE_DIR`, else `$XDG_STATE_HOME/envsim`, else `~/.local/state/envsim`; the
directory is 0700 and every file 0600.
"""

from __future__ import annotations

import json
import os
import secrets as random_secrets
import shutil
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envsim.config.profile_model import Credential
from envsim.fileio import write_atomic

PHASE_STARTING = "starting"  # an `up` or `run` is creating it; its pid must be alive
PHASE_UP = "up"  # complete; stays until `envsim down`
PHASE_RUN = "run"  # created by a `run` that removes it when done; its pid must be alive


def state_root(env: Mapping[str, str]) -> Path:
    if env.get("ENVSIM_STATE_DIR"):
        return Path(env["ENVSIM_STATE_DIR"])
    base = (
        Path(env["XDG_STATE_HOME"])
        if env.get("XDG_STATE_HOME")
        else Path(env.get("HOME", "~")).expanduser() / ".local" / "state"
    )
    return base / "envsim"


def _private_write(path: Path, text: str) -> None:
    write_atomic(path, text, private=True)


def generate_secret(credential: Credential, env_values: Mapping[str, str] | None = None) -> str:
    if credential.generate == "value" and credential.value is not None:
        # `value:` credentials come from the caller's environment, already interpolated
        return credential.value.render({})
    length = max(8, credential.length)
    if credential.generate == "hex":
        return random_secrets.token_hex(length // 2 + 1)[:length]
    if credential.generate == "token":
        return random_secrets.token_urlsafe(length)[:length]
    # passwords stay within characters that need no escaping in URLs and shells
    alphabet = string.ascii_letters + string.digits
    return "".join(random_secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class StackOwner:
    phase: str
    pid: int
    since: float


class StackState:
    """The on-disk record of one stack."""

    def __init__(self, root: Path, stack: str):
        self.directory = root / "stacks" / stack
        self.stack = stack

    @property
    def secrets_file(self) -> Path:
        return self.directory / "secrets.json"

    @property
    def owner_file(self) -> Path:
        return self.directory / "owner.json"

    def secrets(self, credentials: tuple[Credential, ...]) -> dict[str, str]:
        """The stack's secrets, generating (once) any that are missing."""
        values: dict[str, str] = {}
        if self.secrets_file.exists():
            values = json.loads(self.secrets_file.read_text(encoding="utf-8"))
        changed = False
        for credential in credentials:
            if credential.generate == "value":
                fresh = generate_secret(credential)
                changed |= values.get(credential.name) != fresh
                values[credential.name] = fresh
            elif credential.name not in values:
                values[credential.name] = generate_secret(credential)
                changed = True
        if changed or not self.secrets_file.exists():
            _private_write(self.secrets_file, json.dumps(values, sort_keys=True))
        return values

    def set_secret(self, name: str, value: str) -> None:
        """Replace one secret's value (a rotation); the file stays 0600."""
        values: dict[str, str] = {}
        if self.secrets_file.exists():
            values = json.loads(self.secrets_file.read_text(encoding="utf-8"))
        values[name] = value
        _private_write(self.secrets_file, json.dumps(values, sort_keys=True))

    def set_owner(self, phase: str) -> None:
        _private_write(self.owner_file, json.dumps({"phase": phase, "pid": os.getpid(), "since": time.time()}))

    def owner(self) -> StackOwner | None:
        try:
            data = json.loads(self.owner_file.read_text(encoding="utf-8"))
            return StackOwner(phase=data["phase"], pid=int(data["pid"]), since=float(data["since"]))
        except (OSError, ValueError, KeyError):
            return None

    def is_abandoned(self) -> bool:
        """True when this state directory records the stack as being created (or run) by a
        process that no longer exists. A stack without a record here is not judged at all: it
        may belong to another user or state directory, and is left alone."""
        owner = self.owner()
        if owner is None or owner.phase == PHASE_UP:
            return False
        return not _pid_alive(owner.pid)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

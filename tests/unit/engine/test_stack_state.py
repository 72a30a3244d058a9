import json
import os
import subprocess
import sys

from envsim.config.profile_model import Credential
from envsim.config.template import Template
from envsim.engine.state import PHASE_RUN, PHASE_STARTING, PHASE_UP, StackState, state_root


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_state_root_prefers_the_explicit_directory():
    assert str(state_root({"ENVSIM_STATE_DIR": "/x"})) == "/x"
    assert str(state_root({"XDG_STATE_HOME": "/s", "HOME": "/h"})) == "/s/envsim"
    assert str(state_root({"HOME": "/h"})) == "/h/.local/state/envsim"


def test_secrets_are_generated_once_and_kept_private(tmp_path):
    state = StackState(tmp_path, "shop")
    credentials = (
        Credential("db", "password", length=20),
        Credential("tok", "token"),
        Credential("h", "hex", length=12),
    )
    first = state.secrets(credentials)
    assert len(first["db"]) == 20 and first["db"].isalnum()
    assert len(first["h"]) == 12 and int(first["h"], 16) >= 0
    assert state.secrets(credentials) == first
    assert oct(state.secrets_file.stat().st_mode & 0o777) == "0o600"
    assert oct(state.directory.stat().st_mode & 0o777) == "0o700"


def test_value_credentials_follow_the_environment(tmp_path):
    state = StackState(tmp_path, "shop")
    assert state.secrets((Credential("k", "value", value=Template.literal("one")),)) == {"k": "one"}
    assert state.secrets((Credential("k", "value", value=Template.literal("two")),)) == {"k": "two"}


def _owner(state: StackState, phase: str, pid: int) -> None:
    state.directory.mkdir(parents=True, exist_ok=True)
    state.owner_file.write_text(json.dumps({"phase": phase, "pid": pid, "since": 0}))


def test_only_recorded_unfinished_stacks_of_dead_processes_are_abandoned(tmp_path):
    state = StackState(tmp_path, "shop")
    assert not state.is_abandoned()  # no record here: someone else's, left alone
    _owner(state, PHASE_STARTING, dead_pid())
    assert state.is_abandoned()
    _owner(state, PHASE_RUN, dead_pid())
    assert state.is_abandoned()
    _owner(state, PHASE_STARTING, os.getpid())
    assert not state.is_abandoned()
    _owner(state, PHASE_UP, dead_pid())
    assert not state.is_abandoned()  # a finished `up` outlives its process by design


def test_a_rotated_secret_replaces_its_value_and_the_file_stays_private(tmp_path):
    from envsim.config.profile_model import Credential
    from envsim.engine.state import StackState

    state = StackState(tmp_path, "s")
    first = state.secrets((Credential("token", "token", ttl=5.0), Credential("db", "password")))
    state.set_secret("token", "rotated-value")
    again = state.secrets((Credential("token", "token", ttl=5.0), Credential("db", "password")))
    assert again == {**first, "token": "rotated-value"}
    assert state.secrets_file.stat().st_mode & 0o777 == 0o600

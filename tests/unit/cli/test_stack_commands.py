"""`status` and `down` at the command line, with the library layer replaced by plain data."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from envsim.cli import cli
from envsim.cli.failures import run_cli
from envsim.config.discover import repo_profile_names, repo_root
from envsim.engine.stack_hold import Holder
from envsim.engine.status import ContainerStatus, StackStatus


def run_envsim(args, monkeypatch, stdin=""):
    monkeypatch.setattr(sys, "argv", ["envsim", *args])
    runner = CliRunner()
    with runner.isolation(input=stdin) as (out, err, _):
        code = run_cli(cli)
        return code, out.getvalue().decode(), err.getvalue().decode()


def _running(name):
    return StackStatus(name, (ContainerStatus(f"envsim-{name}-api-0", "api", 0, "running", "-", {}),), (), ())


@pytest.fixture
def engine(monkeypatch):
    """Stacks on a fake engine: name -> profile label; records what `down` removed."""
    state = {"stacks": {"shop": "prod-like", "pr-7": "prod-like", "other": "theirs"}, "removed": [], "held": {}}

    def stacks(repo=None, backend=None):
        if repo is None:
            return sorted(state["stacks"])
        names = repo_profile_names(repo)
        return sorted(s for s, p in state["stacks"].items() if p in names)

    def status(name, backend=None):
        return _running(name) if name in state["stacks"] else StackStatus(name, (), (), ())

    def down(name, force=False, **_):
        if state["held"].get(name) and not force:
            raise envsim.api.EnvironmentProblem(f"stack {name} is in use")
        state["removed"].append(name)
        from envsim.engine.teardown import RemovedCounts

        return RemovedCounts(1, 1, 0), 0

    def holders(name, backend=None):
        return state["held"].get(name, [])

    import envsim.api

    # the CLI reaches the library as `api.NAME`
    monkeypatch.setattr(envsim.api, "stacks", stacks, raising=False)
    monkeypatch.setattr(envsim.api, "status", status, raising=False)
    monkeypatch.setattr(envsim.api, "down", down, raising=False)
    monkeypatch.setattr(envsim.api, "holders", holders, raising=False)
    monkeypatch.setattr(envsim.api, "open_backend", lambda on, **_: SimpleNamespace(name=on or "docker"), raising=False)
    return state


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/prod-like.yaml").write_text("envsim: 1\nservices: {}\n")
    (tmp_path / "profiles/edge.yaml").write_text("envsim: 1\nname: edge-case\nservices: {}\n")
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path / "app")
    return tmp_path


def test_status_of_a_stack_that_is_not_running_says_so_with_exit_3(engine, repo, monkeypatch):
    code, out, err = run_envsim(["status", "--name", "gone"], monkeypatch)
    assert code == 3
    assert "stack gone is not running" in err
    assert out == ""


def test_status_of_a_running_stack(engine, repo, monkeypatch):
    code, out, _ = run_envsim(["status", "--name", "other"], monkeypatch)
    assert code == 0 and out.startswith("stack other")


def test_status_lists_only_this_repos_stacks_unless_all(engine, repo, monkeypatch):
    code, out, _ = run_envsim(["status"], monkeypatch)
    assert code == 0
    assert "stack shop" in out and "stack pr-7" in out and "stack other" not in out
    code, out, _ = run_envsim(["status", "--all"], monkeypatch)
    assert code == 0 and "stack other" in out


def test_status_without_stacks_of_this_repo_points_to_all(engine, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no repo here
    code, out, _ = run_envsim(["status"], monkeypatch)
    assert code == 0
    assert "no envsim stacks of this repo" in out and "3 of other repos" in out and "--all" in out


def test_repo_profile_names_use_declared_names_and_file_names(repo):
    assert repo_profile_names(repo / "app") == {"prod-like", "edge", "edge-case"}
    assert repo_root(repo / "app") == repo


def test_down_all_without_a_terminal_needs_yes(engine, repo, monkeypatch):
    code, _, err = run_envsim(["down", "--all"], monkeypatch)
    assert code == 2
    assert "--yes" in err
    assert engine["removed"] == []
    code, out, _ = run_envsim(["down", "--all", "--yes"], monkeypatch)
    assert code == 0 and engine["removed"] == ["other", "pr-7", "shop"]


def test_down_all_asks_on_a_terminal(engine, repo, monkeypatch):
    import envsim.cli.cmd_stack as cmd_stack

    monkeypatch.setattr(cmd_stack, "_interactive", lambda: True)
    code, out, _ = run_envsim(["down", "--all"], monkeypatch, stdin="n\n")
    assert code == 0 and "remove all 3 envsim stacks" in out and "nothing removed" in out
    assert engine["removed"] == []
    code, out, _ = run_envsim(["down", "--all"], monkeypatch, stdin="y\n")
    assert code == 0 and engine["removed"] == ["other", "pr-7", "shop"]


def test_down_all_leaves_stacks_in_use_alone_and_names_their_users_unless_force(engine, repo, monkeypatch):
    engine["held"]["pr-7"] = [Holder(4242, "boot", "1", "ci-runner-3", "run", 0.0)]
    code, out, err = run_envsim(["down", "--all", "--yes"], monkeypatch)
    assert code == 0 and engine["removed"] == ["other", "shop"]
    assert "stack pr-7 left alone: in use by `envsim run` (pid 4242 on ci-runner-3)" in err
    assert "--force removes it anyway" in err
    code, out, err = run_envsim(["down", "--all", "--yes", "--force"], monkeypatch)
    assert code == 0 and engine["removed"] == ["other", "shop", "other", "pr-7", "shop"]
    assert "left alone" not in err


def test_down_all_asks_only_about_the_stacks_it_would_remove(engine, repo, monkeypatch):
    import envsim.cli.cmd_stack as cmd_stack

    monkeypatch.setattr(cmd_stack, "_interactive", lambda: True)
    engine["held"]["shop"] = [Holder(4242, "boot", "1", "host", "up", 0.0)]
    code, out, _ = run_envsim(["down", "--all"], monkeypatch, stdin="n\n")
    assert code == 0 and "remove all 2 envsim stacks on this engine (other, pr-7)?" in out


def test_down_of_one_stack_never_asks(engine, repo, monkeypatch):
    code, out, _ = run_envsim(["down", "--name", "pr-7"], monkeypatch)
    assert code == 0 and engine["removed"] == ["pr-7"]


def test_no_help_example_shows_down_all(monkeypatch):
    for args in (["--help"], ["down", "--help"], ["status", "--help"]):
        code, out, _ = run_envsim(args, monkeypatch)
        assert code == 0
        examples = out.split("Examples:")[1] if "Examples:" in out else ""
        assert examples and "down --all" not in examples, args
    assert "envsim down prod-like" in run_envsim(["--help"], monkeypatch)[1]


def test_status_of_a_stack_not_on_the_cluster_says_so_with_exit_3(engine, repo, monkeypatch):
    code, out, err = run_envsim(["status", "--name", "gone", "--on", "kubernetes"], monkeypatch)
    assert code == 3
    assert "stack gone is not running: the cluster has no namespace of it" in err


def test_an_unknown_engine_for_on_is_a_usage_error(engine, repo, monkeypatch):
    code, _, err = run_envsim(["status", "--on", "nomad"], monkeypatch)
    assert code == 2
    assert "'nomad' is not one of 'docker', 'kubernetes'" in err

"""envsim's pytest plugin, as an app team uses it: the shop's own stack tests, run by pytest
in a subprocess (the plugin comes from the installed entry point, not from an import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from envsim.engine.docker_engine import labeled_containers, labeled_networks, labeled_volumes


def _pytest(project, env, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_shop_tests_run_on_a_real_stack_and_a_fault_stays_in_its_test(
    cli, engine, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    done = _pytest(
        project, cli.env, "examples/shop/stack_tests", "--envsim-profile", "prod-like", "--envsim-name", stack_name
    )
    output = done.stdout + done.stderr
    # six tests: the seeded data, fast before, slow inside `with stack.fault(...)` only,
    # slow under the marker only, fast again after, credentials shown as references
    assert done.returncode == 0, output
    assert "6 passed" in output
    assert f"envsim: stack {stack_name} (prod-like) up in" in output
    # the session's stack is gone afterwards
    assert labeled_containers(engine, stack_name) == []
    assert labeled_networks(engine, stack_name) == []
    assert labeled_volumes(engine, stack_name) == []


@pytest.mark.docker_free
def test_a_test_asking_for_a_stack_without_a_profile_fails_clearly(cli, project):
    (project / "test_needs_stack.py").write_text("def test_it(envsim_stack):\n    pass\n")
    done = _pytest(project, cli.env, "test_needs_stack.py")
    assert done.returncode == 1
    assert "envsim_stack needs a profile: pass --envsim-profile NAME" in done.stdout
    assert "Traceback" not in done.stdout


@pytest.mark.alone  # counts every envsim container on the engine: a neighbour's stack would add some
def test_the_plugin_is_inert_for_tests_that_do_not_use_it(cli, engine, project):
    before = len(labeled_containers(engine, None))
    (project / "test_plain.py").write_text("def test_plain():\n    assert 1 + 1 == 2\n")
    done = _pytest(project, cli.env, "test_plain.py")
    assert done.returncode == 0 and "1 passed" in done.stdout
    assert len(labeled_containers(engine, None)) <= before  # nothing was started for it

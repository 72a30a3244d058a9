"""Faults in envsim's own environment: named in the verdict, cleaned up, never a hang."""

from __future__ import annotations

import time

from e2e_support import NOTHING_LEFT, browse_scenario, leftovers, wait_for

SCENARIO = browse_scenario("12s")


def test_toxiproxy_killed_mid_run_is_named_and_the_stack_removed(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    (project / "scenarios" / "victim.yaml").write_text(SCENARIO)
    run = cli.start("run", "scenarios/victim.yaml", "--name", stack_name, "--reports", "out")
    try:
        flt = {"label": [f"envsim.stack={stack_name}", "envsim.role=service", "envsim.service=api"]}
        wait_for(lambda: engine.containers.list(filters=flt), timeout=180, what="the api container")
        time.sleep(6)  # the api is healthy and load has begun
        toxiproxy = engine.containers.list(filters={"label": [f"envsim.stack={stack_name}", "envsim.role=toxiproxy"]})
        toxiproxy[0].kill()
        stdout, stderr = run.communicate(timeout=180)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 3, stdout + stderr[-3000:]  # envsim's own part broke, not the app
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "the run failed: envsim's own toxiproxy" in stdout and "stopped during the run" in stdout
    assert "Traceback" not in stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_a_service_that_dies_mid_run_is_shown_with_its_last_log_lines(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    # a short client timeout: requests to the dead service fail instead of hanging to the end
    body = SCENARIO.replace("below: 90%", "below: 5%").replace("  duration: 12s", "  duration: 12s\n  timeout: 2s")
    (project / "scenarios" / "victim.yaml").write_text(body)
    run = cli.start("run", "scenarios/victim.yaml", "--name", stack_name, "--reports", "out")
    try:
        flt = {"label": [f"envsim.stack={stack_name}", "envsim.role=service", "envsim.service=api"]}
        api = wait_for(lambda: engine.containers.list(filters=flt), timeout=180, what="the api container")[0]
        time.sleep(6)
        api.kill()
        stdout, stderr = run.communicate(timeout=180)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 1, stdout + stderr[-3000:]
    assert "Traceback" not in stderr
    assert "what the services said (secrets redacted):" in stdout
    assert f"container {api.name} exited (exit code 137)" in stdout
    assert "FAIL" in stdout and "error_rate" in stdout
    assert leftovers(engine, stack_name) == NOTHING_LEFT

"""Two commands on one stack at once: the second refuses clearly, the first is not disturbed."""

from __future__ import annotations

from e2e_support import NOTHING_LEFT, leftovers, wait_for

SCENARIO = """
envsim: 1
profile: prod-like
load:
  target: api
  users: 2
  spawn_rate: 2
  duration: 12s
  wait: [50ms, 100ms]
  tasks:
    - {name: browse, request: "GET /products"}
checks:
  - {metric: error_rate, below: 5%}
reports: {dir: ../out}
"""


def test_a_fault_applied_during_a_run_and_a_second_up_are_refused_while_the_run_goes_on(
    cli, engine, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    (project / "scenarios" / "busy.yaml").write_text(SCENARIO, encoding="utf-8")
    run = cli.start("run", "scenarios/busy.yaml", "--name", stack_name)
    try:
        refusal = wait_for(
            lambda: (
                (done := cli.run("fault", "apply", "db-slow", "-p", "prod-like", "--name", stack_name))
                and "is busy" in done.stderr
                and done
            ),
            timeout=180,
            interval=0.5,
            what="a fault apply refused as busy",
        )
        assert refusal.returncode == 3
        assert f"stack {stack_name} is busy: `envsim run` (pid {run.pid})" in refusal.stderr
        second = cli.run("up", "prod-like", "--name", stack_name)
        assert second.returncode == 3 and "is busy: `envsim run`" in second.stderr, second.stderr
        assert "Traceback" not in refusal.stderr + second.stderr
        stdout, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, stdout + stderr  # the run itself went on undisturbed
    assert "verdict: PASSED" in stdout
    assert leftovers(engine, stack_name) == NOTHING_LEFT  # the run removed the stack it brought up

"""`envsim run` whose reports directory is on a full disk: the verdict is still shown, the
message names the disk and what was kept, nothing half-written is left, exit 3."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from e2e_support import NOTHING_LEFT, browse_scenario, leftovers  # noqa: E402
from small_disk import PAGE, fill, small_disk  # noqa: E402

SCENARIO = browse_scenario("4s", error_rate_below="5%", wait=None)


def test_a_full_disk_costs_the_files_but_not_the_verdict(cli, engine, project, tmp_path, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    (project / "scenarios" / "full.yaml").write_text(SCENARIO)
    with small_disk(tmp_path / "disk", 16 * PAGE) as disk:
        fill(disk)
        out = disk / "out"
        done = cli.run("run", "scenarios/full.yaml", "--name", stack_name, "--reports", str(out))
        left_in_out = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert done.returncode == 3, done.stdout + done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "PASSED" in done.stdout  # the verdict came before the files
    assert (
        f"envsim: error: the disk holding {out} ({disk}, 0 KiB free) is full: the journal could not be "
        "written, so nothing of this run was kept (no partial file was left)" in done.stderr
    )
    assert f"hint: free space on {disk}" in done.stderr
    assert left_in_out == []
    assert leftovers(engine, stack_name) == NOTHING_LEFT

"""Build output as whole lines, failed builds' messages, and the one list of missing images."""

from __future__ import annotations

from pathlib import Path

from envsim.images.builder import BuildLog, build_failure
from envsim.images.missing import MissingImage, missing_images_problem


def test_chunks_that_end_mid_line_give_whole_lines():
    log = BuildLog()
    chunks = [
        "Step 2/3 : RUN pip install nope\n",
        " ---> Running in 1f2e\n",
        "ERROR: Could not find a ver",
        "sion that satisfies the requirement nope\r\nERROR: No matching distribution found for nope\n",
        "tail",
    ]
    lines = [line for chunk in chunks for line in log.feed(chunk)]
    assert "ERROR: Could not find a version that satisfies the requirement nope" in lines
    assert not any(line.startswith("sion") for line in lines)
    problem = build_failure(
        "envsim-shop/api:latest",
        Path("/app"),
        "Dockerfile",
        log,
        "The command '/bin/sh -c pip install nope' returned a non-zero code: 1",
    )
    message = str(problem)
    assert message.startswith(
        "building envsim-shop/api:latest failed at step 2/3 (RUN pip install nope): "
        "The command '/bin/sh -c pip install nope' returned a non-zero code: 1"
    )
    assert "  | ERROR: Could not find a version that satisfies the requirement nope\n" in message
    assert "  | tail" in message  # the unfinished last line is kept too
    assert "Running in" not in message  # the engine's own bookkeeping is not the step's output
    assert "no container was started or replaced" in message
    assert "fix that step of Dockerfile" in problem.hint


def test_only_the_failing_steps_output_is_kept():
    log = BuildLog()
    log.feed("Step 1/2 : RUN echo earlier\nearlier\nStep 2/2 : RUN false\n")
    message = str(build_failure("t", Path("/c"), "Dockerfile", log, "returned a non-zero code: 1"))
    assert "earlier" not in message.split("last output")[1]
    assert "(the step printed nothing)" in message


def test_every_missing_image_is_listed_with_what_works_offline():
    problem = missing_images_problem(
        [
            MissingImage(
                "nginx:1.25",
                ("web",),
                "not present, cannot be pulled, and envsim has no offline recipe for it",
                "`docker load` the image",
            ),
            MissingImage("envsim-shop/api:latest", ("api",), "its Dockerfile /app/Dockerfile does not exist"),
        ]
    )
    message = str(problem)
    assert message.startswith("2 images cannot be made available, so nothing was built or started:\n")
    assert "  - nginx:1.25 (used by web): not present" in message
    assert "  - envsim-shop/api:latest (used by api): its Dockerfile" in message
    assert "postgres:10, postgres:11," in message and "python:3.9, python:3.11, python:3.13" in message
    assert problem.hint == "`docker load` the image"

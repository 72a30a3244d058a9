"""pytest plugin: an app's integration tests on a real envsim stack instead of mocks.

Installed with envsim (entry point `pytest11`) and inert unless a test asks for it:

    # run with:  pytest --envsim-profile prod-like      (or `envsim_profile = prod-like` in the ini)
    def test_checkout(envsim_stack):
        url = envsim_stack.endpoint("api")
        with envsim_stack.fault("db-slow"):
            ...                                  # the fault is active in this block only

    @pytest.mark.envsim_fault("cache-down")      # active for this test only
    def test_checkout_without_cache(envsim_stack): ...

    # a stack of another profile, or another scope, in a conftest.py:
    from envsim.pytest_plugin import stack_fixture
    payments_stack = stack_fixture("payments-like", scope="module")

The stack is brought up once per session (or the scope asked for) under a name of its own,
so a developer's running stack of the same profile is never touched, and removed afterwards
unless `--envsim-keep` is given.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest

FAULT_MARKER = "envsim_fault"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("envsim", "envsim stacks")
    group.addoption("--envsim-profile", help="profile for the envsim_stack fixture (name or path)")
    group.addoption("--envsim-name", help="stack name for envsim_stack (default: a unique pytest-... name)")
    group.addoption("--envsim-keep", action="store_true", help="leave envsim stacks running after the tests")
    parser.addini("envsim_profile", "profile for the envsim_stack fixture (name or path)", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{FAULT_MARKER}(name, ...): apply these failure modes of envsim_stack for the test only"
    )


def _bring_up(config: pytest.Config, profile: str, name: str | None) -> Iterator[Any]:
    from envsim import api
    from envsim.errors import EnvsimError

    keep = bool(config.getoption("--envsim-keep"))
    stack_name = name or f"pytest-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    try:
        stack = api.up(profile, stack_name, keep=keep)
    except EnvsimError as error:
        hint = getattr(error, "hint", None)
        pytest.fail(
            f"envsim: stack for {profile!r} did not come up: {error}" + (f"\nhint: {hint}" if hint else ""),
            pytrace=False,
        )
    _say(config, f"envsim: stack {stack.name} ({profile}) up in {time.monotonic() - started:.1f}s")
    with stack:
        yield stack


def _say(config: pytest.Config, line: str) -> None:
    """A line on the terminal, past pytest's output capture (bringing a stack up takes a while)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is None:
        reporter.write_line(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


def stack_fixture(
    profile: str,
    *,
    name: str | None = None,
    scope: Literal["session", "package", "module", "class", "function"] = "session",
) -> Callable[..., Iterator[Any]]:
    """A fixture that brings `profile`'s stack up for `scope` and yields its envsim.api.Stack."""

    @pytest.fixture(scope=scope)
    def stack(request: pytest.FixtureRequest) -> Iterator[Any]:
        yield from _bring_up(request.config, profile, name)

    return stack


@pytest.fixture(scope="session")
def envsim_stack(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The stack of `--envsim-profile` (or the ini's `envsim_profile`), up for the session."""
    config = request.config
    profile = config.getoption("--envsim-profile") or config.getini("envsim_profile")
    if not profile:
        pytest.fail(
            "envsim_stack needs a profile: pass --envsim-profile NAME or set envsim_profile in pytest's ini file",
            pytrace=False,
        )
    yield from _bring_up(config, profile, config.getoption("--envsim-name"))


@pytest.fixture(autouse=True)
def _envsim_fault_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Applies the faults an `envsim_fault` marker names, for the marked test only."""
    names = [name for marker in request.node.iter_markers(FAULT_MARKER) for name in marker.args]
    if not names:
        yield
        return
    stack = request.getfixturevalue("envsim_stack")
    applied = []
    try:
        for name in names:
            stack.apply_fault(name)
            applied.append(name)
        yield
    finally:
        for name in reversed(applied):
            stack.clear_fault(name)

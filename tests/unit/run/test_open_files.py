"""The soft open-file limit a Locust process asks for: plain data, no process touched."""

from __future__ import annotations

import resource

import pytest

from envsim.run.open_files import LOCUST_MINIMUM, SPARE, wanted_soft_limit

INFINITY = resource.RLIM_INFINITY


@pytest.mark.parametrize(
    ("soft", "hard", "users", "wanted"),
    [
        (1024, 524288, 100, LOCUST_MINIMUM),  # at least what plain `locust` sets
        (1024, 524288, 30_000, 30_000 + SPARE),  # a socket per user, and room besides
        (1024, 4096, 30_000, 4096),  # never above the hard limit
        (1024, INFINITY, 30_000, 30_000 + SPARE),
        (65536, 524288, 100, 65536),  # never lowered
        (8192, 4096, 100, 8192),  # a soft limit above the hard one (cannot happen) is left alone
        (INFINITY, INFINITY, 30_000, INFINITY),
    ],
)
def test_wanted_soft_limit(soft, hard, users, wanted):
    assert wanted_soft_limit(soft, hard, users) == wanted

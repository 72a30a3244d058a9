"""`envsim run --workers/--workers-on/--master-bind/--master-port` over the scenario's load."""

from __future__ import annotations

import pytest

from envsim.api.loading import LOCUST_MASTER_PORT, WorkerOptions, with_workers
from envsim.config.scenario_model import LoadSpec
from envsim.errors import InputError

LOAD = LoadSpec(users=10, spawn_rate=10, duration=30, workers=2)


def test_options_replace_what_they_name_and_keep_the_rest():
    assert with_workers(LOAD, WorkerOptions(count=4)).workers == 4
    local = with_workers(LOAD, WorkerOptions(bind="10.0.0.5"))
    assert (local.workers, local.workers_on, local.master_bind, local.master_port) == (2, "local", "10.0.0.5", 0)


def test_remote_workers_look_for_the_master_on_locusts_port_unless_told():
    remote = with_workers(LOAD, WorkerOptions(on="remote", bind="10.0.0.5"))
    assert (remote.workers_on, remote.master_port) == ("remote", LOCUST_MASTER_PORT)
    assert with_workers(LOAD, WorkerOptions(on="remote", port=6000)).master_port == 6000


def test_remote_without_a_number_of_workers_is_invalid_input():
    with pytest.raises(InputError, match="--workers-on remote: say how many workers will join"):
        with_workers(LoadSpec(users=1, spawn_rate=1, duration=5), WorkerOptions(on="remote"))


def test_workers_in_containers_need_a_number_and_take_no_bind_address():
    docker = with_workers(LOAD, WorkerOptions(on="docker"))
    assert (docker.workers, docker.workers_on, docker.master_port) == (2, "docker", 0)
    with pytest.raises(InputError, match="--workers-on docker: say how many worker containers"):
        with_workers(LoadSpec(users=1, spawn_rate=1, duration=5), WorkerOptions(on="docker"))
    with pytest.raises(InputError, match="--master-bind: workers in containers reach the master"):
        with_workers(LOAD, WorkerOptions(on="docker", bind="10.0.0.5"))

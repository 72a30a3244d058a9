"""The part of the compose format envsim reads, checked with located messages.

No maintained Python package ships the compose-spec JSON Schema with located errors, so the
subset that the conversion reads is checked here: key names (with "did you mean"), and the
types of every value that is converted. What is valid compose but not converted is not an
error; the conversion lists it as unsupported.
"""

from __future__ import annotations

from typing import Any

from envsim.config.schema_check import describe, did_you_mean
from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem

TOP_LEVEL_KEYS = frozenset(
    {"version", "name", "services", "networks", "volumes", "secrets", "configs", "include", "models"}
)

SERVICE_KEYS = frozenset(
    {
        "annotations",
        "attach",
        "blkio_config",
        "build",
        "cap_add",
        "cap_drop",
        "cgroup",
        "cgroup_parent",
        "command",
        "configs",
        "container_name",
        "cpu_count",
        "cpu_percent",
        "cpu_period",
        "cpu_quota",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpu_shares",
        "cpus",
        "cpuset",
        "credential_spec",
        "depends_on",
        "deploy",
        "develop",
        "device_cgroup_rules",
        "devices",
        "dns",
        "dns_opt",
        "dns_search",
        "domainname",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "extends",
        "external_links",
        "extra_hosts",
        "gpus",
        "group_add",
        "healthcheck",
        "hostname",
        "image",
        "init",
        "ipc",
        "isolation",
        "label_file",
        "labels",
        "links",
        "logging",
        "mac_address",
        "mem_limit",
        "mem_reservation",
        "mem_swappiness",
        "memswap_limit",
        "models",
        "network_mode",
        "networks",
        "oom_kill_disable",
        "oom_score_adj",
        "pid",
        "pids_limit",
        "platform",
        "ports",
        "post_start",
        "pre_stop",
        "privileged",
        "profiles",
        "provider",
        "pull_policy",
        "read_only",
        "restart",
        "runtime",
        "scale",
        "secrets",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "storage_opt",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "use_api_socket",
        "user",
        "userns_mode",
        "uts",
        "volumes",
        "volumes_from",
        "working_dir",
    }
)
BUILD_KEYS = frozenset(
    {
        "context",
        "dockerfile",
        "dockerfile_inline",
        "args",
        "target",
        "ssh",
        "cache_from",
        "cache_to",
        "additional_contexts",
        "entitlements",
        "extra_hosts",
        "isolation",
        "labels",
        "network",
        "no_cache",
        "platforms",
        "privileged",
        "pull",
        "secrets",
        "shm_size",
        "tags",
        "ulimits",
    }
)
HEALTH_KEYS = frozenset({"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"})
DEPENDS_KEYS = frozenset({"condition", "restart", "required"})
CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")

SCALAR = (str, int, float, bool)
NUMBER_OR_TEXT = (str, int, float)


def _kind(kinds: tuple[type, ...]) -> str:
    names = {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing",
    }
    return " or ".join(dict.fromkeys(names[k] for k in kinds))


class Checker:
    """Collects problems while the conversion reads the tree."""

    def __init__(self, doc: YamlDoc):
        self.doc = doc
        self.problems: list[Problem] = []

    def fail(self, path: TreePath, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

    def want(self, path: TreePath, value: Any, *kinds: type) -> bool:
        """True when `value` is one of `kinds` (a bool is never taken for a number)."""
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            self.fail(path, f"must be {_kind(kinds)}, got {describe(value)}")
        return ok

    def keys(self, path: TreePath, value: dict, known: frozenset[str]) -> None:
        for key in value:
            if key not in known and not str(key).startswith("x-"):
                self.fail(path + (key,), f"unknown compose key '{key}'{did_you_mean(key, known)}", key=True)

    def strings(self, path: TreePath, value: Any) -> list[str] | None:
        """A list of strings (numbers are taken as text, as compose does)."""
        if not self.want(path, value, list):
            return None
        good = True
        for index, item in enumerate(value):
            good = self.want(path + (index,), item, *NUMBER_OR_TEXT) and good
        return [str(item) for item in value] if good else None

    def integer(self, path: TreePath, value: Any) -> int | None:
        """An integer, also from text such as "3" (substituted variables are text)."""
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if self.want(path, value, int):
            return value
        return None

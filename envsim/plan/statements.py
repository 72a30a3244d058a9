"""Which PostgreSQL services keep statement statistics (pg_stat_statements) during runs, and the
server command that loads the extension.

The official postgres image and envsim's offline stand-ins of it both ship the extension, and
their entrypoints pass arguments starting with `-` to the server, so statistics are on for them
unless the profile says `statements: false`. Other PostgreSQL images (a user's own build, a
distribution with its own shared_preload_libraries) are left as they are unless the profile
says `statements: true`: overriding their preload list could drop an extension they rely on.
"""

from __future__ import annotations

from envsim.config.profile_model import Service
from envsim.config.service_kind import image_family

EXTENSION = "pg_stat_statements"
SETTING = "shared_preload_libraries"
OFFICIAL_FAMILY = "postgres"


def statements_on(service: Service) -> bool:
    """Whether the run collects `service`'s slowest statements."""
    if service.stub is not None:
        return False
    if service.statements is not None:
        return service.statements
    return service.image is not None and image_family(service.image) == OFFICIAL_FAMILY


def _with_extension(value: str) -> str:
    libraries = [name.strip() for name in value.strip("'\"").split(",") if name.strip()]
    return ",".join(libraries if EXTENSION in libraries else [*libraries, EXTENSION])


def statements_command(command: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The server command with pg_stat_statements preloaded: added to a preload list the command
    already sets, else appended as `-c shared_preload_libraries=...`. A command that does not
    start the server (`postgres` or bare server flags) is returned unchanged."""
    if command is None:
        return ("-c", f"{SETTING}={EXTENSION}")  # the entrypoint prepends `postgres`
    if command and command[0] != "postgres" and not command[0].startswith("-"):
        return command
    changed = list(command)
    for index, argument in enumerate(changed):
        for prefix in (f"{SETTING}=", f"-c{SETTING}=", f"--{SETTING}="):
            if argument.startswith(prefix):
                changed[index] = prefix + _with_extension(argument[len(prefix) :])
                return tuple(changed)
    return (*changed, "-c", f"{SETTING}={EXTENSION}")

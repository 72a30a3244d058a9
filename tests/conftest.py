"""Markers by layer, so `-m "not integration and not e2e and not kubernetes"` runs the tests that need no
engine and no cluster."""

from pathlib import Path

import pytest

_LAYER_MARKERS = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e, "kubernetes": pytest.mark.kubernetes}


def pytest_collection_modifyitems(items):
    for item in items:
        layer = Path(str(item.fspath)).relative_to(Path(__file__).parent).parts[0]
        if layer in _LAYER_MARKERS:
            item.add_marker(_LAYER_MARKERS[layer])

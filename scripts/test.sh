#!/usr/bin/env bash
# The project's one test command: installs what the tests need, then runs every test layer.
#   scripts/test.sh            unit, integration and e2e tests
#   scripts/test.sh -k name    extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== python packages"
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

echo "== docker engine and images"
bash scripts/test-setup.sh

echo "== tests"
python3 -m pytest -p no:cacheprovider -q --durations=15 "$@"

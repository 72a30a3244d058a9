#!/usr/bin/env bash
# The project's one test command: installs what the tests need, checks the code, then runs the tests.
#   scripts/test.sh            lint, type check, then unit, integration and e2e tests (what CI runs)
#   scripts/test.sh --fast     lint, type check and every test that needs no Docker engine (under a minute)
#   scripts/test.sh -k name    extra arguments go to pytest (after --fast, too)
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
if [ "${1:-}" = "--fast" ]; then
	fast=1
	shift
fi

echo "== python packages"
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

# The checks don't stop the run: the tests' results are worth having alongside a lint finding.
checks_failed=0
echo "== ruff"
python3 -m ruff check . || checks_failed=1
python3 -m ruff format --check . || checks_failed=1
echo "== mypy"
python3 -m mypy || checks_failed=1

tests_failed=0
if [ "$fast" = 1 ]; then
	echo "== tests that need no Docker engine"
	# Two workers halve the wall time on two cores; the unit tests share no state.
	python3 -m pytest -p no:cacheprovider -q -n 2 --durations=10 -m "not docker" "$@" || tests_failed=$?
else
	echo "== docker engine and images"
	bash scripts/test-setup.sh

	echo "== tests"
	python3 -m pytest -p no:cacheprovider -q --durations=15 "$@" || tests_failed=$?
fi

if [ "$checks_failed" != 0 ]; then
	echo "== ruff or mypy reported findings (above)"
	exit 1
fi
exit "$tests_failed"

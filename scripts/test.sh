#!/usr/bin/env bash
# The project's one test command: installs what the tests need, checks the code, then runs the tests.
#   scripts/test.sh            lint, type check, engine and images, then every test (what CI runs)
#   scripts/test.sh --fast     lint, type check and every test that needs no Docker engine (nor a
#                              Kubernetes cluster), without one; the property and fuzz tests at a
#                              few generated inputs (their full counts are marked `slow`)
#   Each part prints its wall time and the load average (timings are only comparable on a quiet machine).
#   scripts/test.sh -k name    extra arguments go to pytest (after --fast, too)
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
if [ "${1:-}" = "--fast" ]; then
	fast=1
	shift
fi

# pytest rewrites the asserts of every test module it imports and keeps the result as bytecode;
# with bytecode writing off (some images set PYTHONDONTWRITEBYTECODE) each xdist worker redoes it
# on every run (about 5 s of CPU a worker), and each `python -m envsim` the tests start compiles
# envsim anew. The files go to __pycache__/, which git ignores.
unset PYTHONDONTWRITEBYTECODE

# The temporary files the parts keep their output in until it is printed. The EXIT trap also ends
# the cluster's build if that still runs then (an early exit, Ctrl-C).
temp_files=()
trap 'rm -f "${temp_files[@]}"; stop_cluster_build' EXIT

# The Kubernetes cluster's binaries are built from Go modules (about 15 minutes on 2 cores the
# first time; cached after, found in a second). The build starts first, in the background at the
# lowest priority, so that its compile overlaps pip, the images and the engine-free tests rather
# than holding up the Kubernetes part, which waits for it (kubernetes_part). It runs in a session
# of its own, so that the EXIT trap can end its whole process tree, and leaves its exit status in
# a file: the Kubernetes part, a subshell, cannot `wait` for a sibling.
k8s_build_session=""
start_cluster_build() {
	k8s_build_log=$(mktemp)
	k8s_build_status=$(mktemp)
	temp_files+=("$k8s_build_log" "$k8s_build_status")
	echo "== the Kubernetes cluster's binaries: building in the background (nice 19), output in its part"
	setsid bash -c 'status=0; nice -n 19 bash scripts/k8s-setup.sh build || status=$?; echo "$status" >"$1"' \
		build "$k8s_build_status" >"$k8s_build_log" 2>&1 </dev/null &
	k8s_build_session=$!
}

stop_cluster_build() {
	if [ -n "$k8s_build_session" ] && [ ! -s "$k8s_build_status" ]; then
		kill -- -"$k8s_build_session" 2>/dev/null || true
	fi
}

# Prints the build's output (its steps' timings are from the command's start) and returns its
# status, after waiting for it to finish if it still runs.
wait_for_cluster_build() {
	local started=$SECONDS
	[ -s "$k8s_build_status" ] || echo "waiting for the cluster's build (started with the command, at nice 19)"
	until [ -s "$k8s_build_status" ]; do
		# killed before it could leave a status (the status is written before the session ends)
		if ! kill -0 "$k8s_build_session" 2>/dev/null && [ ! -s "$k8s_build_status" ]; then
			echo "3" >"$k8s_build_status"
			echo "the cluster's build ended without an exit status"
		fi
		sleep 1
	done
	cat "$k8s_build_log"
	echo "-- waited $((SECONDS - started))s for the cluster's build"
	return "$(cat "$k8s_build_status")"
}

if [ "$fast" = 0 ]; then start_cluster_build; fi

echo "== python packages"
# The fast tier is the loop run while working: it skips pip's few seconds when this tree is what
# Python imports and pyproject.toml is unchanged since the stamp's install. The full command
# (what CI runs) always installs.
stamp=.test-packages-installed
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) $PWD"
if [ "$fast" = 1 ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] &&
	python3 -c 'import os, sys, envsim; sys.exit(not envsim.__file__.startswith(os.getcwd() + "/"))' 2>/dev/null; then
	echo "as installed for this pyproject.toml (rm $stamp to reinstall)"
else
	python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
	echo "$wanted" >"$stamp"
fi

# The checks don't stop the run: the tests' results are worth having alongside a lint finding.
# They run beside the tests (mypy takes tens of seconds with a cold cache) and are printed after.
checks_log=$(mktemp)
temp_files+=("$checks_log")
(
	status=0
	echo "== ruff"
	python3 -m ruff check --output-format concise . || status=1
	python3 -m ruff format --check --output-format concise . || status=1
	echo "== mypy"
	python3 -m mypy || status=1
	exit "$status"
) >"$checks_log" 2>&1 &
checks_pid=$!

tests_failed=0
# pytest's exit status 5 is "no test selected": extra arguments may leave one half empty.
run_pytest() {
	local status=0 started=$SECONDS
	nice -n "${niceness:-0}" python3 -m pytest -p no:cacheprovider -q "$@" || status=$?
	echo "-- wall time $((SECONDS - started))s (load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null))"
	if [ "$status" != 0 ] && [ "$status" != 5 ]; then tests_failed=$status; fi
}

# The cluster's start, its tests and its stop; returns the tests' status (or the start's).
kubernetes_part() {
	# tests_failed: run_pytest sets this function's own, not the one of the tests before
	local k8s_was_running=0 k8s_status k8s_started tests_failed=0
	echo "== kubernetes cluster"
	wait_for_cluster_build || return $?
	# read whole first: with pipefail, grep -q closing the pipe early would fail the status call
	k8s_status=$(bash scripts/k8s-setup.sh status 2>/dev/null || true)
	case "$k8s_status" in *"kube-apiserver: running"*) k8s_was_running=1 ;; esac
	k8s_started=$(date +%s)
	bash scripts/k8s-setup.sh start || return $?
	echo "kubernetes cluster ready in $(($(date +%s) - k8s_started))s"
	echo "== tests on the Kubernetes cluster"
	# ENVSIM_K8S_REQUIRED: here a skipped Kubernetes test (no cluster found) is a failure.
	# Two workers: the tests mostly wait on pods and short load runs. A module stays on one
	# worker (its stack is brought up once); the modules whose stacks ask for a whole core of
	# the 2-core node share a group (tests/conftest.py), so the node has room for both workers'.
	ENVSIM_K8S_REQUIRED=1 run_pytest -n 2 --dist loadgroup --durations=15 -m "kubernetes" "$@"
	if [ "$k8s_was_running" = 0 ]; then bash scripts/k8s-setup.sh stop || echo "note: scripts/k8s-setup.sh stop failed; the cluster may still run"; fi
	return "$tests_failed"
}

# The fast tier's tests as two pytest runs at once. The engine-free integration and e2e tests
# mostly wait (on short load runs against loopback servers, on MCP servers starting): three workers
# of their own overlap them (with four, the tests that time load runs failed more often beside
# each other), each handed one test at a time or one module that names an xdist_group (xdist's default hands each worker a run of consecutive tests, which piled the
# waiting ones onto one worker). Meanwhile the unit tests keep both cores busy on two workers, at a
# lower priority: the waiting tests time load runs and round trips, and need a core the moment
# they wake (at the same priority a round trip through a local proxy took 112 ms against a 75 ms
# bound). Each run collects only its own directories. Extra arguments go to both runs.
fast_tests() {
	local started=$SECONDS waiting_log waiting_pid
	waiting_log=$(mktemp)
	(
		run_pytest -n 3 --dist loadgroup --durations=15 -m "$fast_marks" tests/integration tests/e2e "$@"
		exit "$tests_failed"
	) >"$waiting_log" 2>&1 &
	waiting_pid=$!
	echo "-- the unit tests"
	niceness=10 run_pytest -n 2 --durations=15 -m "$fast_marks" tests \
		--ignore=tests/integration --ignore=tests/e2e --ignore=tests/kubernetes "$@"
	wait "$waiting_pid" || tests_failed=$?
	echo "-- the engine-free integration and e2e tests (run at the same time)"
	cat "$waiting_log"
	rm -f "$waiting_log"
	echo "-- both took $((SECONDS - started))s (load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null))"
}

if [ "$fast" = 0 ]; then
	# First: it also installs the host tools (Chromium, PostgreSQL, Redis, the Toxiproxy
	# binary) some engine-free tests drive.
	echo "== docker engine and images"
	bash scripts/test-setup.sh
fi

echo "== tests that need no Docker engine"
if [ "$fast" = 1 ]; then
	# `slow`: the full counts of the property and fuzz tests (hundreds of inputs each); each also
	# runs here at a few.
	fast_marks="not docker and not kubernetes and not slow"
	if [ "$#" -gt 0 ]; then
		# a selection of its own (paths, -k): one run over it
		run_pytest -n 3 --dist loadgroup --durations=15 -m "$fast_marks" "$@"
	else
		fast_tests
	fi
else
	# The fast tier's two runs, with the property and fuzz tests at their full counts: the
	# engine-free integration and e2e tests (load runs timed against loopback servers among them)
	# beside the unit tests, before anything else starts. They passed so in the fast tier; in
	# the engine's `alone` part, one at a time, they took about 130 s.
	fast_marks="not docker and not kubernetes"
	fast_tests "$@"
	# The Kubernetes tests run on a real single-node cluster: built from Go modules on the first
	# run (cached after; the build started with the command), started in seconds. They wait on
	# pods, as the engine's parallel tests wait on containers, so they run beside those (their
	# output is printed after them);
	# the cluster is stopped again (unless it was running before) before the tests that need a
	# quiet machine, whose latency checks its daemons would disturb.
	k8s_log=$(mktemp)
	temp_files+=("$k8s_log")
	kubernetes_part "$@" >"$k8s_log" 2>&1 &
	k8s_pid=$!
	# The engine's tests mostly wait on containers and short load runs, and each brings up its own
	# stacks: three workers overlap them. A module stays on one worker (tests/conftest.py groups
	# them). The tests that compare measured latencies, rates or time-to-lives or the generator's
	# CPU, count every container on the engine, or wait on health deadlines that other stacks'
	# start-ups delay are marked `alone` and run afterwards, one at a time, with no neighbour.
	echo "== the tests on the Docker engine (the Kubernetes tests beside them)"
	run_pytest -n 3 --dist loadgroup --durations=15 -m "docker and not kubernetes and not alone" "$@"
	k8s_exit=0
	wait "$k8s_pid" || k8s_exit=$?
	cat "$k8s_log"
	if [ "$k8s_exit" != 0 ]; then tests_failed=$k8s_exit; fi
	echo "== the engine's tests that need a quiet machine, one at a time"
	run_pytest --durations=15 -m "docker and not kubernetes and alone" "$@"
fi

checks_failed=0
wait "$checks_pid" || checks_failed=1
cat "$checks_log"
echo "== done in ${SECONDS}s"
if [ "$checks_failed" != 0 ]; then
	echo "== ruff or mypy reported findings (above)"
	exit 1
fi
exit "$tests_failed"

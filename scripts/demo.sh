#!/usr/bin/env bash
# The release gate, in one command: envsim fails a buggy app for each production failure
# class, with the cause named, then passes the fixed build, and leaves the engine as it was.
#
#   scripts/demo.sh
#
# 1. a virtual environment (.venv, or $ENVSIM_DEMO_VENV) with envsim installed from this checkout;
# 2. scripts/test-setup.sh: a Docker engine that answers and the images (no registry needed);
# 3. the buggy build of examples/gate (profiles/gate-buggy.yaml) under scenarios/gate-*.yaml,
#    one scenario per failure class: every one must FAIL, with the check that names the class;
# 4. the fixed build (GATE_FIXED=1, profiles/gate-fixed.yaml) under scenarios/gate-fixed/:
#    every one must PASS;
# 5. a summary, where the HTML reports are, and the teardown (counted).
# Exit 0 when the gate caught every bug and passed every fix, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
VENV="${ENVSIM_DEMO_VENV:-$REPO/.venv}"
CLASSES=(index timeout retry token version session race)
started=$(date +%s)

say() { printf '\n[demo %4ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

say "1/5 envsim in a virtual environment ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
	# --system-site-packages: dependencies the machine already has are reused (offline-friendly)
	python3 -m venv --system-site-packages "$VENV"
	echo '*' >"$VENV/.gitignore"   # git leaves the venv alone, wherever it is
fi
stamp="$VENV/.envsim-demo-installed"
wanted="$(sha256sum pyproject.toml | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
	echo "  pip install -e . (envsim and its dependencies)"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e .
	echo "$wanted" >"$stamp"
else
	echo "  already installed"
fi
export PATH="$VENV/bin:$PATH"   # envsim, and python3 for test-setup.sh, come from the venv
envsim --version 2>/dev/null || true

say "2/5 Docker engine and images (scripts/test-setup.sh: starts dockerd if needed, builds what no registry offers)"
bash scripts/test-setup.sh

engine_counts() {
	echo "$(docker ps -aq | wc -l) containers, $(docker network ls -q | wc -l) networks, $(docker volume ls -q | wc -l) volumes"
}
before="$(engine_counts)"
echo "  engine before the gate: $before"

teardown() {
	for variant in buggy fixed; do
		envsim down "gate-$variant" --images >/dev/null 2>&1 || true
	done
}
trap teardown EXIT
trap 'echo "demo: interrupted"; exit 130' INT TERM

rm -rf reports/gate-buggy reports/gate-fixed

# envsim run takes several scenarios at once (one combined verdict) when the CLI says so;
# else one run per scenario.
if envsim run --help | grep -q 'SCENARIO\.\.\.'; then combined=1; else combined=""; fi

# gate VARIANT SCENARIO...: bring the build up once, run every scenario on it, take it down.
# Sets `codes` to the exit code of each scenario (or the combined one, repeated).
gate() {
	local variant="$1"; shift
	codes=()
	echo "  envsim up gate-$variant"
	envsim up "gate-$variant"
	if [ -n "$combined" ]; then
		local rc=0
		envsim run "$@" --no-up || rc=$?
		for _ in "$@"; do codes+=("$rc"); done
		# the combined JUnit file (a test suite per scenario), kept per build
		if [ -f reports/gate/junit.xml ]; then mv reports/gate/junit.xml "reports/gate-$variant/junit.xml"; fi
	else
		for scenario in "$@"; do
			local rc=0
			say "   gate-$variant: envsim run $scenario"
			envsim run "$scenario" --no-up || rc=$?
			codes+=("$rc")
		done
	fi
	echo "  envsim down gate-$variant --images"
	envsim down "gate-$variant" --images
}

say "3/5 the buggy build: every failure class must fail its check"
buggy_files=(); for c in "${CLASSES[@]}"; do buggy_files+=("scenarios/gate-$c.yaml"); done
gate buggy "${buggy_files[@]}"
buggy_codes=("${codes[@]}")

say "4/5 the fixed build (GATE_FIXED=1): every class must pass"
fixed_files=(); for c in "${CLASSES[@]}"; do fixed_files+=("scenarios/gate-fixed/gate-$c.yaml"); done
gate fixed "${fixed_files[@]}"
fixed_codes=("${codes[@]}")

say "5/5 summary"
ok=1
printf '  %-8s  %-22s  %-8s  %s\n' class "buggy build" "fixed" "what caught the buggy build (measured)"
for i in "${!CLASSES[@]}"; do
	c="${CLASSES[$i]}"
	caught=$(python3 - "reports/gate-buggy/$c/verdict.json" <<'EOF'
import json, sys
try:
    verdict = json.load(open(sys.argv[1], encoding="utf-8"))
except OSError:
    print("no verdict written"); sys.exit()
failed = [r for r in verdict["results"] if not r["passed"]]
if not failed:
    print("nothing failed"); sys.exit()
r = failed[0]
if r["kind"] == "http":
    measured = r["reason"].split(" is false with ")[-1]
elif r["unit"] == "ratio":
    measured = f'{r["measured"] * 100:.1f}%'
elif r["unit"] == "s":
    measured = f'{r["measured"] * 1000:.0f}ms'
else:
    measured = f'{r["measured"]:g}'
print(f'{r["label"]}: {measured}' + (f' (+{len(failed) - 1} more)' if len(failed) > 1 else ''))
EOF
)
	b="${buggy_codes[$i]}"; f="${fixed_codes[$i]}"
	bt=$([ "$b" = 1 ] && echo "FAILED (as it should)" || echo "exit $b: NOT CAUGHT")
	ft=$([ "$f" = 0 ] && echo "PASSED" || echo "exit $f")
	[ "$b" = 1 ] && [ "$f" = 0 ] || ok=""
	printf '  %-8s  %-22s  %-8s  %s\n' "$c" "$bt" "$ft" "$caught"
done
echo
echo "  reports: HTML, Markdown, JSON and the journal per class and build; JUnit per build:"
for variant in buggy fixed; do
	echo "    $REPO/reports/gate-$variant/<class>/report.html   (open file://$REPO/reports/gate-$variant/${CLASSES[0]}/report.html)"
done

teardown
trap - EXIT
after="$(engine_counts)"
echo
echo "  engine after the gate:  $after (before: $before; other users of the engine count too)"
left=$(( $(docker ps -aq --filter label=envsim.stack=gate-buggy | wc -l) + $(docker ps -aq --filter label=envsim.stack=gate-fixed | wc -l) \
	+ $(docker network ls -q --filter label=envsim.stack=gate-buggy | wc -l) + $(docker network ls -q --filter label=envsim.stack=gate-fixed | wc -l) \
	+ $(docker volume ls -q --filter label=envsim.stack=gate-buggy | wc -l) + $(docker volume ls -q --filter label=envsim.stack=gate-fixed | wc -l) \
	+ $(docker images -q 'envsim-gate-*' | wc -l) ))
echo "  left by the gate: $left (containers, networks, volumes and built images labelled gate-buggy/gate-fixed)"
[ "$left" = 0 ] || ok=""

say "done in $(( $(date +%s) - started ))s"
if [ -n "$ok" ]; then
	echo "the gate caught every bug in the buggy build and passed the fixed build"
	exit 0
fi
echo "the gate did NOT behave as expected (see the table above)"
exit 1

#!/usr/bin/env bash
# Makes a Docker engine and the images envsim's tests run available, with no registry needed.
#   - no engine answering: install Debian's docker.io (and debootstrap) if missing, start
#     dockerd in the background (log: $ENVSIM_DOCKERD_LOG), wait until it answers;
#   - then `python -m envsim.images.prepare_test_images`: Toxiproxy, the postgres/redis/python
#     images (pulled, or built offline from Debian packages), the example profile's images and
#     the Locust worker image of `--workers-on docker` (this envsim's source, Locust from PyPI).
# Idempotent; seconds when everything is cached.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKERD_LOG="${ENVSIM_DOCKERD_LOG:-/var/log/envsim-dockerd.log}"
DOCKERD_WAIT="${ENVSIM_DOCKERD_WAIT:-60}"
started_at=$(date +%s)

say() { printf '[test-setup %3ss] %s\n' "$(( $(date +%s) - started_at ))" "$*"; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		say "need root for: $*"; exit 1; fi
}

apt_updated=""
apt_install() {
	if [ -z "$apt_updated" ]; then
		say "apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		apt_updated=1
	fi
	say "apt-get install $*"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

engine_answers() { docker info >/dev/null 2>&1; }

if engine_answers; then
	say "docker engine answers"
else
	missing=()
	command -v dockerd >/dev/null || missing+=(docker.io)
	command -v debootstrap >/dev/null || missing+=(debootstrap)
	if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
	if ! pgrep -x dockerd >/dev/null; then
		say "starting dockerd (log: $DOCKERD_LOG)"
		as_root mkdir -p "$(dirname "$DOCKERD_LOG")"
		# setsid + nohup: the engine outlives this script and the CI step that ran it.
		as_root sh -c "setsid nohup dockerd >>'$DOCKERD_LOG' 2>&1 </dev/null &"
	fi
	deadline=$(( $(date +%s) + DOCKERD_WAIT ))
	until engine_answers; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			say "dockerd did not answer within ${DOCKERD_WAIT}s; last lines of $DOCKERD_LOG:"
			as_root tail -n 30 "$DOCKERD_LOG" || true
			exit 1
		fi
		sleep 0.5
	done
	say "docker engine answers"
fi

# The offline recipes need debootstrap (Debian base) and Go (Toxiproxy); both are cheap to check.
if ! command -v debootstrap >/dev/null; then apt_install debootstrap; fi
if ! command -v go >/dev/null; then
	say "note: Go is not installed; Toxiproxy can only come from a registry or a local image"
fi

# Host-side tools some tests drive for real: headless Chromium opens the HTML report, and the
# example app's own tests run it against PostgreSQL and Redis servers started on 127.0.0.1.
host_missing=()
command -v chromium >/dev/null || host_missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || host_missing+=(postgresql)
command -v redis-server >/dev/null || host_missing+=(redis-server)
if [ "${#host_missing[@]}" -gt 0 ]; then apt_install "${host_missing[@]}"; fi

say "preparing images"
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" python3 -m envsim.images.prepare_test_images "$PWD"
say "done"

#!/bin/bash
# The official image's start-up contract, in brief: as root, fix ownership and drop to the
# postgres user; on an empty PGDATA run initdb with POSTGRES_USER/POSTGRES_PASSWORD, create
# POSTGRES_DB, run /docker-entrypoint-initdb.d/*, then start the server on all addresses.
set -Eeo pipefail

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown -R postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

run_initdb_scripts() {
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue  # an empty directory leaves the pattern itself
		case "$f" in
			*.sh)     echo "running $f"; . "$f" ;;
			*.sql)    echo "running $f"; psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
			*.sql.gz) echo "running $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" ;;
			*)        echo "ignoring $f" ;;
		esac
	done
}

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
	: "${POSTGRES_USER:=postgres}"
	: "${POSTGRES_DB:=$POSTGRES_USER}"
	# As the official image: md5 before PostgreSQL 14, whose servers still store md5 passwords
	# by default (a scram-sha-256 rule could then never match a stored password).
	major="$(postgres --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')"
	# A stand-in of an image from before 13 Feb 2020: no password meant trust for every host.
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ -z "${POSTGRES_HOST_AUTH_METHOD:-}" ] \
		&& [ "${ENVSIM_PG_TRUST_WITHOUT_PASSWORD:-}" = '1' ]; then
		POSTGRES_HOST_AUTH_METHOD=trust
		echo 'WARNING: no password has been set for the database (as the pinned image did then, it' >&2
		echo '         starts with trust authentication: anyone who reaches the port gets in)' >&2
	fi
	if [ "$major" -lt 14 ]; then : "${POSTGRES_HOST_AUTH_METHOD:=md5}"; fi
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
		echo 'error: database is uninitialized and POSTGRES_PASSWORD is not set' >&2
		echo '       (set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections)' >&2
		exit 1
	fi
	pwfile="$(mktemp)"
	printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
	initdb --username="$POSTGRES_USER" --pwfile="$pwfile" -D "$PGDATA" $POSTGRES_INITDB_ARGS
	rm -f "$pwfile"
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
	printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"

	# A server on the unix socket only, so nothing connects before initialisation is done.
	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
	export PGPASSWORD="${POSTGRES_PASSWORD:-}"
	if [ "$POSTGRES_DB" != 'postgres' ]; then
		psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
			--set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	run_initdb_scripts
	unset PGPASSWORD
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"

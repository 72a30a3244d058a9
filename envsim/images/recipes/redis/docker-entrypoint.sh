#!/bin/sh
# As the official image: `docker run redis:7 --appendonly yes` means redis-server with those
# options; without a config file the server binds every address with protected mode off.
set -e
case "$1" in
	-*|*.conf) set -- redis-server "$@" ;;
esac
if [ "$1" = 'redis-server' ]; then
	case " $* " in
		*" --protected-mode "*|*.conf*) ;;
		*) set -- "$@" --protected-mode no ;;
	esac
	if [ "$(id -u)" = '0' ]; then
		chown -R redis:redis /data 2>/dev/null || true
		exec setpriv --reuid=redis --regid=redis --init-groups "$@"
	fi
fi
exec "$@"

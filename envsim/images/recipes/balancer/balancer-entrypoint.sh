#!/bin/sh
# Writes the HAProxy configuration for a service's replicas, then runs HAProxy in the foreground.
#   balancer-entrypoint.sh "PORT [PORT...]" REPLICA [REPLICA...]
# Replicas are container names on the stack's network; they are looked up again while running,
# so a replica restarted by a fault (new address) is found again.
set -eu
ports="$1"
shift
config=/tmp/haproxy.cfg
cat > "$config" <<CFG
global
    log stdout format raw local0 warning
    maxconn 8192

defaults
    mode http
    log global
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    # a replica that refuses a connection is tried again on another one, as production's does
    retries 2
    option redispatch

resolvers engine
    parse-resolv-conf
    hold valid 1s
    hold obsolete 1s

CFG
for port in $ports; do
    printf 'frontend port_%s\n    bind :%s\n    default_backend replicas_%s\n\nbackend replicas_%s\n    balance roundrobin\n' \
        "$port" "$port" "$port" "$port" >> "$config"
    for replica in "$@"; do
        printf '    server %s %s:%s resolvers engine init-addr libc,none check inter 1s fall 2 rise 1\n' \
            "$replica" "$replica" "$port" >> "$config"
    done
    printf '\n' >> "$config"
done
exec haproxy -W -db -f "$config"

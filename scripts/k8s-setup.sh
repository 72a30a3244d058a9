#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, with no container registry (docs/kubernetes.md).
#   scripts/k8s-setup.sh [start]      build (cached) and start; ready = node Ready, a pod on an
#                                     imported image Running, cluster DNS answering
#   scripts/k8s-setup.sh build        only build (or find cached) the binaries, as start does first;
#                                     needs neither root nor a Docker engine (start packs the images)
#   scripts/k8s-setup.sh stop         stop everything it started and remove its state (keeps the cache)
#   scripts/k8s-setup.sh status       what runs
#   scripts/k8s-setup.sh env          prints export KUBECONFIG=... (and PATH for the built kubectl)
#   scripts/k8s-setup.sh import IMAGE...  moves Docker images into the node's containerd
#   scripts/k8s-setup.sh help         this text
# etcd, the Kubernetes components (one binary, scripts/k8s/kube), CoreDNS and the pause image are
# built from Go modules; containerd, runc and the CNI plugins come from Debian packages. The
# cluster's containerd is its own instance (own root, state and socket), apart from Docker's.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_DIR="${ENVSIM_K8S_DIR:-/var/lib/envsim-k8s}"
K8S_RUN="${ENVSIM_K8S_RUN:-/run/envsim-k8s}"
K8S_CACHE="${ENVSIM_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/envsim/k8s}"
K8S_WAIT="${ENVSIM_K8S_WAIT:-180}"
CONTAINERD_SOCK="$K8S_RUN/containerd.sock"
CNI_BIN_DIR=/usr/lib/cni
CNI_BRIDGE=envsimk8s0
NODE_NAME=envsim-node
APISERVER_PORT=6443
# Apart from Docker's default pools (172.17.0.0/16 and up, 192.168.0.0/16).
POD_CIDR=10.244.0.0/16
NODE_POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
DAEMONS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
started_at=$(date +%s)

say() { printf '[k8s-setup %3ss] %s\n' "$(( $(date +%s) - started_at ))" "$*"; }

# A step that fails unexpectedly (set -e) is an environment problem: exit 3, naming the step.
trap 'status=$?; case "$status" in 0 | 2 | 3 | 130) ;; *)
	say "failed (exit $status) at: $BASH_COMMAND"; exit 3 ;; esac' EXIT

# shellcheck source=k8s/build.sh
. scripts/k8s/build.sh
# shellcheck source=k8s/config.sh
. scripts/k8s/config.sh
# shellcheck source=k8s/teardown.sh
. scripts/k8s/teardown.sh

kubectl() { "$BIN_DIR/kube" kubectl --kubeconfig "$K8S_DIR/kubeconfig" "$@"; }
ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

node_ip() { ip -4 route get 1.1.1.1 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit } }'; }

daemon_pid() {
	local pid
	[ -f "$K8S_RUN/$1.pid" ] || return 1
	pid="$(cat "$K8S_RUN/$1.pid")"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# start_daemon NAME COMMAND...: runs COMMAND detached (its own session, log under the state dir)
# so it outlives this script; does nothing if NAME already runs.
start_daemon() {
	local name="$1"; shift
	daemon_pid "$name" >/dev/null && return 0
	mkdir -p "$K8S_DIR/logs" "$K8S_RUN"
	setsid nohup "$@" >>"$K8S_DIR/logs/$name.log" 2>&1 </dev/null &
	echo $! >"$K8S_RUN/$name.pid"
	say "started $name (log: $K8S_DIR/logs/$name.log)"
}

# wait_for WHAT COMMAND...: retries COMMAND until it succeeds or $K8S_WAIT seconds pass, then
# shows what its last try said.
wait_for() {
	local what="$1"; shift
	local deadline=$(( $(date +%s) + K8S_WAIT )) output
	until output="$("$@" 2>&1)"; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			say "gave up waiting ${K8S_WAIT}s for: $what; logs are in $K8S_DIR/logs; last try said:"
			printf '%s\n' "$output" | tail -n 5 >&2
			exit 3
		fi
		sleep 1
	done
	say "$what"
}

require_host() {
	[ "$(id -u)" = 0 ] || { say "needs root (it runs containerd, the kubelet and kube-proxy)"; exit 3; }
	local missing=()
	command -v containerd >/dev/null || missing+=(containerd)
	command -v runc >/dev/null || missing+=(runc)
	[ -x "$CNI_BIN_DIR/bridge" ] && [ -x "$CNI_BIN_DIR/firewall" ] || missing+=(containernetworking-plugins)
	command -v iptables >/dev/null || missing+=(iptables)
	command -v conntrack >/dev/null || missing+=(conntrack)
	if [ "${#missing[@]}" -gt 0 ]; then
		say "apt-get install ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	modprobe br_netfilter 2>/dev/null || true
	sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
}

# containerd reads its configuration only when it starts: one that runs with an older version of
# it is restarted. The pods keep running (their shims outlive containerd); the kubelet reconnects.
stop_outdated_containerd() {
	local pid deadline
	pid="$(daemon_pid containerd)" || return 0
	[ "$(cat "$K8S_RUN/containerd.config-digest" 2>/dev/null)" != "$(containerd_config_digest)" ] || return 0
	say "containerd's configuration changed: restarting containerd (pods keep running)"
	kill "$pid"
	deadline=$(( $(date +%s) + 30 ))
	while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
	! kill -0 "$pid" 2>/dev/null || { say "containerd (pid $pid) did not stop within 30s"; exit 3; }
}

containerd_config_digest() { sha256sum <"$K8S_DIR/containerd/config.toml" | cut -c1-16; }

start_containerd() {
	stop_outdated_containerd
	start_daemon containerd containerd --config "$K8S_DIR/containerd/config.toml"
	containerd_config_digest >"$K8S_RUN/containerd.config-digest"
	wait_for "containerd answers on $CONTAINERD_SOCK" ctr --address "$CONTAINERD_SOCK" version
	local name archive
	for name in pause coredns; do
		archive="$BIN_DIR/$name-image.tar"
		ctr_k8s images import --snapshotter overlayfs "$archive" >/dev/null
	done
	say "images imported: $PAUSE_IMAGE $COREDNS_IMAGE"
}

start_etcd() {
	start_daemon etcd "$BIN_DIR/etcd" --name envsim-node --data-dir "$K8S_DIR/etcd" \
		--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster envsim-node=http://127.0.0.1:2380 --log-level warn
	wait_for "etcd is healthy" curl -fsS http://127.0.0.1:2379/health
}

start_control_plane() {
	start_daemon kube-apiserver "$BIN_DIR/kube-apiserver" --etcd-servers http://127.0.0.1:2379 \
		--bind-address 0.0.0.0 --secure-port "$APISERVER_PORT" --advertise-address "$NODE_IP" \
		--tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
		--client-ca-file "$PKI/ca.crt" --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
		--kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
		--kubelet-client-key "$PKI/apiserver-kubelet-client.key" --kubelet-preferred-address-types InternalIP,Hostname \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$PKI/service-accounts.pub" \
		--service-account-signing-key-file "$PKI/service-accounts.key" \
		--service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged --profiling=false
	wait_for "kube-apiserver is ready" kubectl get --raw /readyz
	local component_auth=(--authentication-kubeconfig "$K8S_DIR/controller-manager.kubeconfig"
		--authorization-kubeconfig "$K8S_DIR/controller-manager.kubeconfig")
	start_daemon kube-controller-manager "$BIN_DIR/kube-controller-manager" \
		--kubeconfig "$K8S_DIR/controller-manager.kubeconfig" "${component_auth[@]}" \
		--bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
		--allocate-node-cidrs --cluster-cidr "$POD_CIDR" --node-cidr-mask-size 24 \
		--service-cluster-ip-range "$SERVICE_CIDR" --root-ca-file "$PKI/ca.crt" \
		--cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
		--service-account-private-key-file "$PKI/service-accounts.key" --profiling=false
	start_daemon kube-scheduler "$BIN_DIR/kube-scheduler" --kubeconfig "$K8S_DIR/scheduler.kubeconfig" \
		--authentication-kubeconfig "$K8S_DIR/scheduler.kubeconfig" \
		--authorization-kubeconfig "$K8S_DIR/scheduler.kubeconfig" \
		--bind-address 127.0.0.1 --leader-elect=false --profiling=false
}

start_node() {
	start_daemon kubelet "$BIN_DIR/kubelet" --config "$K8S_DIR/kubelet/config.yaml" \
		--kubeconfig "$K8S_DIR/kubelet.kubeconfig" --root-dir "$K8S_DIR/kubelet/root" \
		--cert-dir "$K8S_DIR/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
	start_daemon kube-proxy "$BIN_DIR/kube-proxy" --config "$K8S_DIR/kube-proxy.yaml"
	wait_for "node $NODE_NAME is Ready" \
		kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s
}

fill_in() {
	sed -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" \
		-e "s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|g" "$1"
}

dns_answers() {
	python3 scripts/k8s/dns_query.py "$DNS_SERVICE_IP" kubernetes.default.svc.cluster.local \
		| grep -qx "$KUBERNETES_SERVICE_IP"
}

apply_manifest() { fill_in "scripts/k8s/$1" | kubectl apply -f -; }

check_cluster() {
	# Retried: pods are refused until the controller-manager has made the namespace's service account.
	wait_for "cluster DNS applied" apply_manifest cluster-dns.yaml
	wait_for "pod default/envsim-node-check applied" apply_manifest node-check.yaml
	wait_for "pod default/envsim-node-check is Running" \
		kubectl wait --for=condition=Ready pod/envsim-node-check --timeout=5s
	wait_for "CoreDNS is Ready" \
		kubectl -n kube-system wait --for=condition=Available deployment/coredns --timeout=5s
	wait_for "cluster DNS answers kubernetes.default.svc.cluster.local = $KUBERNETES_SERVICE_IP" dns_answers
}

start() {
	require_host
	build_binaries
	build_images
	NODE_IP="$(node_ip)"
	[ -n "$NODE_IP" ] || { say "no IPv4 address with a route out; the apiserver needs one to advertise"; exit 3; }
	write_configuration
	start_containerd
	start_etcd
	start_control_plane
	start_node
	check_cluster
	say "ready: export KUBECONFIG=$K8S_DIR/kubeconfig"
}

status() {
	local name pid
	for name in "${DAEMONS[@]}"; do
		if pid="$(daemon_pid "$name")"; then echo "$name: running (pid $pid)"; else echo "$name: not running"; fi
	done
	if [ -x "$BIN_DIR/kube" ] && [ -f "$K8S_DIR/kubeconfig" ] && kubectl get --raw /readyz >/dev/null 2>&1; then
		kubectl get nodes -o wide
		kubectl get pods -A -o wide
	fi
}

import_images() {
	[ "$#" -gt 0 ] || { echo "usage: $0 import IMAGE..." >&2; exit 2; }
	ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1 || { say "the cluster's containerd is not running"; exit 3; }
	docker save "$@" | ctr_k8s images import --snapshotter overlayfs - >/dev/null
	say "imported into the cluster: $*"
}

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' scripts/k8s-setup.sh; }

case "${1:-start}" in
	start) start ;;
	build) build_binaries; say "binaries ready in $BIN_DIR" ;;
	stop) stop ;;
	status) status ;;
	env) echo "export KUBECONFIG=$K8S_DIR/kubeconfig"; echo "export PATH=$BIN_DIR:\$PATH"
		echo "export ENVSIM_K8S_BIN=$BIN_DIR" ;;
	import) shift; import_images "$@" ;;
	help | -h | --help) usage ;;
	*) echo "usage: $0 [start|build|stop|status|env|import IMAGE...|help]" >&2; exit 2 ;;
esac

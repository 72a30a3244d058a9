# Stops the cluster and removes what it made: its processes, pod sandboxes, mounts, network
# namespaces, the CNI bridge, its iptables chains (KUBE-*, CNI-*), kubepods cgroups and the state
# directory. The build cache stays. Sourced by scripts/k8s-setup.sh.

# Deleting the workloads through the API lets the kubelet tear each sandbox down (CNI DEL frees its
# address and iptables rules) before anything is killed.
delete_workloads() {
	[ -x "$BIN_DIR/kube" ] && [ -f "$K8S_DIR/kubeconfig" ] || return 0
	daemon_pid kubelet >/dev/null && kubectl get --raw /readyz >/dev/null 2>&1 || return 0
	say "deleting workloads"
	kubectl delete deployments,replicasets,daemonsets,statefulsets,jobs,cronjobs --all -A --wait=false >/dev/null 2>&1 || true
	kubectl delete pods --all -A --grace-period=1 --timeout=60s >/dev/null 2>&1 || true
}

# stop_pid PID: SIGTERM, then SIGKILL if it is still there after 10 s.
stop_pid() {
	local pid="$1" waited=0
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$(( waited + 1 )); done
	kill -KILL "$pid" 2>/dev/null || true
}

stop_daemon() {
	local pid
	if pid="$(daemon_pid "$1")"; then
		stop_pid "$pid"
		say "stopped $1"
	fi
	rm -f "$K8S_RUN/$1.pid"
}

# The network namespaces of the sandboxes our containerd still knows, read from their specs.
sandbox_netns_paths() {
	ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1 || return 0
	local id
	for id in $(ctr_k8s containers ls -q 2>/dev/null); do
		ctr_k8s containers info "$id" 2>/dev/null | python3 -c '
import json, sys
spec = json.load(sys.stdin).get("Spec") or {}
for namespace in spec.get("linux", {}).get("namespaces", []):
    if namespace.get("type") == "network" and namespace.get("path"):
        print(namespace["path"])' || true
	done | sort -u
}

# Container processes live in the kubelet's kubepods cgroups; shims are found by our socket path.
kill_containers() {
	local cgroups pids=""
	cgroups="$(kubepods_cgroups)"
	[ -z "$cgroups" ] || pids="$(find $cgroups -name cgroup.procs -exec cat {} + 2>/dev/null || true)"
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	pids="$(pgrep -f -- "-address $CONTAINERD_SOCK( |$)" || true)"
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
}

# /sys/fs/cgroup/<controller>/kubepods on cgroup v1, /sys/fs/cgroup/kubepods on v2.
kubepods_cgroups() { find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d -name kubepods 2>/dev/null; }

remove_kubepods_cgroups() {
	local cgroup
	for cgroup in $(kubepods_cgroups); do
		find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

unmount_under() {
	local mountpoint
	for mountpoint in $(awk -v root="$1" 'index($5, root "/") == 1 || $5 == root { print $5 }' /proc/self/mountinfo | sort -r); do
		umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" 2>/dev/null || true
	done
}

# remove_chains iptables|ip6tables TABLE PREFIX: removes every rule that jumps to a chain named
# PREFIX*, then those chains, in one iptables-restore per table, which leaves alone the rules other
# software (the Docker engine) adds meanwhile.
remove_chains() {
	local family="$1" table="$2" prefix="$3" rules
	rules="$("$family-save" -t "$table" 2>/dev/null)" || return 0
	printf '%s\n' "$rules" | grep -q "^:$prefix" || return 0
	{
		echo "*$table"
		printf '%s\n' "$rules" | grep -E -- "^-A .* -j $prefix" | sed 's/^-A /-D /' || true
		printf '%s\n' "$rules" | sed -n "s/^:\($prefix[^ ]*\) .*/-F \1/p"
		printf '%s\n' "$rules" | sed -n "s/^:\($prefix[^ ]*\) .*/-X \1/p"
		echo COMMIT
	} | "$family-restore" --noflush
}

remove_network() {
	[ -x "$BIN_DIR/kube" ] && "$BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1 || true
	local family table prefix
	# kube-proxy --cleanup leaves the kubelet's KUBE-KUBELET-CANARY and KUBE-IPTABLES-HINT chains.
	for family in iptables ip6tables; do
		for table in mangle nat filter; do
			for prefix in CNI- KUBE-; do
				remove_chains "$family" "$table" "$prefix" || say "could not remove $family $prefix* chains from $table"
			done
		done
	done
	ip link delete "$CNI_BRIDGE" 2>/dev/null || true
}

stop() {
	[ "$(id -u)" = 0 ] || { say "needs root"; exit 3; }
	delete_workloads
	local name netns_paths path
	for name in kubelet kube-proxy kube-scheduler kube-controller-manager kube-apiserver etcd; do
		stop_daemon "$name"
	done
	netns_paths="$(sandbox_netns_paths)"
	kill_containers
	stop_daemon containerd
	for path in $netns_paths; do umount "$path" 2>/dev/null || true; rm -f "$path"; done
	unmount_under "$K8S_RUN"
	unmount_under "$K8S_DIR"
	remove_kubepods_cgroups
	remove_network
	rm -rf "$K8S_DIR" "$K8S_RUN"
	say "stopped; removed $K8S_DIR and $K8S_RUN (build cache kept in $K8S_CACHE)"
}

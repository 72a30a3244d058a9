# Writes the cluster's certificates, kubeconfigs and component configuration under $K8S_DIR;
# sourced by scripts/k8s-setup.sh. Keys never leave the state directory (mode 0700).

PKI="$K8S_DIR/pki"
REGISTRY_HOSTS_DIR="$K8S_DIR/containerd/certs.d"

# write_if_changed FILE: FILE gets standard input (mode 0600) unless it already holds exactly that:
# kube-proxy exits when its configuration file is written, even with the same content.
write_if_changed() {
	local file="$1" new
	new="$(cat)"
	[ -f "$file" ] && [ "$(cat "$file")" = "$new" ] && return 0
	(umask 077 && printf '%s\n' "$new" >"$file.new")
	mv "$file.new" "$file"
}

# issue_cert NAME SUBJECT EXTENSIONS: an EC key and a certificate for it signed by the cluster CA.
issue_cert() {
	local name="$1" subject="$2" extensions="$3"
	[ -f "$PKI/$name.crt" ] && return 0
	openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
	openssl req -new -key "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
	printf '%s\n' "$extensions" >"$PKI/$name.ext"
	openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
		-days 3650 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
	rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

client_cert() {
	issue_cert "$1" "$2" "keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
}

write_certificates() {
	mkdir -p "$PKI" && chmod 700 "$K8S_DIR" "$PKI"
	if [ ! -f "$PKI/ca.crt" ]; then
		openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
		openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=envsim-k8s-ca" -days 3650 \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
			-out "$PKI/ca.crt" 2>/dev/null
	fi
	issue_cert apiserver "/CN=kube-apiserver" "keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$NODE_IP,IP:$KUBERNETES_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	client_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
	client_cert admin "/O=system:masters/CN=envsim-admin"
	client_cert controller-manager "/CN=system:kube-controller-manager"
	client_cert scheduler "/CN=system:kube-scheduler"
	client_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
	client_cert kube-proxy "/CN=system:kube-proxy"
	[ -f "$PKI/service-accounts.key" ] || {
		openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/service-accounts.key" 2>/dev/null
		openssl ec -in "$PKI/service-accounts.key" -pubout -out "$PKI/service-accounts.pub" 2>/dev/null
	}
}

# write_kubeconfig FILE CERT: a kubeconfig for the local apiserver authenticating with CERT.
write_kubeconfig() {
	local file="$1" cert="$2"
	write_if_changed "$file" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: envsim-k8s
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $cert
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$cert.crt")
    client-key-data: $(base64 -w0 "$PKI/$cert.key")
contexts:
- name: envsim-k8s
  context: {cluster: envsim-k8s, user: $cert}
current-context: envsim-k8s
KUBECONFIG
}

write_kubeconfigs() {
	write_kubeconfig "$K8S_DIR/kubeconfig" admin
	local component
	for component in controller-manager scheduler kubelet kube-proxy; do
		write_kubeconfig "$K8S_DIR/$component.kubeconfig" "$component"
	done
}

write_containerd_config() {
	mkdir -p "$K8S_DIR/containerd" "$K8S_DIR/cni/net.d"
	# Its own root, state and sockets: the host's containerd (under the Docker engine) is untouched.
	# The here-document expands variables, so its comments hold no backquotes nor $(...): the shell
	# would run what they enclose (an "ip netns add" quoted so printed "No netns name specified").
	write_if_changed "$K8S_DIR/containerd/config.toml" <<TOML
version = 2
root = "$K8S_DIR/containerd/root"
state = "$K8S_RUN/containerd"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$K8S_DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # Some kernels (Firecracker VMs) refuse a negative oom_score_adj even from root; the kubelet asks
  # -998 for every sandbox and runc then fails. This clamps it to containerd's own value.
  restrict_oom_score_adj = true
  # Pod network namespaces under the cluster's own state directory, not /run/netns: an
  # "ip netns add" elsewhere bind-mounts /run/netns over itself, hiding the pods' namespace
  # mounts so that stop could neither unmount nor remove them ("Device or resource busy").
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$K8S_DIR/cni/net.d"
  # A directory per registry host (certs.d/127.0.0.1:5000/hosts.toml) says how to reach it, e.g.
  # over plain HTTP; containerd reads it on each pull, so a registry added later needs no restart.
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$REGISTRY_HOSTS_DIR"
TOML
	mkdir -p "$REGISTRY_HOSTS_DIR"
	# firewall: Docker sets the FORWARD policy to DROP; this plugin's CNI-FORWARD chain lets pod traffic through.
	write_if_changed "$K8S_DIR/cni/net.d/10-envsim-k8s.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "envsim-k8s",
  "plugins": [
    {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$K8S_DIR/cni/networks",
              "ranges": [[{"subnet": "$NODE_POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall"}
  ]
}
JSON
}

write_kubelet_config() {
	mkdir -p "$K8S_DIR/kubelet"
	write_if_changed "$K8S_DIR/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failCgroupV1: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
failSwapOn: false
# Imported images cannot be pulled again: never collect them, and never evict for a busy disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
serializeImagePulls: false
YAML
}

write_kube_proxy_config() {
	write_if_changed "$K8S_DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $K8S_DIR/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
nodePortAddresses: [primary]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0}
YAML
}

write_configuration() {
	write_certificates
	write_kubeconfigs
	write_containerd_config
	write_kubelet_config
	write_kube_proxy_config
}

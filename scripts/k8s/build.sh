# Builds the cluster's binaries and images from the Go modules beside this file; sourced by
# scripts/k8s-setup.sh. Every result is cached under $K8S_CACHE, keyed by the module's version and
# a digest of its go.mod, go.sum and main.go, so a second start builds nothing.

K8S_MODULES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# module_version DIR MODULE: the version DIR's go.mod requires of MODULE.
module_version() {
	awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' \
		"$K8S_MODULES_DIR/$1/go.mod"
}

KUBE_VERSION="$(module_version kube k8s.io/kubernetes)"
ETCD_VERSION="$(module_version etcd go.etcd.io/etcd/server/v3)"
COREDNS_VERSION="$(module_version coredns github.com/coredns/coredns)"
REGISTRY_VERSION="$(module_version registry github.com/distribution/distribution/v3)"
BIN_DIR="$K8S_CACHE/$KUBE_VERSION"
PAUSE_IMAGE="envsim.local/k8s/pause:$KUBE_VERSION"
COREDNS_IMAGE="envsim.local/k8s/coredns:$COREDNS_VERSION"

sources_digest() {
	local file
	for file in go.mod main.go go.sum; do
		[ ! -f "$K8S_MODULES_DIR/$1/$file" ] || cat "$K8S_MODULES_DIR/$1/$file"
	done | sha256sum | cut -c1-16
}

# go_build NAME DIR [LDFLAGS]: builds module DIR into $BIN_DIR/NAME unless the cached binary was
# built from the same sources. nice 19: the machine's other work keeps its share of the CPU.
go_build() {
	local name="$1" dir="$2" ldflags="${3:-}" digest stamp
	digest="$(sources_digest "$dir")"
	stamp="$BIN_DIR/.$name.sources"
	if [ -x "$BIN_DIR/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ]; then
		return 0
	fi
	say "building $name from $dir/go.mod (cached in $BIN_DIR; tens of minutes the first time)"
	mkdir -p "$BIN_DIR"
	local started=$SECONDS
	(cd "$K8S_MODULES_DIR/$dir" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
		nice -n 19 go build -trimpath -ldflags "-s -w $ldflags" -o "$BIN_DIR/$name.new" .)
	mv "$BIN_DIR/$name.new" "$BIN_DIR/$name"
	echo "$digest" >"$stamp"
	say "built $name in $(( SECONDS - started ))s"
}

kube_version_ldflags() {
	local minor flags="" pkg
	minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
	# Without these the components report v0.0.0-master, which kubectl and version-skew checks reject.
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags="$flags -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		flags="$flags -X $pkg.gitTreeState=clean"
	done
	echo "$flags"
}

build_binaries() {
	command -v go >/dev/null || { say "Go 1.26 or later is needed to build the cluster (etcd v3.7 requires it)"; exit 3; }
	go_build kube kube "$(kube_version_ldflags)"
	go_build etcd etcd
	go_build coredns coredns
	go_build pause pause
	# Not part of the cluster: the image registry the tests push to (tests/kubernetes/local_registry.py).
	go_build registry registry "-X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION"
	local component
	for component in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
		ln -sf kube "$BIN_DIR/$component"
	done
}

# image_archive NAME BINARY TAG: a docker-archive of a FROM-scratch image holding BINARY as its
# entrypoint, made with the local engine once and kept beside the binaries.
image_archive() {
	local name="$1" binary="$2" tag="$3" archive="$BIN_DIR/$1-image.tar" context
	if [ -f "$archive" ] && [ "$archive" -nt "$BIN_DIR/$binary" ]; then
		return 0
	fi
	command -v docker >/dev/null && docker info >/dev/null 2>&1 \
		|| { say "a Docker engine is needed once to pack the $name image"; exit 3; }
	say "packing image $tag"
	context="$(mktemp -d)"
	cp "$BIN_DIR/$binary" "$context/$binary"
	printf 'FROM scratch\nCOPY %s /%s\nENTRYPOINT ["/%s"]\n' "$binary" "$binary" "$binary" >"$context/Dockerfile"
	DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$context" >/dev/null 2>"$context/build.log" \
		|| { cat "$context/build.log" >&2; rm -rf "$context"; exit 3; }
	rm -rf "$context"
	docker save -o "$archive.new" "$tag"
	mv "$archive.new" "$archive"
}

build_images() {
	image_archive pause pause "$PAUSE_IMAGE"
	image_archive coredns coredns "$COREDNS_IMAGE"
}

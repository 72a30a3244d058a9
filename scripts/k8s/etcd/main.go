// Command etcd is the etcd server, built from its published Go module at the
// version go.mod pins (the server module itself cannot be installed with
// `go install` because of its replace directives).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

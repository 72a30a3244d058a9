// Command registry is the CNCF Distribution registry (what the registry:2 and registry:3 images
// run), built from its published Go module at the version go.mod pins, with only the filesystem
// storage driver: the tests keep its storage in a temporary directory on this machine.
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	// Execute reports a failed command itself and exits non-zero.
	_ = registry.RootCmd.Execute()
}

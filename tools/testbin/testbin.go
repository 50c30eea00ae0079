// Package testbin builds the parley command for the tests that run it as
// a real process (cmd/parley, cmd/parley-bench, frontend/uitest), once per
// test binary, in TestMain.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Parley builds parley/cmd/parley (by its import path, so from any package
// of the module) into a new temporary directory and returns the binary's
// path and the function that removes the directory again. The compiler's
// output goes to stderr.
func Parley() (bin string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "parley-test-bin-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { _ = os.RemoveAll(dir) }
	bin = filepath.Join(dir, "parley")
	build := exec.Command("go", "build", "-o", bin, "parley/cmd/parley")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		remove()
		return "", nil, fmt.Errorf("building parley: %w", err)
	}
	return bin, remove, nil
}

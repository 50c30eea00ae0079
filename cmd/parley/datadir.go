package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// checkDataDir makes sure the data directory exists and this process can
// create files in it, so that a read-only or foreign-owned directory is
// one clear message naming it and the cause, not a failure deep inside
// the session key or SQLite.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return dataDirError(dir, err)
	}
	f, err := os.CreateTemp(dir, ".parley-write-check-*")
	if err != nil {
		return dataDirError(dir, err)
	}
	name := f.Name()
	return errors.Join(f.Close(), os.Remove(name))
}

func dataDirError(dir string, err error) error {
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err
	}
	return fmt.Errorf("data directory %s is not writable: %w (PARLEY_DATA_DIR: the SQLite database and the session key live there; "+
		"give this user write access or choose another directory)", dir, cause)
}

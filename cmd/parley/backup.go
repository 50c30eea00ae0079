package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"parley/storage/sqlite"
)

const backupSummary = "Writes a consistent backup of the configured database to --output while the server keeps\n" +
	"running. SQLite: a copy of parley.db (VACUUM INTO), checked, then moved into place; restore it\n" +
	"as the data directory's parley.db. PostgreSQL: pg_dump --format=custom; restore it with\n" +
	"pg_restore. docs/operations.md, \"Backup and restore\", has the steps."

// backup writes an online backup of the configured database.
func (c *cli) backup(ctx context.Context, args []string) error {
	fs, config := c.flags("parley backup", backupSummary, storageOptions...)
	output := fs.String("output", "", "file to write the backup to (required; must not exist)")
	pgDump := fs.String("pg-dump", "pg_dump", "the pg_dump program, of the server's major version or newer (PostgreSQL only)")
	cfg, err := c.parse(fs, args, config)
	if err != nil {
		return err
	}
	if *output == "" {
		return usagef("--output is required")
	}
	if cfg.DatabaseURL != "" {
		err = pgBackup(ctx, *pgDump, cfg.DatabaseURL, *output)
	} else {
		err = sqlite.Backup(ctx, filepath.Join(cfg.DataDir, sqliteFile), *output)
	}
	if err != nil {
		return operatorError(err)
	}
	st, err := os.Stat(*output)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "backup written to %s (%d bytes)\n", *output, st.Size())
	return nil
}

// pgBackup runs pg_dump in its custom format (one consistent snapshot,
// taken in a repeatable-read transaction, so writers go on) into a
// temporary file next to dest and renames it into place. The password
// goes to pg_dump in its environment, not on its command line, where
// other users of the machine could read it.
func pgBackup(ctx context.Context, pgDump, databaseURL, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("%s exists already; choose a new file name", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("PARLEY_DATABASE_URL: %w", err)
	}
	env := os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	tmp := filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".partial")
	defer os.Remove(tmp)
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--file="+tmp, "--dbname="+u.String())
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", pgDump, err, strings.TrimSpace(stderr.String()))
	}
	if err := syncPath(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return err
	}
	return syncPath(filepath.Dir(dest))
}

func syncPath(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

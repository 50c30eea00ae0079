package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"parley/chat"
)

// Backup writes a consistent copy of the database file at path to dest
// while a running server keeps writing to it. VACUUM INTO reads one
// snapshot (in WAL mode writers go on meanwhile, and commits in the -wal
// file are included) and writes it as a compact database of its own. The
// copy is written under a temporary name next to dest, checked
// (quick_check), synced and renamed, so dest is either the whole backup or
// absent. dest must not exist.
func Backup(ctx context.Context, path, dest string) error {
	if _, err := os.Stat(path); err != nil {
		return chat.Internal(err, "sqlite: no database to back up at "+path)
	}
	if _, err := os.Lstat(dest); err == nil {
		return chat.Errorf(chat.EConflict, "%s exists already; choose a new file name", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return chat.Internal(err, "sqlite: backup destination "+dest)
	}
	if err := registerFunctions(); err != nil { // expression indexes are rebuilt
		return chat.Internal(err, "sqlite: register functions")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	tmp := filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".partial-"+hex.EncodeToString(b[:]))
	defer os.Remove(tmp) // gone after the rename; a failed backup's leftovers
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	src, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return chat.Internal(err, "sqlite: open "+path)
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return translate(err, "backup of "+path)
	}
	if err := quickCheck(ctx, tmp); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return chat.Internal(err, "sqlite: sync backup")
	}
	if err := os.Rename(tmp, dest); err != nil {
		return chat.Internal(err, "sqlite: move backup into place")
	}
	return syncFile(filepath.Dir(dest)) // the rename itself
}

// quickCheck opens the copy read-only and runs PRAGMA quick_check on it.
func quickCheck(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", file+"?_pragma=query_only(1)")
	if err != nil {
		return chat.Internal(err, "sqlite: open backup")
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return translate(err, "check of the backup")
	}
	if res != "ok" {
		return chat.Internal(errors.New(res), "sqlite: the backup failed its check")
	}
	return nil
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

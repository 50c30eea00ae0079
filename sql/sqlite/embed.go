// Package sqlite embeds Parley's SQLite migrations, which storage/sqlite
// runs with goose at startup.
package sqlite

import "embed"

// Migrations holds migrations/*.sql.
//
//go:embed migrations/*.sql
var Migrations embed.FS

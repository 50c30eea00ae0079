// Package postgresql holds Parley's PostgreSQL schema: the goose migrations
// (also read by sqlc as the schema) and the sqlc query files. It embeds the
// migrations so that the binary can migrate a database on start.
package postgresql

import "embed"

// Migrations holds migrations/*.sql; goose reads it through fs.Sub.
//
//go:embed migrations/*.sql
var Migrations embed.FS

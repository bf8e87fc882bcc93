// Package migrations holds the database schema as goose migrations, embedded in the binary and
// applied at start-up.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS

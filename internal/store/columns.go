package store

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
)

// Column is a table's column: its name and SQL type.
type Column struct{ Name, Type string }

// ColumnNames returns the names of cols, in order.
func ColumnNames(cols []Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

// update builds the UPDATE of one job that names only the columns that change (jobChanges), so
// that unchanged JSON values are not written (and TOASTed) again, and the triggers on a column
// (the counts on status, the node history on posted) fire only when it changes.
type update struct {
	sql  []byte
	args []any
}

func (u *update) set(column string, v any) {
	if len(u.args) > 1 {
		u.sql = append(u.sql, ", "...)
	}
	u.args = append(u.args, v)
	u.sql = append(u.sql, '"')
	u.sql = append(u.sql, column...)
	u.sql = append(u.sql, `" = $`...)
	u.sql = strconv.AppendInt(u.sql, int64(len(u.args)), 10)
}

// JobUpdate returns the statement that writes to the stored job old (by its id) what changed in
// j, and its arguments; an empty statement when nothing did.
func JobUpdate(old, j *paddles.Job) (string, []any) {
	u := update{sql: make([]byte, 0, 256), args: []any{old.ID}}
	u.sql = append(u.sql, "UPDATE jobs SET "...)
	jobChanges(&u, old, j)
	if len(u.args) == 1 {
		return "", nil
	}
	return string(append(u.sql, " WHERE id = $1"...)), u.args
}

func sameValue[T comparable](a, b T) bool { return a == b }

func samePtr[T comparable](a, b *T) bool { return a == b || a != nil && b != nil && *a == *b }

func sameJSON(a, b json.RawMessage) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func sameTime(a, b time.Time) bool { return a.Equal(b) }

func sameTimePtr(a, b *time.Time) bool { return a == b || a != nil && b != nil && a.Equal(*b) }

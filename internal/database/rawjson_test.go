package database_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, nil)
}

// json values scan into json.RawMessage as stored, minus the whitespace around them (as
// encoding/json gave them before), and NULL as nil; other targets scan as pgx does.
func TestRawJSONScan(t *testing.T) {
	ctx := context.Background()
	pool, err := database.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var a, b, null json.RawMessage
	var m map[string]any
	err = pool.QueryRow(ctx, `SELECT $1::json, $2::json, NULL::json, '{"k": [1, 2]}'::json`,
		` {"b": 1, "a": "\u0000",  "n": 1.50} `, "[]").Scan(&a, &b, &null, &m)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != `{"b": 1, "a": "\u0000",  "n": 1.50}` || string(b) != "[]" || null != nil {
		t.Errorf("scanned %q, %q, %q", a, b, null)
	}
	if len(m["k"].([]any)) != 2 {
		t.Errorf("a map scans as before: %v", m)
	}
}

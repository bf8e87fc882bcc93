package pgtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) {
	Main(m, func(ctx context.Context, databaseURL string) error {
		conn, err := pgx.Connect(ctx, databaseURL)
		if err != nil {
			return err
		}
		// Deliberately not closed: Main must cope with a prepare that leaks
		// a connection to the template (e.g. an unclosed database/sql pool).
		_, err = conn.Exec(ctx, `
			create table notes (id serial primary key, body text not null);
			insert into notes (body) values ('from template')`)
		return err
	})
}

// useDatabase checks that a fresh database has the template's contents and
// that writes to it stay private to the test.
func useDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t0 := time.Now()
	dbURL := NewDatabase(t)
	t.Logf("NewDatabase: %v", time.Since(t0))

	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "insert into notes (body) values ($1)", t.Name()); err != nil {
		t.Fatal(err)
	}
	// Give a parallel test the chance to write to its own copy meanwhile.
	time.Sleep(50 * time.Millisecond)
	rows, err := conn.Query(ctx, "select body from notes order by id")
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"from template", t.Name()}; fmt.Sprint(bodies) != fmt.Sprint(want) {
		t.Errorf("notes = %q, want %q", bodies, want)
	}
}

func TestDatabaseA(t *testing.T) { useDatabase(t) }
func TestDatabaseB(t *testing.T) { useDatabase(t) }

func TestManyParallel(t *testing.T) {
	for i := range 8 {
		t.Run(fmt.Sprint(i), useDatabase)
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://postgres@/postgres?host=/tmp/pgsock1&port=5432&sslmode=disable",
			"postgres://postgres@/new?host=/tmp/pgsock1&port=5432&sslmode=disable"},
		{"postgresql://u:p%40ss@db.example:5433/old", "postgresql://u:p%40ss@db.example:5433/new"},
		{"postgres://h1:5432,h2:5433/old?target_session_attrs=read-write",
			"postgres://h1:5432,h2:5433/new?target_session_attrs=read-write"},
		{"postgres://h", "postgres://h/new"},
		{"postgres://h?sslmode=disable", "postgres://h/new?sslmode=disable"},
		{"postgres:///old?host=%2Frun%2Fpostgresql&dbname=old", "postgres:///new?host=%2Frun%2Fpostgresql"},
		{"host=/run/postgresql dbname=old", "host=/run/postgresql dbname=old dbname='new'"},
		{"", "dbname='new'"},
	} {
		got, err := withDatabase(tc.in, "new")
		if err != nil || got != tc.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			continue
		}
		cfg, err := pgconn.ParseConfig(got)
		if err != nil {
			t.Errorf("ParseConfig(%q): %v", got, err)
		} else if cfg.Database != "new" {
			t.Errorf("ParseConfig(%q).Database = %q", got, cfg.Database)
		}
	}
	if _, err := withDatabase("mysql://x/y", "new"); err == nil {
		t.Error("withDatabase accepted a mysql:// URL")
	}
}

func BenchmarkNewDatabase(b *testing.B) {
	saved := state.strategy
	defer func() { state.strategy = saved }()
	for _, strategy := range []string{saved, " STRATEGY WAL_LOG"} {
		b.Run(strategy, func(b *testing.B) {
			state.strategy = strategy
			for b.Loop() {
				NewDatabase(b)
			}
		})
	}
}

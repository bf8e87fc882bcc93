package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/pgtest"
)

// Issue 6: /healthz answers while the process lives; /readyz answers 503 while a migration is
// pending and while the database is gone, and /healthz still answers 200 then.
func TestHealthAndReady(t *testing.T) {
	c := newServer(t)
	c.tr.allow503 = true
	for _, p := range []string{"/healthz/", "/healthz", "/readyz/", "//readyz"} {
		if r := c.get(p).must(t, 200); string(r.Body) != `{"status":"ok"}` {
			t.Errorf("GET %s: %s", p, r.Body)
		}
		c.head(p).must(t, 200)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	// A pending migration: forget that the first one was applied.
	exec("CREATE TEMP TABLE saved AS SELECT * FROM goose_db_version WHERE version_id = 1")
	exec("DELETE FROM goose_db_version WHERE version_id = 1")
	c.get("/readyz/").wantError(t, 503, "not ready: the database schema is not current (a migration is pending)")
	c.get("/healthz/").must(t, 200)
	exec("INSERT INTO goose_db_version SELECT * FROM saved")
	c.get("/readyz/").must(t, 200)

	// The database goes away: its sessions end and it takes no new ones.
	pgtest.Exec(t, "ALTER DATABASE "+pgx.Identifier{conn.Config().Database}.Sanitize()+" WITH ALLOW_CONNECTIONS false")
	exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	start := time.Now()
	c.get("/readyz/").wantError(t, 503, "not ready: the database does not answer")
	c.get("/readyz/").wantError(t, 503, "not ready: the database does not answer")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the failing probes took %v", d)
	}
	c.get("/healthz/").must(t, 200)
}

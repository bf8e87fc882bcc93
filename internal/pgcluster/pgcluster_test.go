package pgcluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dataDir returns a fresh data directory that the server's OS user can reach.
// t.TempDir's parent is a 0700 directory owned by us, which the postgres user
// cannot enter when we run as root, so open it up.
func dataDir(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	for _, dir := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(base, "pgdata")
}

func requireBinaries(t *testing.T) {
	t.Helper()
	if _, err := FindBinDir(); err != nil {
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
}

func TestFindBinDir(t *testing.T) {
	dir, err := FindBinDir()
	if err != nil {
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
	if !hasServerBinaries(dir) {
		t.Fatalf("FindBinDir() = %q, which lacks initdb or postgres", dir)
	}
	t.Logf("FindBinDir() = %s", dir)
}

func TestStartStopRestart(t *testing.T) {
	requireBinaries(t)
	ctx := context.Background()
	dir := dataDir(t)
	var log strings.Builder // read only after Stop, when the server can no longer write

	t0 := time.Now()
	c, err := Start(ctx, Options{DataDir: dir, Log: &log, Settings: map[string]string{"fsync": "off"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first start (initdb + start): %v", time.Since(t0))
	t.Cleanup(func() { c.Stop() })

	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}
	var listen, fsync string
	if err := conn.QueryRow(ctx, "select current_setting('listen_addresses'), current_setting('fsync')").Scan(&listen, &fsync); err != nil {
		t.Fatal(err)
	}
	if listen != "" || fsync != "off" {
		t.Errorf("listen_addresses=%q fsync=%q, want \"\" and off", listen, fsync)
	}
	if _, err := conn.Exec(ctx, "create table survivor (v text); insert into survivor values ('still here')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(c.sockDir); !os.IsNotExist(err) {
		t.Errorf("socket dir %s not removed: %v", c.sockDir, err)
	}
	if !strings.Contains(log.String(), "database system is ready") {
		t.Errorf("server log was not forwarded; got:\n%s", log.String())
	}

	t0 = time.Now()
	c2, err := Start(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restart on existing data dir: %v", time.Since(t0))
	t.Cleanup(func() { c2.Stop() })
	if c2.URL("x") == c.URL("x") {
		t.Errorf("restart reused socket dir %s", c.sockDir)
	}
	conn, err = pgx.Connect(ctx, c2.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "select v from survivor").Scan(&v); err != nil || v != "still here" {
		t.Fatalf("after restart: %q, %v", v, err)
	}

	// A second server on the same data directory must be refused clearly.
	_, err = Start(ctx, Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second Start on a running data dir: %v", err)
	}
}

func TestStartFailureShowsServerOutput(t *testing.T) {
	requireBinaries(t)
	_, err := Start(context.Background(), Options{
		DataDir:  dataDir(t),
		Settings: map[string]string{"no_such_setting": "1"},
	})
	if err == nil || !strings.Contains(err.Error(), "no_such_setting") {
		t.Fatalf("Start with a bad setting: %v", err)
	}
}

func TestURL(t *testing.T) {
	c := &Cluster{sockDir: "/tmp/pgsock123"}
	want := "postgres://postgres@/my%20db?host=/tmp/pgsock123&port=5432&sslmode=disable"
	if got := c.URL("my db"); got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
}

// Package pgtest gives every test its own real PostgreSQL database.
//
// A package's TestMain calls Main once: it finds a server (an existing one
// named by PADDLES_TEST_DATABASE_URL, or a throwaway cluster started with
// pgcluster), builds a template database with the caller's schema, and runs
// the tests. Each test then calls NewDatabase, which clones the template in
// milliseconds, so tests see the real schema and SQL semantics, can run in
// parallel, and never see each other's data.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ceph/paddles-go/internal/pgcluster"
)

// EnvDatabaseURL names the environment variable that points the tests at an
// existing server instead of a throwaway cluster. Its role needs CREATEDB.
const EnvDatabaseURL = "PADDLES_TEST_DATABASE_URL"

// clusterSettings trade durability, which a throwaway cluster does not need,
// for speed; max_connections leaves room for many parallel tests with pools.
var clusterSettings = map[string]string{
	"fsync":              "off",
	"synchronous_commit": "off",
	"full_page_writes":   "off",
	"max_connections":    "200",
}

// state is set once by Main before any test runs and read-only afterwards.
var state struct {
	baseURL  string // maintenance database that CREATE/DROP DATABASE run from
	template string
	prefix   string // for the per-test databases' names
	strategy string // " STRATEGY FILE_COPY" on PostgreSQL 15+, else ""
	force    string // " WITH (FORCE)" on PostgreSQL 13+, else ""
	n        atomic.Int64

	// Clones are made one at a time. PostgreSQL 15 does cope with
	// concurrent clones of one template, but serialising costs little
	// (~10 ms a clone) and spares a shared external server bursts of
	// checkpoint-forcing CREATE DATABASEs.
	createMu sync.Mutex
}

// Main is called from a package's TestMain. If PADDLES_TEST_DATABASE_URL is
// set it uses that server (the role needs CREATEDB); otherwise it starts a
// throwaway cluster with pgcluster in a temporary directory and stops it
// afterwards. It creates a uniquely named template database, calls
// prepare(ctx, templateURL) once (run the migrations there, as
// testserver.Migrated does; close every connection before returning; nil
// leaves the template empty), runs the tests, drops what it created and
// exits with m.Run's code.
//
// Setup failures are printed to stderr and exit 1 rather than skipping:
// silently skipped database tests look like passing ones.
func Main(m *testing.M, prepare func(ctx context.Context, databaseURL string) error) {
	code, err := run(m, prepare)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M, prepare func(ctx context.Context, databaseURL string) error) (code int, err error) {
	ctx := context.Background()
	// TestMain runs before m.Run parses the flags; we need -test.v.
	if !flag.Parsed() {
		flag.Parse()
	}

	base := os.Getenv(EnvDatabaseURL)
	server := "the server in " + EnvDatabaseURL
	if base == "" {
		server = "the throwaway cluster"
		dir, err := os.MkdirTemp(scratchDir(), "paddles-pgtest-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		t0 := time.Now()
		c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, Settings: clusterSettings})
		if err != nil {
			return 0, fmt.Errorf("starting a throwaway PostgreSQL cluster (or set %s to use an existing server): %w",
				EnvDatabaseURL, err)
		}
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "pgtest: started throwaway PostgreSQL in %v at %s\n",
				time.Since(t0).Round(time.Millisecond), c.URL(""))
		}
		defer func() {
			if stopErr := c.Stop(); stopErr != nil && err == nil {
				err = stopErr
			}
		}()
		base = c.URL("postgres")
	} else if _, err := pgconn.ParseConfig(base); err != nil {
		return 0, fmt.Errorf("%s: %w", EnvDatabaseURL, err)
	}

	var version int
	if err := withConn(ctx, base, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "select current_setting('server_version_num')::int").Scan(&version)
	}); err != nil {
		return 0, fmt.Errorf("connecting to %s: %w", server, err)
	}
	if version >= 150000 {
		// The default WAL_LOG strategy copies a database block by block
		// through the WAL, which is slow for the small databases tests use.
		state.strategy = " STRATEGY FILE_COPY"
	}
	if version >= 130000 {
		state.force = " WITH (FORCE)"
	}

	var rnd [4]byte
	rand.Read(rnd[:])
	id := fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(rnd[:]))
	tpl := "paddles_tpl_" + id
	tplURL, err := withDatabase(base, tpl)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", EnvDatabaseURL, err)
	}
	if err := execSQL(ctx, base, "CREATE DATABASE "+ident(tpl)); err != nil {
		return 0, fmt.Errorf("creating template database on %s (its role needs CREATEDB): %w", server, err)
	}
	defer func() {
		if dropErr := execSQL(ctx, base, "DROP DATABASE IF EXISTS "+ident(tpl)+state.force); dropErr != nil && err == nil {
			err = fmt.Errorf("dropping template database: %w", dropErr)
		}
	}()
	if prepare == nil {
		prepare = func(context.Context, string) error { return nil }
	}
	if err := prepare(ctx, tplURL); err != nil {
		return 0, fmt.Errorf("preparing template database: %w", err)
	}
	// A connection left open by prepare (say, an unclosed database/sql pool)
	// would make every clone fail, so lock the template and end stragglers.
	// Clones do not inherit ALLOW_CONNECTIONS.
	if err := withConn(ctx, base, func(conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(tpl)+" WITH ALLOW_CONNECTIONS false"); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", tpl)
		return err
	}); err != nil {
		return 0, fmt.Errorf("closing template database: %w", err)
	}

	state.baseURL = base
	state.template = tpl
	state.prefix = "paddles_test_" + id + "_"
	return m.Run(), nil
}

// scratchDir returns where to put a throwaway cluster: /dev/shm when it is a
// roomy tmpfs, else os.TempDir(). A cluster and its clones are thousands of
// small files, and on tmpfs nothing touches a disk: measured, a cluster
// starts in ~0.45 s instead of 0.7-1.2 s and a clone takes ~11 ms instead
// of 25-220 ms (ext4 without a journal gets slower at creating files the
// more it has recently deleted). Docker's default 64 MiB /dev/shm is too
// small, hence the free-space check.
func scratchDir() string {
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err == nil &&
		int64(st.Type) == tmpfsMagic && st.Bavail*uint64(st.Bsize) >= 1<<30 &&
		syscall.Access("/dev/shm", 0o2|0o1) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}

// NewDatabase returns the URL of a fresh database cloned from the template
// that Main prepared, and drops it when the test ends. It is safe to call
// from parallel tests.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	if state.baseURL == "" {
		tb.Fatal("pgtest.NewDatabase: the package's TestMain must call pgtest.Main")
	}
	name := fmt.Sprintf("%s%d", state.prefix, state.n.Add(1))
	dbURL, err := withDatabase(state.baseURL, name)
	if err != nil {
		tb.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	state.createMu.Lock()
	err = execSQL(ctx, state.baseURL, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(state.template)+state.strategy)
	state.createMu.Unlock()
	if err != nil {
		tb.Fatalf("pgtest: creating test database: %v", err)
	}

	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends sessions the test left open, e.g. a pool it never closed.
		if err := execSQL(ctx, state.baseURL, "DROP DATABASE IF EXISTS "+ident(name)+state.force); err != nil {
			tb.Errorf("pgtest: dropping test database %s: %v", name, err)
		}
	})
	return dbURL
}

// Exec runs sql on the server's maintenance database, the one Main creates and drops databases
// from: for tests that act on their database from outside, e.g. take it away from a server.
func Exec(tb testing.TB, sql string) {
	tb.Helper()
	if state.baseURL == "" {
		tb.Fatal("pgtest.Exec: the package's TestMain must call pgtest.Main")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := execSQL(ctx, state.baseURL, sql); err != nil {
		tb.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// withDatabase returns connString with its database replaced by dbname. It
// edits the string rather than round-tripping through net/url, which rejects
// libpq's multi-host URLs; socket URLs keep their host in the query, which is
// left alone. Keyword/value strings ("host=... dbname=...") are supported
// too: the last dbname wins.
func withDatabase(connString, dbname string) (string, error) {
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		if !strings.HasPrefix(connString, scheme) {
			continue
		}
		rest := connString[len(scheme):]
		if i := strings.IndexByte(rest, '#'); i >= 0 {
			rest = rest[:i]
		}
		authority, query := rest, ""
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			authority = rest[:i]
			if j := strings.IndexByte(rest, '?'); j >= 0 {
				query = rest[j+1:]
			}
		}
		if query != "" {
			q, err := url.ParseQuery(query)
			if err != nil {
				return "", fmt.Errorf("parsing connection URL query: %w", err)
			}
			if q.Has("dbname") || q.Has("database") {
				q.Del("dbname")
				q.Del("database")
				query = q.Encode()
			}
		}
		s := scheme + authority + "/" + url.PathEscape(dbname)
		if query != "" {
			s += "?" + query
		}
		return s, nil
	}
	if strings.Contains(connString, "://") {
		return "", errors.New("connection URL must start with postgres:// or postgresql://")
	}
	quoted := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(dbname) + "'"
	return strings.TrimSpace(connString + " dbname=" + quoted), nil
}

func withConn(ctx context.Context, connString string, f func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return f(conn)
}

func execSQL(ctx context.Context, connString, sql string) error {
	return withConn(ctx, connString, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, sql)
		return err
	})
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// Script runs SQL scripts (each may hold several statements) in the database at databaseURL, in
// order, and fails the test at the first error.
func Script(tb testing.TB, databaseURL string, sql ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := withConn(ctx, databaseURL, func(conn *pgx.Conn) error {
		for _, s := range sql {
			// The simple protocol runs a script of several statements.
			if _, err := conn.Exec(ctx, s, pgx.QueryExecModeSimpleProtocol); err != nil {
				return fmt.Errorf("%w\n%.300s", err, s)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

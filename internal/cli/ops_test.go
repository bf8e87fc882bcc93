package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/db/migrations"
	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

// Issue 6, acceptance 2: two replicas started at the same moment on one fresh database both
// migrate safely (goose's advisory lock serialises them) and serve; the schema is applied once.
func TestTwoReplicasMigrateOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	getenv := env(map[string]string{"PADDLES_DATABASE_URL": url})
	start := make(chan struct{})
	a := testserver.StartMain(t, Main, start, nil, getenv)
	b := testserver.StartMain(t, Main, start, nil, getenv)
	t0 := time.Now()
	close(start)
	a.WaitFor(t, "/readyz")
	b.WaitFor(t, "/readyz")
	t.Logf("both replicas ready in %v", time.Since(t0).Round(time.Millisecond))

	// Both serve the same data.
	if code := post(t, a.URL+"/runs/r/jobs/", `{"job_id": "1", "status": "running"}`); code != 200 {
		t.Fatalf("POST on replica a: %d", code)
	}
	if code, body := get(t, b.URL+"/runs/r/jobs/1/"); code != 200 || !strings.Contains(body, `"status":"running"`) {
		t.Errorf("GET on replica b: %d %s", code, body)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Every migration is recorded exactly once, and one replica applied them all.
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	var versions, rows int
	if err := conn.QueryRow(ctx, "SELECT count(DISTINCT version_id), count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied").Scan(&versions, &rows); err != nil {
		t.Fatal(err)
	}
	if versions != len(files) || rows != len(files) {
		t.Errorf("%d migrations recorded in %d rows, want %d once each", versions, rows, len(files))
	}
	applied := func(s *testserver.Serve) int { return strings.Count(s.Logs.String(), "msg=\"migration applied\"") }
	if na, nb := applied(a), applied(b); na+nb != len(files) || (na != 0 && nb != 0) {
		t.Errorf("replica a applied %d migrations, b %d; want %d by one of them:\n%s\n%s", na, nb, len(files), a.Logs, b.Logs)
	}
	for _, s := range []*testserver.Serve{a, b} {
		if code := s.Stop(t); code != 0 {
			t.Errorf("exit %d:\n%s", code, s.Logs)
		}
	}
}

// Issue 6: the operability settings reach the server, from flags, the environment and a file;
// the logs carry request ids and never a token or the database password.
func TestServeOperability(t *testing.T) {
	// The test cluster trusts local connections, so a password in the URL is accepted and unused.
	dbURL := pgtest.NewDatabase(t)
	withPassword := strings.Replace(dbURL, "postgres://postgres@", "postgres://postgres:sw0rdf1sh-pw@", 1)
	if withPassword == dbURL {
		t.Skipf("cannot add a password to %s", dbURL)
	}
	tokenFile := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenFile, []byte("# lab tokens\nfile-token-1\n\n  file-token-2  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := env(map[string]string{
		"PADDLES_DATABASE_URL": withPassword,
		"PADDLES_WRITE_TOKENS": "env-token",
		"PADDLES_LOG_FORMAT":   "json",
		"PADDLES_DB_MAX_CONNS": "3",
		"PADDLES_CORS_ORIGINS": "https://pulpito.example.com, https://other.example.com",
	})
	s := testserver.StartMain(t, Main, nil, []string{"--write-tokens-file", tokenFile, "--db-statement-timeout", "300ms",
		"--read-header-timeout", "300ms"}, getenv)
	s.WaitFor(t, "/healthz")

	do := func(method, path, body string, headers ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := testserver.Client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	// Write tokens: from the environment and the file.
	if res := do("POST", "/runs/", `{"name": "r1"}`); res.StatusCode != 401 {
		t.Errorf("POST without a token: %d", res.StatusCode)
	}
	for i, tok := range []string{"env-token", "file-token-1", "file-token-2"} {
		id := fmt.Sprint("client-request-", i)
		res := do("POST", "/runs/", fmt.Sprintf(`{"name": "run-%d"}`, i), "Authorization", "Bearer "+tok, "X-Request-Id", id)
		if res.StatusCode != 200 || res.Header.Get("X-Request-Id") != id {
			t.Errorf("token %d: %d, request id %q", i, res.StatusCode, res.Header.Get("X-Request-Id"))
		}
	}
	if res := do("POST", "/runs/", `{"name": "r2"}`, "Authorization", "Bearer lab tokens"); res.StatusCode != 403 {
		t.Errorf("POST with a comment as token: %d", res.StatusCode)
	}
	// CORS: the configured origins only.
	if got := do("GET", "/runs/", "", "Origin", "https://other.example.com").Header.Get("Access-Control-Allow-Origin"); got != "https://other.example.com" {
		t.Errorf("configured origin: Allow-Origin %q", got)
	}
	if got := do("GET", "/runs/", "", "Origin", "https://evil.example.com").Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("other origin: Allow-Origin %q", got)
	}
	// The pool's size.
	if _, body := get(t, s.URL+"/metrics"); !regexp.MustCompile(`(?m)^paddles_db_pool_max_conns 3$`).MatchString(body) {
		t.Errorf("metrics lack paddles_db_pool_max_conns 3:\n%.2000s", body)
	}

	// The statement timeout: a query stuck behind a lock is canceled, and answers 503.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE runs IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	code, body := get(t, s.URL+"/runs/")
	if took := time.Since(t0); code != 503 || took > 10*time.Second {
		t.Errorf("a listing behind a lock: %d %s after %v", code, body, took)
	}
	tx.Rollback(ctx)
	if code, _ := get(t, s.URL+"/runs/"); code != 200 {
		t.Errorf("after the lock: %d", code)
	}
	var appName string
	if err := conn.QueryRow(ctx, "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() LIMIT 1").Scan(&appName); err != nil || appName != "paddles" {
		t.Errorf("the server's connections are named %q (%v)", appName, err)
	}

	// The read header timeout: a client that never finishes its headers is disconnected.
	raw, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	t0 = time.Now()
	_, err = bufio.NewReader(raw).ReadString('\n')
	if took := time.Since(t0); !errors.Is(err, io.EOF) || took > 5*time.Second {
		t.Errorf("a client stuck in its headers: %v after %v", err, took)
	}

	if code := s.Stop(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, s.Logs)
	}
	logs := s.Logs.String()
	for _, secret := range []string{"sw0rdf1sh-pw", "env-token", "file-token-1", "file-token-2"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs show %q:\n%s", secret, logs)
		}
	}
	// One access line per request, with its request id.
	var sawID, sawRedacted bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch rec["msg"] {
		case "request":
			if id, _ := rec["request_id"].(string); id == "" {
				t.Errorf("access line without request_id: %s", line)
			} else if id == "client-request-1" {
				sawID = true
			}
		case "connected to the database":
			sawRedacted = strings.Contains(rec["url"].(string), "postgres:xxxxx@")
		}
	}
	if !sawID || !sawRedacted {
		t.Errorf("the logs lack the client's request id (%v) or the redacted database URL (%v):\n%s", sawID, sawRedacted, logs)
	}
}

// Secrets in the environment never show in --help, and bad settings are usage errors.
func TestServeHelpHidesSecrets(t *testing.T) {
	var out testserver.SyncBuffer
	getenv := env(map[string]string{"PADDLES_DATABASE_URL": "postgres://u:hunter2@db/paddles", "PADDLES_WRITE_TOKENS": "s3cret"})
	if code := Main(context.Background(), []string{"serve", "--help"}, getenv, io.Discard, &out); code != 0 {
		t.Fatalf("serve --help: %d", code)
	}
	if strings.Contains(out.String(), "hunter2") || strings.Contains(out.String(), "s3cret") {
		t.Errorf("--help shows a secret:\n%s", out.String())
	}
	for _, args := range [][]string{{"--db-max-conns", "0"}, {"--read-timeout", "-1s"}, {"--db-statement-timeout", "soon"}} {
		out = testserver.SyncBuffer{}
		if code := Main(context.Background(), append([]string{"serve"}, args...), env(nil), io.Discard, &out); code != 2 {
			t.Errorf("serve %v: exit %d, want 2\n%s", args, code, out.String())
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://paddles:pw@db.example.com:5432/paddles?sslmode=require": "postgres://paddles:xxxxx@db.example.com:5432/paddles?sslmode=require",
		"postgresql://db/paddles?user=p&password=pw":                        "postgresql://db/paddles?password=xxxxx&user=p",
		"postgres://paddles@db/paddles":                                     "postgres://paddles@db/paddles",
		"host=db user=paddles password=pw dbname=paddles":                   "host=db user=paddles password=xxxxx dbname=paddles",
		"host=db password='p w' dbname=paddles":                             "host=db password=xxxxx dbname=paddles",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/pgtest"
)

func TestMain(m *testing.M) {
	// The template stays empty: these tests check that the commands migrate it themselves.
	pgtest.Main(m, func(context.Context, string) error { return nil })
}

// syncBuffer collects a command's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// serveUntil runs "paddles serve" in the background until the returned stop is called; stop
// returns the exit code and the log.
func serveUntil(t testing.TB, args []string, getenv func(string) string) (base string, stop func() (int, string)) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{"serve", "--addr", addr}, args...), getenv, io.Discard, logs)
	}()
	base = "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(base + "/")
		if err == nil {
			res.Body.Close()
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited with %d before answering:\n%s", code, logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not answer within a minute:\n%s", logs)
		}
	}
	return base, func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, logs.String()
		case <-time.After(30 * time.Second):
			t.Fatalf("serve did not stop:\n%s", logs)
			return 0, ""
		}
	}
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// What "make run" does: with no database URL, serve starts a PostgreSQL of its own under the data
// dir, keeps its data across restarts, and stops it on shutdown.
func TestServeWithLocalPostgres(t *testing.T) {
	dir := t.TempDir()
	// The local PostgreSQL runs as the postgres user when we are root: it must reach the data dir.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dataDir := filepath.Join(dir, "data")
	base, stop := serveUntil(t, []string{"--data-dir", dataDir}, env(nil))
	if code := post(t, base+"/runs/some-run/jobs/", `{"job_id": 1, "status": "pass"}`); code != 200 {
		t.Fatalf("POST job: %d", code)
	}
	code, logs := stop()
	if code != 0 {
		t.Fatalf("serve exited with %d:\n%s", code, logs)
	}
	for _, want := range []string{"starting a local PostgreSQL", "serving the paddles API", "stopped the local PostgreSQL"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "pgdata", "PG_VERSION")); err != nil {
		t.Errorf("no cluster under the data dir: %v", err)
	}

	base, stop = serveUntil(t, []string{"--data-dir", dataDir}, env(nil))
	status, body := get(t, base+"/runs/some-run/jobs/1/")
	if status != 200 || !strings.Contains(body, `"status":"pass"`) {
		t.Errorf("after a restart: %d %s", status, body)
	}
	if code, logs := stop(); code != 0 {
		t.Fatalf("serve exited with %d:\n%s", code, logs)
	}
}

// With a database URL from the environment, serve migrates it and uses the configured addresses.
func TestServeWithDatabaseURL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	getenv := env(map[string]string{
		"PADDLES_DATABASE_URL":          url,
		"PADDLES_PUBLIC_URL":            "https://paddles.example.com/",
		"PADDLES_JOB_LOG_HREF_TEMPLATE": "https://logs.example.com/{run_name}/{job_id}.log",
		"PADDLES_LOG_FORMAT":            "json",
	})
	base, stop := serveUntil(t, nil, getenv)
	post(t, base+"/runs/r/jobs/", `{"job_id": "7"}`)
	_, body := get(t, base+"/runs/r/")
	for _, want := range []string{`"href":"https://paddles.example.com/runs/r/"`, `"log_href":"https://logs.example.com/r/7.log"`} {
		if !strings.Contains(body, want) {
			t.Errorf("run lacks %s: %s", want, body)
		}
	}
	code, logs := stop()
	if code != 0 || !strings.Contains(logs, `"msg":"migration applied"`) || !strings.Contains(logs, `"msg":"request"`) {
		t.Errorf("exit %d, logs:\n%s", code, logs)
	}
}

func TestMigrate(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var out syncBuffer
	if code := Main(context.Background(), []string{"migrate", "--database-url", url}, env(nil), io.Discard, &out); code != 0 {
		t.Fatalf("migrate: %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "00001_runs_jobs.sql") {
		t.Errorf("migrate did not report the migration:\n%s", out.String())
	}
	out = syncBuffer{}
	if code := Main(context.Background(), []string{"migrate", "--database-url", url}, env(nil), io.Discard, &out); code != 0 || strings.Contains(out.String(), "migration applied") {
		t.Errorf("a second migrate: %d\n%s", code, out.String())
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr syncBuffer
	cases := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"bogus"}, 2},
		{[]string{"serve", "--bogus"}, 2},
		{[]string{"serve", "extra"}, 2},
		{[]string{"version"}, 0},
		{[]string{"serve", "--help"}, 0},
	}
	for _, tc := range cases {
		if code := Main(context.Background(), tc.args, env(nil), &stdout, &stderr); code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.args, code, tc.code)
		}
	}
	help := stderr.String()
	for _, flag := range []string{"-addr", "PADDLES_ADDR", "-database-url", "PADDLES_DATABASE_URL", "DATABASE_URL",
		"-public-url", "PADDLES_PUBLIC_URL", "-log-level", "PADDLES_LOG_LEVEL", "-assign-job-ids", "-runs-page-size", "-data-dir"} {
		if !strings.Contains(help, flag) {
			t.Errorf("serve --help does not mention %s", flag)
		}
	}
	if !strings.HasPrefix(stdout.String(), "paddles ") {
		t.Errorf("version printed %q", stdout.String())
	}
	if code := Main(context.Background(), []string{"serve", "--database-url", "postgres://nobody@127.0.0.1:1/x?connect_timeout=1"}, env(nil), io.Discard, &stderr); code != 1 {
		t.Errorf("an unreachable database: exit %d, want 1", code)
	}
}

func TestExpireJobsCommand(t *testing.T) {
	url := pgtest.NewDatabase(t)
	base, stop := serveUntil(t, []string{"--database-url", url, "--expire-interval", "0"}, env(nil))
	for i, status := range []string{"running", "queued", "pass"} {
		if code := post(t, base+"/runs/r/jobs/", fmt.Sprintf(`{"job_id": %d, "status": %q}`, i, status)); code != 200 {
			t.Fatalf("POST: %d", code)
		}
	}
	if code, logs := stop(); code != 0 {
		t.Fatalf("serve: %d\n%s", code, logs)
	}
	var out, logs syncBuffer
	args := []string{"expire-jobs", "--database-url", url, "--expire-active-after", "1ns"}
	if code := Main(context.Background(), args, env(nil), &out, &logs); code != 0 || out.String() != "expired 1 stale jobs\n" {
		t.Fatalf("expire-jobs: %d %q\n%s", code, out.String(), logs.String())
	}
	// The queued job is young enough; PADDLES_EXPIRE_QUEUED_AFTER ends it too.
	out = syncBuffer{}
	getenv := env(map[string]string{"PADDLES_DATABASE_URL": url, "PADDLES_EXPIRE_QUEUED_AFTER": "1ns"})
	if code := Main(context.Background(), []string{"expire-jobs"}, getenv, &out, &logs); code != 0 || out.String() != "expired 1 stale jobs\n" {
		t.Fatalf("expire-jobs: %d %q\n%s", code, out.String(), logs.String())
	}
}

// serve expires stale jobs in the background.
func TestServeExpiresJobs(t *testing.T) {
	url := pgtest.NewDatabase(t)
	base, stop := serveUntil(t, []string{"--database-url", url, "--expire-interval", "20ms", "--expire-active-after", "200ms"}, env(nil))
	defer stop()
	post(t, base+"/runs/r/jobs/", `{"job_id": "1", "status": "running"}`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := get(t, base+"/runs/r/jobs/1/")
		if strings.Contains(body, `"status":"dead"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the running job was not expired: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, body := get(t, base+"/runs/r/"); !strings.Contains(body, `"status":"finished dead"`) {
		t.Errorf("run after expiry: %s", body)
	}
}

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

func TestMain(m *testing.M) {
	// The template stays empty: these tests check that the commands migrate it themselves.
	pgtest.Main(m, nil)
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// startServe runs "paddles serve" in the background, until the test ends or it is stopped, and waits
// until it answers.
func startServe(t testing.TB, args []string, getenv func(string) string) *testserver.Serve {
	t.Helper()
	s := testserver.StartMain(t, Main, nil, args, getenv)
	s.WaitReady(t)
	return s
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	res, err := testserver.Client(t).Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := testserver.Client(t).Get(url)
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
	// The local PostgreSQL runs as the postgres user when we are root: it must reach the data dir.
	dataDir := filepath.Join(testserver.PostgresDir(t), "data")
	s := startServe(t, []string{"--data-dir", dataDir}, env(nil))
	if code := post(t, s.URL+"/runs/some-run/jobs/", `{"job_id": 1, "status": "pass"}`); code != 200 {
		t.Fatalf("POST job: %d", code)
	}
	code, logs := s.Stop(t), s.Logs.String()
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

	s = startServe(t, []string{"--data-dir", dataDir}, env(nil))
	status, body := get(t, s.URL+"/runs/some-run/jobs/1/")
	if status != 200 || !strings.Contains(body, `"status":"pass"`) {
		t.Errorf("after a restart: %d %s", status, body)
	}
	if code := s.Stop(t); code != 0 {
		t.Fatalf("serve exited with %d:\n%s", code, s.Logs)
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
	s := startServe(t, nil, getenv)
	post(t, s.URL+"/runs/r/jobs/", `{"job_id": "7"}`)
	_, body := get(t, s.URL+"/runs/r/")
	for _, want := range []string{`"href":"https://paddles.example.com/runs/r/"`, `"log_href":"https://logs.example.com/r/7.log"`} {
		if !strings.Contains(body, want) {
			t.Errorf("run lacks %s: %s", want, body)
		}
	}
	code, logs := s.Stop(t), s.Logs.String()
	if code != 0 || !strings.Contains(logs, `"msg":"migration applied"`) || !strings.Contains(logs, `"msg":"request"`) {
		t.Errorf("exit %d, logs:\n%s", code, logs)
	}
}

func TestMigrate(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var out testserver.SyncBuffer
	if code := Main(context.Background(), []string{"migrate", "--database-url", url}, env(nil), io.Discard, &out); code != 0 {
		t.Fatalf("migrate: %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "00001_runs_jobs.sql") {
		t.Errorf("migrate did not report the migration:\n%s", out.String())
	}
	out = testserver.SyncBuffer{}
	if code := Main(context.Background(), []string{"migrate", "--database-url", url}, env(nil), io.Discard, &out); code != 0 || strings.Contains(out.String(), "migration applied") {
		t.Errorf("a second migrate: %d\n%s", code, out.String())
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr testserver.SyncBuffer
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
	s := startServe(t, []string{"--database-url", url, "--expire-interval", "0"}, env(nil))
	for i, status := range []string{"running", "queued", "pass"} {
		if code := post(t, s.URL+"/runs/r/jobs/", fmt.Sprintf(`{"job_id": %d, "status": %q}`, i, status)); code != 200 {
			t.Fatalf("POST: %d", code)
		}
	}
	if code := s.Stop(t); code != 0 {
		t.Fatalf("serve: %d\n%s", code, s.Logs)
	}
	var out, logs testserver.SyncBuffer
	args := []string{"expire-jobs", "--database-url", url, "--expire-active-after", "1ns"}
	if code := Main(context.Background(), args, env(nil), &out, &logs); code != 0 || out.String() != "expired 1 stale jobs\n" {
		t.Fatalf("expire-jobs: %d %q\n%s", code, out.String(), logs.String())
	}
	// The queued job is young enough; PADDLES_EXPIRE_QUEUED_AFTER ends it too.
	out = testserver.SyncBuffer{}
	getenv := env(map[string]string{"PADDLES_DATABASE_URL": url, "PADDLES_EXPIRE_QUEUED_AFTER": "1ns"})
	if code := Main(context.Background(), []string{"expire-jobs"}, getenv, &out, &logs); code != 0 || out.String() != "expired 1 stale jobs\n" {
		t.Fatalf("expire-jobs: %d %q\n%s", code, out.String(), logs.String())
	}
}

// serve expires stale jobs in the background.
func TestServeExpiresJobs(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := startServe(t, []string{"--database-url", url, "--expire-interval", "20ms", "--expire-active-after", "200ms"}, env(nil))
	post(t, s.URL+"/runs/r/jobs/", `{"job_id": "1", "status": "running"}`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := get(t, s.URL+"/runs/r/jobs/1/")
		if strings.Contains(body, `"status":"dead"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the running job was not expired: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, body := get(t, s.URL+"/runs/r/"); !strings.Contains(body, `"status":"finished dead"`) {
		t.Errorf("run after expiry: %s", body)
	}
}

package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

// upstreamDB returns a database with upstream paddles' schema and a little data.
func upstreamDB(t *testing.T) string {
	t.Helper()
	ddl, err := os.ReadFile(filepath.Join("..", "importer", "testdata", "upstream-schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t)
	pgtest.Script(t, url, string(ddl), `
		INSERT INTO runs (id, name, "user", scheduled, posted) VALUES (1, 'r1', 'u', '2026-01-01', '2026-01-01'), (2, 'r2', 'u', '2026-01-02', '2026-01-02');
		INSERT INTO jobs (id, run_id, job_id, status, posted, updated, kernel) VALUES
			(1, 1, '1', 'pass', '2026-01-01', '2026-01-01 01:00', 'null'),
			(2, 1, '1', 'fail', '2026-01-01', '2026-01-01 02:00', '{"a": 1}'),
			(3, 2, '7', 'running', '2026-01-02', '2026-01-02', 'null');
		INSERT INTO nodes (id, name, is_vm, locked) VALUES (1, 'n1', false, false);
		INSERT INTO job_nodes VALUES (1, 2);
		INSERT INTO queue (queue) VALUES ('q');`)
	return url
}

func TestImportCommand(t *testing.T) {
	from := upstreamDB(t)
	target := pgtest.NewDatabase(t)
	run := func(args []string, vars map[string]string) (int, string, string) {
		var stdout, stderr testserver.SyncBuffer
		code := Main(context.Background(), append([]string{"import"}, args...), env(vars), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	// --from is required; --dry-run touches no database (no local PostgreSQL is started).
	if code, _, stderr := run(nil, nil); code != 2 || !strings.Contains(stderr, "--from") {
		t.Errorf("without --from: %d %s", code, stderr)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := run([]string{"--dry-run", "--from", from, "--data-dir", dataDir}, nil)
	if code != 0 || !strings.Contains(stdout, "2  runs") || !strings.Contains(stdout, "1  duplicate job rows to merge") {
		t.Errorf("dry run: %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("a dry run created %s", dataDir)
	}

	// The import, configured from the environment: progress on stderr, the report and the
	// verification on stdout.
	vars := map[string]string{"PADDLES_IMPORT_FROM": from, "PADDLES_DATABASE_URL": target, "PADDLES_IMPORT_BATCH_SIZE": "2"}
	code, stdout, stderr = run(nil, vars)
	if code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, stdout, stderr)
	}
	for _, w := range []string{"2  runs (2 written)", "2  jobs (2 written)", "1  duplicate job rows merged", "verify: OK"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("import output lacks %q:\n%s", w, stdout)
		}
	}
	if !strings.Contains(stderr, "import: 2 runs, 3 job rows: 5/5 rows (100.0%)") {
		t.Errorf("progress:\n%s", stderr)
	}
	if n := sqlCount(t, target, "SELECT count(*) FROM jobs"); n != 2 {
		t.Errorf("the target named by PADDLES_DATABASE_URL holds %d jobs, want 2", n)
	}

	// Again: nothing to write. Then a change upstream fails --verify-only until imported.
	code, stdout, _ = run([]string{"--verify=false"}, vars)
	if code != 0 || !strings.Contains(stdout, "2  jobs (0 written)") || strings.Contains(stdout, "verify:") {
		t.Errorf("second import: %d\n%s", code, stdout)
	}
	pgtest.Script(t, from, `UPDATE jobs SET description = 'changed', updated = '2026-02-01' WHERE id = 3`)
	code, stdout, stderr = run([]string{"--verify-only", "--verify-sample", "10", "--verify-seed", "3"}, vars)
	if code != 1 || !strings.Contains(stdout, `job r2/7: description: upstream "changed", here NULL`) ||
		!strings.Contains(stderr, "verification failed: 2 mismatches") {
		t.Errorf("verify-only: %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ = run(nil, vars); code != 0 || !strings.Contains(stdout, "2  jobs (1 written)") {
		t.Errorf("third import: %d\n%s", code, stdout)
	}
	if code, _, stderr = run([]string{"--from", "postgres://nobody@127.0.0.1:1/x?connect_timeout=1"}, vars); code != 1 {
		t.Errorf("an unreachable upstream: %d %s", code, stderr)
	}
	if code, _, _ := run([]string{"--dry-run", "--verify-only"}, vars); code != 2 {
		t.Errorf("--dry-run --verify-only: %d", code)
	}
	if code, stdout, stderr := run([]string{"--help"}, nil); code != 0 || !strings.Contains(stderr, "PADDLES_IMPORT_FROM") {
		t.Errorf("--help: %d %s %s", code, stdout, stderr)
	}
}

package database_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/pgtest"
)

func openTest(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := database.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func query[T any](t *testing.T, pool *pgxpool.Pool, sql string) T {
	t.Helper()
	var v T
	if err := pool.QueryRow(context.Background(), sql).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// nodeJobHistoryDone checks what 00005 leaves: every link has its job's posted time, the column is
// NOT NULL, the index is valid and the helper constraint is gone.
func nodeJobHistoryDone(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if n := query[int64](t, pool, `SELECT count(*) FROM job_nodes jn JOIN jobs j ON j.id = jn.job_id WHERE jn.posted IS DISTINCT FROM j.posted`); n != 0 {
		t.Errorf("%d links without their job's posted time", n)
	}
	if !query[bool](t, pool, `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'job_nodes'::regclass AND attname = 'posted'`) {
		t.Error("job_nodes.posted is nullable")
	}
	if !query[bool](t, pool, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'job_nodes_node_posted_idx'::regclass`) {
		t.Error("job_nodes_node_posted_idx is invalid")
	}
	if n := query[int64](t, pool, `SELECT count(*) FROM pg_constraint WHERE conname = 'job_nodes_posted_not_null'`); n != 0 {
		t.Error("job_nodes_posted_not_null is left")
	}
}

// 00005 runs online (no transaction, batched backfill committed through goose and pgx's
// database/sql driver) and runs again from any state an interruption leaves.
func TestNodeJobHistoryOnline(t *testing.T) {
	ctx := context.Background()
	pool := openTest(t)
	log := slog.New(slog.DiscardHandler)
	if err := database.MigrateTo(ctx, pool, log, 4); err != nil {
		t.Fatal(err)
	}
	pgtestScript(t, pool, `
		INSERT INTO runs (name, scheduled, posted) SELECT 'run-' || r, now(), now() FROM generate_series(1, 50) r;
		-- Job ids 1,000 apart: the backfill's batches of 10,000 ids take three.
		INSERT INTO jobs (id, run_id, job_id, status, posted, updated) OVERRIDING SYSTEM VALUE
		    SELECT j * 1000, 1 + j % 50, j::text, 'pass', now() - j * interval '1 minute', now() FROM generate_series(1, 30) j;
		INSERT INTO nodes (name) SELECT 'node' || n FROM generate_series(1, 20) n;
		INSERT INTO job_nodes (node_id, job_id) SELECT 1 + (j.id + k) % 20, j.id FROM jobs j, generate_series(0, 1) k;`)
	if err := database.MigrateTo(ctx, pool, log, 5); err != nil {
		t.Fatal(err)
	}
	nodeJobHistoryDone(t, pool)
	// COMMIT inside the DO block committed each batch of 10,000 job ids on its own.
	if n := query[int64](t, pool, `SELECT count(DISTINCT xmin::text) FROM job_nodes`); n != 3 {
		t.Errorf("the backfill wrote in %d transactions, want 3", n)
	}

	// Interrupted half-way: some links without posted, the CHECK added but not validated, the
	// index left invalid by a failed CREATE INDEX CONCURRENTLY.
	pgtestScript(t, pool, `
		DELETE FROM goose_db_version WHERE version_id = 5;
		ALTER TABLE job_nodes ALTER COLUMN posted DROP NOT NULL;
		ALTER TABLE job_nodes DISABLE TRIGGER job_nodes_set_posted;
		UPDATE job_nodes SET posted = NULL WHERE job_id % 3 = 0;
		ALTER TABLE job_nodes ENABLE TRIGGER job_nodes_set_posted;
		ALTER TABLE job_nodes ADD CONSTRAINT job_nodes_posted_not_null CHECK (posted IS NOT NULL) NOT VALID;
		UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'job_nodes_node_posted_idx'::regclass;`)
	if err := database.MigrateTo(ctx, pool, log, 5); err != nil {
		t.Fatal(err)
	}
	nodeJobHistoryDone(t, pool)

	// Interrupted at the end, and run again: nothing left to do.
	pgtestScript(t, pool, `DELETE FROM goose_db_version WHERE version_id = 5;`)
	if err := database.MigrateTo(ctx, pool, log, 5); err != nil {
		t.Fatal(err)
	}
	nodeJobHistoryDone(t, pool)
}

// A migration statement that cannot get its lock within lock_timeout fails, and Migrate tries
// it again rather than queueing the writers behind it.
func TestMigrateRetriesLockTimeout(t *testing.T) {
	ctx := context.Background()
	pool := openTest(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := database.MigrateTo(ctx, pool, log, 4); err != nil {
		t.Fatal(err)
	}
	// A long transaction holds job_nodes: ALTER TABLE's ACCESS EXCLUSIVE lock must wait for it.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE job_nodes IN ACCESS SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(2500 * time.Millisecond)
		tx.Rollback(ctx)
	}()
	start := time.Now()
	if err := database.MigrateTo(ctx, pool, log, 5); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "timed out waiting for a lock") || time.Since(start) < 2*time.Second {
		t.Errorf("no lock timeout seen in %v:\n%s", time.Since(start), logs.String())
	}
	nodeJobHistoryDone(t, pool)
}

func pgtestScript(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	pgtest.Script(t, pool.Config().ConnString(), sql)
}

// testResultsDone checks what 00012 leaves: every job has its test_results row, agreeing with it,
// every failure its signature, test_sha1s the counts of test_results, and the indexes are valid.
func testResultsDone(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if n := query[int64](t, pool, `SELECT count(*) FROM jobs j FULL JOIN test_results t USING (id)
		WHERE (j.job_id, j.run_id, md5(j.description)::uuid, j.posted, j.status, j.sha1, md5(job_signature(j.status, j.failure_reason))::uuid)
		      IS DISTINCT FROM (t.job_id, t.run_id, t.test_id, t.posted, t.status, t.sha1, t.signature_id)`); n != 0 {
		t.Errorf("%d test results missing or disagreeing with their jobs", n)
	}
	if n := query[int64](t, pool, `SELECT count(*) FROM test_results t WHERE signature_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM failure_signatures s WHERE s.id = t.signature_id)`); n != 0 {
		t.Errorf("%d test results with a signature missing from failure_signatures", n)
	}
	testResultsCounted(t, pool)
	if n := query[int64](t, pool, `SELECT count(*) FROM pg_index WHERE indisvalid
		AND indexrelid::regclass::text IN ('test_results_test_idx', 'test_results_failed_idx', 'test_results_signature_idx',
		                                   'test_results_run_idx', 'test_sha1s_flaky_idx')`); n != 5 {
		t.Errorf("%d valid test_results and test_sha1s indexes, want 5", n)
	}
}

// testResultsCounted checks that test_sha1s holds the counts of test_results under their runs'
// values, last_posted at least the newest counted (a result uncounted does not lower it).
func testResultsCounted(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if n := query[int64](t, pool, `SELECT count(*) FROM test_sha1s s FULL JOIN (
		    SELECT t.test_id, t.sha1, COALESCE(r.branch, '') AS branch, COALESCE(r.suite, '') AS suite,
		           COALESCE(r.machine_type, '') AS machine_type, count(*) FILTER (WHERE t.status = 'pass') AS pass,
		           count(*) FILTER (WHERE t.status <> 'pass') AS fail, max(t.posted) AS last_posted
		    FROM test_results t JOIN runs r ON r.id = t.run_id
		    WHERE t.test_id IS NOT NULL AND t.sha1 IS NOT NULL AND t.status IN ('pass', 'fail', 'dead')
		    GROUP BY 1, 2, 3, 4, 5) c USING (test_id, sha1, branch, suite, machine_type)
		WHERE (COALESCE(s.pass, 0), COALESCE(s.fail, 0)) <> (COALESCE(c.pass, 0), COALESCE(c.fail, 0))
		   OR s.last_posted < c.last_posted`); n != 0 {
		t.Errorf("%d test sha1s counted wrong", n)
	}
}

// 00012 backfills test_results online, in batches, and resumes where an interruption left it.
func TestTestResultsOnline(t *testing.T) {
	ctx := context.Background()
	pool := openTest(t)
	log := slog.New(slog.DiscardHandler)
	if err := database.MigrateTo(ctx, pool, log, 11); err != nil {
		t.Fatal(err)
	}
	pgtestScript(t, pool, `
		INSERT INTO runs (name, scheduled, posted, suite, branch) SELECT 'run-' || r, now(), now(), 'rados',
		    CASE WHEN r < 5 THEN 'main' END FROM generate_series(1, 5) r;
		-- Job ids 1,000 apart: the backfill's batches of 20,000 ids take three. Every third job
		-- failed on its own node with its own pid: one failure, one signature.
		INSERT INTO jobs (id, run_id, job_id, status, description, sha1, failure_reason, posted, updated) OVERRIDING SYSTEM VALUE
		    SELECT j * 1000, 1 + j % 5, j::text, CASE WHEN j % 3 = 0 THEN 'fail' ELSE 'pass' END,
		           CASE WHEN j % 7 <> 0 THEN 'rados/test ' || j % 4 END, 'abc' || j % 2,
		           CASE WHEN j % 3 = 0 THEN 'Command failed on smithi' || (100 + j) || ' with status 1: ''sudo kill ' || (4000 + j) || '''' END,
		           now() - j * interval '1 minute', now() FROM generate_series(1, 45) j;`)
	if err := database.MigrateTo(ctx, pool, log, 12); err != nil {
		t.Fatal(err)
	}
	testResultsDone(t, pool)
	if n := query[int64](t, pool, `SELECT count(DISTINCT xmin::text) FROM test_results`); n != 3 {
		t.Errorf("the backfill wrote in %d transactions, want 3", n)
	}
	if n := query[int64](t, pool, `SELECT count(*) FROM failure_signatures`); n != 1 {
		t.Errorf("%d signatures of one failure on 15 nodes, want 1", n)
	}
	if n := query[int64](t, pool, `SELECT count(*) FROM test_sha1s WHERE pass > 0 AND fail > 0`); n == 0 {
		t.Error("no test passed and failed on a sha1; the data set is not what it should be")
	}

	// Interrupted after the first batch, with indexes left invalid; meanwhile a job failed
	// differently (its test_results row updated by jobs_note_result's upsert), a job not yet
	// backfilled passed (its row inserted by that upsert), another was deleted, and a run's branch
	// changed (its counted results move) and another run was deleted.
	pgtestScript(t, pool, `
		DELETE FROM goose_db_version WHERE version_id = 12;
		DELETE FROM test_results WHERE id >= 21000;
		UPDATE backfills SET next_id = 21000;
		UPDATE pg_index SET indisvalid = false WHERE indexrelid IN ('test_results_failed_idx'::regclass, 'test_sha1s_flaky_idx'::regclass);
		UPDATE jobs SET status = 'dead', failure_reason = 'hit max job timeout' WHERE id = 2000;
		UPDATE jobs SET status = 'pass', failure_reason = NULL WHERE id = 39000;
		DELETE FROM jobs WHERE id = 30000;
		UPDATE runs SET branch = 'squid' WHERE id = 2;
		DELETE FROM runs WHERE id = 3;`)
	testResultsCounted(t, pool)
	if err := database.MigrateTo(ctx, pool, log, 12); err != nil {
		t.Fatal(err)
	}
	testResultsDone(t, pool)
	if n := query[int64](t, pool, `SELECT count(*) FROM failure_signatures`); n != 2 {
		t.Errorf("%d signatures, want 2", n)
	}
}

// An INSERT ... ON CONFLICT DO UPDATE of test_results (jobs_note_result's) fires its INSERT and
// UPDATE statement triggers, the inserted rows in the first's transition table, the updated ones
// in the second's: one statement that inserts a failure and turns a failure into a pass counts
// each once. A status change that is not a result (running) counts nothing.
func TestTestSha1sCountUpserts(t *testing.T) {
	pool := openTest(t)
	if err := database.Migrate(context.Background(), pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	pgtestScript(t, pool, `
		INSERT INTO runs (name, scheduled, posted, suite, branch, machine_type) VALUES ('r', now(), now(), 'rados', 'main', 'smithi');
		INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1) VALUES
		    (1, '1', 1, md5('t')::uuid, '2026-01-01', 'fail', 'abc'),
		    (2, '2', 1, md5('t')::uuid, '2026-01-02', 'pass', 'abc'),
		    (3, '3', 1, md5('t')::uuid, '2026-01-03', 'queued', 'abc');
		INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1) VALUES
		    (1, '1', 1, md5('t')::uuid, '2026-01-01', 'pass', 'abc'),
		    (3, '3', 1, md5('t')::uuid, '2026-01-03', 'running', 'abc'),
		    (4, '4', 1, md5('t')::uuid, '2026-01-04', 'dead', 'abc')
		ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status;`)
	if got := query[string](t, pool, `SELECT string_agg(concat_ws(' ', branch, suite, machine_type, pass, fail, last_posted::date), '; ')
		FROM test_sha1s WHERE test_id = md5('t')::uuid AND sha1 = 'abc'`); got != "main rados smithi 2 1 2026-01-04" {
		t.Errorf("test_sha1s: %q, want main rados smithi 2 1 2026-01-04", got)
	}
	testResultsCounted(t, pool)
}

// A job's status change moves its run from the old status to the new one in one step (00011):
// through an intermediate status, run_values' rows were locked in two passes, and writers
// deadlocked. A run of one running job that passes never counts as 'empty' on the way.
func TestStatusChangeUpdatesRunOnce(t *testing.T) {
	pool := openTest(t)
	if err := database.Migrate(context.Background(), pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	pgtestScript(t, pool, `
		INSERT INTO runs (name, scheduled, posted) VALUES ('one-job', now(), now());
		INSERT INTO jobs (run_id, job_id, status, posted, updated) VALUES (1, '1', 'running', now(), now());`)
	pgtestScript(t, pool, `UPDATE jobs SET status = 'pass';`)
	if n := query[int64](t, pool, `SELECT count(*) FROM run_values WHERE key = 'status' AND value = 'empty'
		AND xmin = (SELECT xmin FROM jobs)`); n != 0 {
		t.Error("the job's status change moved its run through 'empty'")
	}
	if s := query[string](t, pool, `SELECT string_agg(value || '=' || runs, ' ' ORDER BY value) FROM run_values WHERE key = 'status'`); s != "empty=0 finished pass=1 running=0" {
		t.Errorf("status values: %s", s)
	}
}

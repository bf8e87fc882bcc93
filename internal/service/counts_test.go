package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// runCounts reads a run's stored counts and status, as "status q/p/r/w/f/d/u", and checks them
// against its job rows: a count kept by the triggers that drifted from the rows fails the test.
func runCounts(t *testing.T, pool *pgxpool.Pool, run string) string {
	t.Helper()
	var status, stored, actual string
	err := pool.QueryRow(context.Background(), `
		SELECT r.status, concat_ws('/', r.queued_count, r.pass_count, r.running_count, r.waiting_count,
		                                         r.fail_count, r.dead_count, r.unknown_count),
		       concat_ws('/', count(j.id) FILTER (WHERE j.status = 'queued'), count(j.id) FILTER (WHERE j.status = 'pass'),
		                      count(j.id) FILTER (WHERE j.status = 'running'), count(j.id) FILTER (WHERE j.status = 'waiting'),
		                      count(j.id) FILTER (WHERE j.status = 'fail'), count(j.id) FILTER (WHERE j.status = 'dead'),
		                      count(j.id) FILTER (WHERE j.status = 'unknown'))
		FROM runs r LEFT JOIN jobs j ON j.run_id = r.id
		WHERE r.name = $1 GROUP BY r.id`, run).Scan(&status, &stored, &actual)
	if err != nil {
		t.Fatalf("run %s: %v", run, err)
	}
	if stored != actual {
		t.Errorf("run %s: stored counts %s, its jobs say %s", run, stored, actual)
	}
	return status + " " + stored
}

// The counting triggers (statement-level for INSERT and DELETE, row-level for UPDATE) keep every
// run's counts exact on each path that writes jobs.
func TestRunCountsFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	pool := open(t)
	svc := newService(pool, service.Options{Now: func() time.Time { return t0 }})
	exec := func(sql string, args ...any) int64 {
		t.Helper()
		tag, err := pool.Exec(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return tag.RowsAffected()
	}
	patch := func(body string) paddles.JobPatch {
		t.Helper()
		p, err := paddles.ParseJobPatch([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := func(run, counts string) {
		t.Helper()
		if got := runCounts(t, pool, run); got != counts {
			t.Errorf("run %s: %s, want %s", run, got, counts)
		}
	}

	// Job POST: one row per statement.
	for i, st := range []string{"queued", "queued", "running"} {
		if _, err := svc.CreateJob(ctx, "a", patch(fmt.Sprintf(`{"job_id": "%d", "status": %q}`, i+1, st))); err != nil {
			t.Fatal(err)
		}
	}
	want("a", "running 2/0/1/0/0/0/0")

	// Job PUT: the row-level update trigger.
	if err := svc.UpdateJob(ctx, "a", "3", patch(`{"status": "pass"}`)); err != nil {
		t.Fatal(err)
	}
	if err := svc.UpdateJob(ctx, "a", "1", patch(`{"status": "fail"}`)); err != nil {
		t.Fatal(err)
	}
	if err := svc.UpdateJob(ctx, "a", "1", patch(`{"description": "no status change"}`)); err != nil {
		t.Fatal(err)
	}
	want("a", "finished fail 1/1/0/0/1/0/0")

	// Job DELETE.
	if err := svc.DeleteJob(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	want("a", "queued 1/1/0/0/0/0/0")

	// A multi-row insert in one statement, over two runs (one of them new), every status.
	if err := svc.CreateRun(ctx, paddles.RunCreate{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	n := exec(`
		INSERT INTO jobs (run_id, job_id, status, posted, updated)
		SELECT r.id, 'm' || g, (ARRAY['queued', 'pass', 'running', 'waiting', 'fail', 'dead', 'unknown'])[1 + g % 7], now(), now()
		FROM generate_series(0, 69) g, runs r WHERE r.name IN ('a', 'b')`)
	if n != 140 {
		t.Fatalf("inserted %d jobs, want 140", n)
	}
	want("a", "running 11/11/10/10/10/10/10")
	want("b", "running 10/10/10/10/10/10/10")

	// The importer's upsert: INSERT ... ON CONFLICT DO UPDATE inserting some rows and updating
	// others (the statement trigger sees only the inserted rows, the row trigger the updated ones).
	n = exec(`
		INSERT INTO jobs (run_id, job_id, status, posted, updated)
		SELECT r.id, j, s, now(), now()
		FROM runs r, (VALUES ('m0', 'pass'), ('m1', 'pass'), ('m2', 'pass'), ('new1', 'dead'), ('new2', 'queued')) v (j, s)
		WHERE r.name = 'b'
		ON CONFLICT (run_id, job_id) DO UPDATE SET status = EXCLUDED.status, updated = EXCLUDED.updated
		WHERE jobs.status IS DISTINCT FROM EXCLUDED.status`)
	if n != 4 { // m0 queued->pass, m1 already pass (left alone), m2 running->pass, new1, new2
		t.Fatalf("upsert wrote %d rows, want 4", n)
	}
	want("b", "running 10/12/9/10/10/11/10")

	// COPY, as the importer and the benchmark's floor write.
	var bID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM runs WHERE name = 'b'`).Scan(&bID); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{{bID, "c1", "waiting", t0, t0}, {bID, "c2", "waiting", t0, t0}}
	if _, err := pool.CopyFrom(ctx, []string{"jobs"}, []string{"run_id", "job_id", "status", "posted", "updated"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	want("b", "running 10/12/9/12/10/11/10")

	// An UPDATE of many jobs of several runs in one statement, and a job moved between runs.
	exec(`UPDATE jobs SET status = 'pass' WHERE status = 'running'`)
	want("a", "waiting 11/21/0/10/10/10/10")
	exec(`UPDATE jobs SET run_id = (SELECT id FROM runs WHERE name = 'a') WHERE job_id = 'new1'`)
	want("a", "waiting 11/21/0/10/10/11/10")
	want("b", "waiting 10/21/0/12/10/10/10")

	// A multi-row delete over two runs.
	exec(`DELETE FROM jobs WHERE status IN ('waiting', 'unknown')`)
	want("a", "finished fail 11/21/0/0/10/11/0")
	want("b", "finished fail 10/21/0/0/10/10/0")

	// Expiry: one UPDATE of many jobs.
	old := t0.Add(-30 * 24 * time.Hour)
	exec(`UPDATE jobs SET updated = $1`, old)
	if _, _, err := svc.ExpireJobs(ctx, service.Expiry{Active: 30 * time.Minute, Queued: 14 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	want("a", "finished fail 0/21/0/0/10/22/0")
	want("b", "finished fail 0/21/0/0/10/20/0")

	// A run DELETE: the foreign key's cascade deletes its jobs in a statement of its own, whose
	// trigger finds the run gone; the other run is untouched.
	if err := svc.DeleteRun(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	want("b", "finished fail 0/21/0/0/10/20/0")
	var left int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM jobs j LEFT JOIN runs r ON r.id = j.run_id WHERE r.id IS NULL`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d jobs left without a run (%v)", left, err)
	}
	// A DELETE of several runs in one statement.
	exec(`INSERT INTO runs (name, scheduled, posted) VALUES ('c', now(), now())`)
	exec(`INSERT INTO jobs (run_id, job_id, status, posted, updated) SELECT id, 'x', 'pass', now(), now() FROM runs WHERE name = 'c'`)
	want("c", "finished pass 0/1/0/0/0/0/0")
	if n := exec(`DELETE FROM runs WHERE name IN ('b', 'c')`); n != 2 {
		t.Fatalf("deleted %d runs", n)
	}
	if n := exec(`SELECT FROM jobs`); n != 0 {
		t.Fatalf("%d jobs left", n)
	}

	// And a rolled-back insert leaves nothing behind.
	if _, err := svc.CreateJob(ctx, "d", patch(`{"job_id": "1", "status": "dead"}`)); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO jobs (run_id, job_id, status, posted, updated) SELECT id, '2', 'pass', now(), now() FROM runs WHERE name = 'd'`); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	want("d", "finished dead 0/0/0/0/0/1/0")
}

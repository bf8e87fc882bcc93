package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/database/bulkload"
	"github.com/ceph/paddles-go/internal/importer"
	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

// bulkRuns adds n runs of 12 jobs whose maintained rows vary: descriptions recurring across
// runs, a sha1 per run and per branch, passed, failed, dead and unfinished jobs, failure reasons
// that differ only by node (one signature) or not at all, jobs without a description or a sha1,
// three branches, two suites and two machine types, posted in the last days (inside the windows
// of /tests/flaky/ and /failures/), two links a job; and a run without jobs.
func bulkRuns(n int) string {
	return fmt.Sprintf(`
		INSERT INTO runs (id, name, "user", scheduled, suite, branch, machine_type, posted, updated)
		SELECT 2000 + g, 'bulk-' || g || '-' || (ARRAY['rados', 'fs'])[1 + g %% 2] || '-' || b.branch || '-distro-default-' || m.mt,
			'bulk', ts, (ARRAY['rados', 'fs'])[1 + g %% 2], b.branch, m.mt, ts, ts + interval '2 hours'
		FROM generate_series(1, %[1]d) g,
		LATERAL (SELECT (now() AT TIME ZONE 'UTC') - g * interval '3 hours' AS ts) t,
		LATERAL (SELECT (ARRAY['main', 'squid', 'wip-x'])[1 + g %% 3] AS branch) b,
		LATERAL (SELECT (ARRAY['smithi', 'mira'])[1 + (g / 3) %% 2] AS mt) m;
		INSERT INTO runs (id, name, "user", scheduled, posted) VALUES
			(2999, 'bulk-empty-run', 'bulk', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC');
		INSERT INTO jobs (id, run_id, job_id, status, success, posted, updated, kernel, overrides, roles, targets, tasks,
		                  description, sha1, failure_reason)
		SELECT 10000 + g * 100 + k, 2000 + g, (100 + k)::text, st,
			CASE st WHEN 'pass' THEN true WHEN 'fail' THEN false END,
			(now() AT TIME ZONE 'UTC') - g * interval '3 hours' + k * interval '1 minute',
			(now() AT TIME ZONE 'UTC') - g * interval '3 hours' + k * interval '2 minutes',
			'null', '{"k": ' || k || '}', 'null', 'null', 'null',
			CASE WHEN k = 11 THEN NULL ELSE 'suite/test-' || (k %% 6) || ' {objectstore/bluestore}' END,
			CASE WHEN k = 10 THEN NULL ELSE md5((g %% 5)::text) END,
			CASE WHEN st IN ('fail', 'dead') THEN
				CASE k %% 3
					WHEN 0 THEN 'Command failed on smithi' || lpad((g %% 7)::text, 3, '0') || ' with status 1: ''sudo ceph -s'''
					WHEN 1 THEN 'timed out waiting for admin_socket to appear after osd.' || (g %% 4) || ' restart'
					ELSE NULL END
			WHEN k = 0 THEN 'a passed job''s stale reason' END
		FROM generate_series(1, %[1]d) g, generate_series(0, 11) k,
		LATERAL (SELECT (ARRAY['pass', 'fail', 'pass', 'dead', 'pass', 'running', 'fail', 'queued', 'pass', 'waiting', 'fail', 'unknown'])
			[1 + (k + g) %% 12] AS st) s;
		INSERT INTO job_nodes (node_id, job_id)
		SELECT 1, 10000 + g * 100 + k FROM generate_series(1, %[1]d) g, generate_series(0, 11) k
		UNION ALL SELECT 2, 10000 + g * 100 + k FROM generate_series(1, %[1]d) g, generate_series(0, 11) k WHERE k %% 2 = 0;`, n)
}

// maintained renders what the triggers keep, by natural keys (no surrogate ids), sorted:
// job_descriptions, failure_signatures, test_results, test_sha1s and the run_values counting
// runs (a value no run holds any more keeps a row at 0 where the triggers moved runs off it, as a
// first import moves every new run off "empty"; the API reads such rows as absent).
func maintained(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	return lines(t, pool, `
		SELECT 'description ' || description FROM job_descriptions
		UNION ALL SELECT 'signature ' || json_build_object('id', id, 'signature', signature, 'example', example,
			'tracker_url', tracker_url, 'note', note)::text FROM failure_signatures
		UNION ALL SELECT 'result ' || COALESCE(r.name, '(no run)') || '/' || t.job_id || ' '
			|| json_build_object('job', j.id = t.id AND j.run_id = t.run_id, 'test', t.test_id, 'posted', t.posted, 'status', t.status,
			   'sha1', t.sha1, 'signature', t.signature_id)::text
			FROM test_results t LEFT JOIN runs r ON r.id = t.run_id LEFT JOIN jobs j ON j.id = t.id
		UNION ALL SELECT 'sha1 ' || row_to_json(s)::text FROM test_sha1s s
		UNION ALL SELECT 'value ' || key || '=' || value || ' ' || runs FROM run_values WHERE runs <> 0`)
}

// catalog renders the target's schema objects a bulk import drops or turns off and restores:
// indexes (and whether valid), constraints (and whether validated), user triggers and whether
// each is enabled.
func catalog(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	return lines(t, pool, `
		SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' valid ' || i.indisvalid || ' ready ' || i.indisready
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace
		UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' validated ' || convalidated
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace
		UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal`)
}

func lines(t testing.TB, pool *pgxpool.Pool, query string) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	l, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(l)
	return strings.Join(l, "\n")
}

// checkRecount fails the test when a maintained table disagrees with its recomputation.
func checkRecount(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	if msg := testserver.RecountErrors(recountOf(t, pool)); msg != "" {
		t.Errorf("maintained tables disagree with a recount: %s", msg)
	}
}

func recountOf(t testing.TB, pool *pgxpool.Pool) []int64 {
	t.Helper()
	v, err := testserver.Recount(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tableCounts counts the rows of every table an import writes, and the checkpoints.
func tableCounts(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), `SELECT concat_ws(' ',
		'runs', (SELECT count(*) FROM runs), 'jobs', (SELECT count(*) FROM jobs), 'links', (SELECT count(*) FROM job_nodes),
		'nodes', (SELECT count(*) FROM nodes), 'queues', (SELECT count(*) FROM queues),
		'descriptions', (SELECT count(*) FROM job_descriptions), 'signatures', (SELECT count(*) FROM failure_signatures),
		'results', (SELECT count(*) FROM test_results), 'sha1s', (SELECT count(*) FROM test_sha1s),
		'values', (SELECT count(*) FROM run_values), 'checkpoints', (SELECT count(*) FROM paddles_import.checkpoints))`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

const emptyCounts = "runs 0 jobs 0 links 0 nodes 0 queues 0 descriptions 0 signatures 0 results 0 sha1s 0 values 0 checkpoints 0"

// get answers a GET's status and body.
func get(t testing.TB, u string) (int, string) {
	t.Helper()
	res, err := testserver.Client(t).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// sameAPI compares the answers of two servers to the reads pulpito and the lab's tools make, over
// every run, job list, node history and value list; each must answer 200.
func sameAPI(t *testing.T, a, b *pgxpool.Pool) {
	t.Helper()
	ua, ub := api(t, a), api(t, b)
	runs := getJSON[[]object](t, ua+"/runs/?count=1000&fields=name")
	if len(runs) < 10 {
		t.Fatalf("only %d runs", len(runs))
	}
	paths := []string{"/runs/?count=1000", "/runs/branch/", "/runs/suite/", "/runs/status/", "/runs/machine_type/",
		"/runs/user/", "/runs/date/", "/runs/sha1/", "/runs/queued/", "/nodes/", "/nodes/job_stats/", "/queue/",
		"/jobs/?count=1000", "/jobs/?status=fail&count=1000", "/tests/flaky/?since_days=90", "/failures/?since_days=90",
		"/tests/history/?description=" + url.QueryEscape("suite/test-1 {objectstore/bluestore}"),
		"/nodes/smithi001.front.sepia.ceph.com/jobs/?count=1000", "/nodes/smithi002.front.sepia.ceph.com/jobs/?count=1000"}
	for _, r := range runs {
		n := url.PathEscape(r["name"].(string))
		paths = append(paths, "/runs/"+n+"/", "/runs/"+n+"/jobs/", "/runs/"+n+"/regressions/")
	}
	// The failure signatures, and the jobs of each.
	for _, f := range getJSON[[]object](t, ua+"/failures/?since_days=90") {
		if id, ok := f["id"].(string); ok {
			paths = append(paths, "/failures/"+id+"/", "/failures/"+id+"/jobs/")
		}
	}
	for _, p := range paths {
		sa, ba := get(t, ua+p)
		sb, bb := get(t, ub+p)
		if sa != 200 || sa != sb || ba != bb {
			t.Errorf("GET %s: %d %.400s\nagainst %d %.400s", p, sa, ba, sb, bb)
		}
	}
}

// A bulk first import writes the same database as the batch path (--no-bulk) for the same
// upstream: the same rows, the same maintained tables, the same answers over the API, the same
// indexes, constraints and triggers, and maintained tables that agree with a recount.
func TestBulkImportMatchesBatchPath(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(20), bulkRuns(30))
	fresh := catalog(t, newTarget(t))

	bulk := newTarget(t)
	r := mustImport(t, from, bulk, importer.Options{BatchSize: 50})
	if !r.Bulk || r.Batches < 5 || len(r.BulkSteps) < 5 {
		t.Fatalf("bulk %v, %d batches, steps %v", r.Bulk, r.Batches, r.BulkSteps)
	}
	batch := newTarget(t)
	rb := mustImport(t, from, batch, importer.Options{BatchSize: 50, NoBulk: true})
	if rb.Bulk || rb.Batches != r.Batches {
		t.Fatalf("--no-bulk: bulk %v, %d batches", rb.Bulk, rb.Batches)
	}
	if r.Runs != rb.Runs || r.Jobs != rb.Jobs || r.Links != rb.Links || r.JobsWritten != rb.JobsWritten || r.LinksWritten != rb.LinksWritten {
		t.Errorf("reports differ: bulk %+v\nbatch %+v", r, rb)
	}
	if a, b := fingerprint(t, bulk), fingerprint(t, batch); a != b {
		t.Errorf("bulk and batch imports differ:\n%s", diff(b, a))
	}
	ma, mb := maintained(t, bulk), maintained(t, batch)
	if ma != mb {
		t.Errorf("maintained tables differ (- batch, + bulk):\n%s", diff(mb, ma))
	}
	// The upstream makes every maintained table non-trivial.
	for _, kind := range []string{"description ", "signature ", "result ", "sha1 ", "value status=running ", "value status=empty ", "value branch=squid ", "value machine_type=mira "} {
		if !strings.Contains(ma, "\n"+kind) {
			t.Errorf("no %q in the maintained tables", kind)
		}
	}
	if strings.Count(ma, "\nsignature ") < 3 || !someFlaky(ma) {
		t.Errorf("too few signatures or no flaky test sha1 in:\n%s", ma)
	}
	checkRecount(t, bulk)
	checkRecount(t, batch)
	if got := catalog(t, bulk); got != fresh {
		t.Errorf("the bulk import left other indexes, constraints or triggers than migrated (- migrated, + bulk):\n%s", diff(fresh, got))
	}
	mustVerify(t, from, bulk)
	sameAPI(t, bulk, batch)

	// The sequences are past the ids taken: the server goes on creating runs and jobs.
	u := api(t, bulk)
	res, err := testserver.Client(t).Post(u+"/runs/"+runA+"/jobs/", "application/json", strings.NewReader(`{"job_id": "new", "status": "running"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("POST a job after a bulk import: %d", res.StatusCode)
	}
	want(t, "the new job", getJSON[object](t, u+"/runs/"+runA+"/jobs/new/"), object{"status": "running"})
	checkRecount(t, bulk)

	// A finished bulk import run again is a full pass, batch by batch, that finds nothing to write.
	r = mustImport(t, from, bulk, importer.Options{BatchSize: 50})
	if r.Bulk || r.RunsWritten != 0 || r.JobsWritten != 0 || r.LinksWritten != 0 {
		t.Errorf("a second run: %+v", r)
	}
}

// someFlaky says whether some test_sha1s row has both a pass and a failure.
func someFlaky(maintained string) bool {
	for _, l := range strings.Split(maintained, "\n") {
		if !strings.HasPrefix(l, "sha1 ") {
			continue
		}
		var s struct{ Pass, Fail int }
		if json.Unmarshal([]byte(strings.TrimPrefix(l, "sha1 ")), &s) == nil && s.Pass > 0 && s.Fail > 0 {
			return true
		}
	}
	return false
}

// The recount is not vacuous: it sees each kind of maintained row gone wrong.
func TestRecountFindsDisagreements(t *testing.T) {
	from := newUpstream(t, upstreamFixture, bulkRuns(6))
	pool := newTarget(t)
	mustImport(t, from, pool, importer.Options{})
	checkRecount(t, pool)
	kinds := testserver.RecountKinds()
	for _, c := range []struct{ breakIt, kind string }{
		{`UPDATE runs SET pass_count = pass_count + 1 WHERE id = (SELECT min(run_id) FROM jobs)`, "runs with counts or status that disagree with their jobs"},
		{`UPDATE run_values SET runs = runs + 1 WHERE key = 'branch' AND value = 'main'`, "run values counted wrong"},
		{`DELETE FROM job_descriptions WHERE description LIKE 'suite/test-1 %'`, "job descriptions missing"},
		{`UPDATE test_results SET status = 'pass' WHERE status = 'fail' AND id = (SELECT min(id) FROM test_results WHERE status = 'fail')`, "test results that disagree with their jobs"},
		{`UPDATE test_sha1s SET fail = fail + 1 WHERE ctid = (SELECT min(ctid) FROM test_sha1s)`, "test sha1s counted wrong"},
		{`UPDATE job_nodes SET posted = posted + interval '1 second' WHERE ctid = (SELECT min(ctid) FROM job_nodes)`, "links whose posted is not their job's"},
	} {
		want := slices.Index(kinds, c.kind)
		if want < 0 {
			t.Fatalf("no recount of %q", c.kind)
		}
		broken := newTarget(t)
		mustImport(t, from, broken, importer.Options{})
		pgtest.Script(t, broken.Config().ConnString(), c.breakIt)
		got := recountOf(t, broken)
		for k, n := range got {
			if (k == want) != (n != 0) {
				t.Errorf("%s: recount %v (%s)", c.breakIt, got, testserver.RecountErrors(got))
				break
			}
		}
	}
}

// An interrupted bulk import rolls back to the empty target it found, indexes, foreign keys and
// triggers as migrated, no checkpoint; run again, it starts over in bulk and finishes.
func TestInterruptedBulkImport(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(20), bulkRuns(10))
	whole := newTarget(t)
	mustImport(t, from, whole, importer.Options{BatchSize: 20})
	wantPrint, wantMaintained, fresh := fingerprint(t, whole), maintained(t, whole), catalog(t, newTarget(t))

	check := func(t *testing.T, pool *pgxpool.Pool) {
		t.Helper()
		if got := tableCounts(t, pool); got != emptyCounts {
			t.Errorf("after the interruption: %s", got)
		}
		if got := catalog(t, pool); got != fresh {
			t.Errorf("after the interruption (- migrated, + here):\n%s", diff(fresh, got))
		}
		r := mustImport(t, from, pool, importer.Options{BatchSize: 20})
		if !r.Bulk || r.Resumed {
			t.Errorf("the next run: bulk %v, resumed %v", r.Bulk, r.Resumed)
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("after starting over:\n%s", diff(wantPrint, got))
		}
		if got := maintained(t, pool); got != wantMaintained {
			t.Errorf("after starting over:\n%s", diff(wantMaintained, got))
		}
		if got := catalog(t, pool); got != fresh {
			t.Errorf("after starting over (- migrated, + here):\n%s", diff(fresh, got))
		}
		checkRecount(t, pool)
		mustVerify(t, from, pool)
	}

	t.Run("cancelled after a batch", func(t *testing.T) {
		pool := newTarget(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		o := importer.Options{BatchSize: 20}
		importer.AfterBatch(&o, func(n int) {
			if n == 2 {
				cancel()
			}
		})
		r, err := importer.Import(ctx, from, pool, o)
		if !errors.Is(err, context.Canceled) || r == nil || !r.Bulk || r.Batches != 2 {
			t.Fatalf("interrupted import: %v, %+v", err, r)
		}
		check(t, pool)
	})

	t.Run("failing just before the commit", func(t *testing.T) {
		pool := newTarget(t)
		boom := errors.New("boom")
		o := importer.Options{BatchSize: 20}
		rebuilt := false
		importer.BeforeBulkCommit(&o, func() error {
			// Everything is rebuilt: the indexes are back, in the import's transaction.
			rebuilt = true
			return boom
		})
		r, err := importer.Import(context.Background(), from, pool, o)
		if !errors.Is(err, boom) || !r.Bulk || !rebuilt {
			t.Fatalf("failed import: %v, %+v", err, r)
		}
		check(t, pool)
	})

	t.Run("failing in a batch", func(t *testing.T) {
		pool := newTarget(t)
		boom := errors.New("boom")
		o := importer.Options{BatchSize: 20}
		importer.BeforeCommit(&o, func(n int) error {
			if n == 3 {
				return boom
			}
			return nil
		})
		if _, err := importer.Import(context.Background(), from, pool, o); !errors.Is(err, boom) {
			t.Fatalf("failed import: %v", err)
		}
		check(t, pool)
	})
}

// heldLocks lists the tables other sessions than this one hold ACCESS EXCLUSIVE locks on.
func heldLocks(t testing.TB, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT DISTINCT relation::regclass::text FROM pg_locks
		WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock' AND granted AND pid <> pg_backend_pid()
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND relation::regclass::text = ANY ($1) ORDER BY 1`, bulkload.LockedTables)
	if err != nil {
		t.Fatal(err)
	}
	l, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// While a bulk import runs, the tables the server writes are locked against every other
// session; --no-bulk into an empty target writes batch by batch, each visible once committed,
// locking nothing the server waits for.
func TestBulkLocksAndNoBulk(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(20))
	wantLocked := slices.Sorted(slices.Values(bulkload.LockedTables))

	t.Run("bulk", func(t *testing.T) {
		pool := newTarget(t)
		var locked []string
		o := importer.Options{BatchSize: 20}
		importer.AfterBatch(&o, func(n int) {
			if n == 1 {
				locked = heldLocks(t, pool)
			}
		})
		var progress strings.Builder
		o.Progress = &progress
		if r := mustImport(t, from, pool, o); !r.Bulk {
			t.Fatal("not a bulk import")
		}
		if !slices.Equal(locked, wantLocked) {
			t.Errorf("during a bulk import, locked %v, want %v", locked, wantLocked)
		}
		if !strings.Contains(progress.String(), "requests that read or write them wait") {
			t.Errorf("the import did not say that it locks the tables:\n%s", &progress)
		}
	})

	t.Run("--no-bulk", func(t *testing.T) {
		pool := newTarget(t)
		fresh := catalog(t, pool)
		var locked []string
		var runs int
		var cat string
		o := importer.Options{BatchSize: 20, NoBulk: true}
		importer.AfterBatch(&o, func(n int) {
			if n == 1 {
				locked = heldLocks(t, pool)
				cat = catalog(t, pool)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM runs`).Scan(&runs); err != nil {
					t.Error(err)
				}
			}
		})
		if r := mustImport(t, from, pool, o); r.Bulk || r.Batches < 3 {
			t.Fatalf("bulk %v, %d batches", r.Bulk, r.Batches)
		}
		if len(locked) != 0 || runs == 0 || cat != fresh {
			t.Errorf("during a --no-bulk import: locked %v, %d runs committed after batch 1, catalog changed:\n%s", locked, runs, diff(fresh, cat))
		}
		checkRecount(t, pool)
		mustVerify(t, from, pool)
	})
}

// Which imports are bulk: only into a target with no runs and no jobs, and with no checkpoint of
// runs imported before (unless --restart); a session using the tables makes a bulk import give
// up (after a wait) without writing anything, and --no-bulk imports alongside it.
func TestBulkCondition(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(5))
	ref := newTarget(t)
	mustImport(t, from, ref, importer.Options{})
	wantPrint := fingerprint(t, ref)

	t.Run("a target with a run", func(t *testing.T) {
		pool := newTarget(t)
		pgtest.Script(t, pool.Config().ConnString(), `INSERT INTO runs (name, scheduled, posted) VALUES ('`+runA+`', '2000-01-01', '2000-01-01')`)
		if r := mustImport(t, from, pool, importer.Options{}); r.Bulk {
			t.Error("a bulk import into a target with a run")
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("import into a target with a run:\n%s", diff(wantPrint, got))
		}
		checkRecount(t, pool)
	})

	t.Run("nodes and queues only", func(t *testing.T) {
		pool := newTarget(t)
		pgtest.Script(t, pool.Config().ConnString(), `INSERT INTO nodes (name, machine_type) VALUES ('smithi001.front.sepia.ceph.com', 'x')`,
			`INSERT INTO queues (queue) VALUES ('smithi')`)
		if r := mustImport(t, from, pool, importer.Options{}); !r.Bulk {
			t.Error("not a bulk import into a target without runs or jobs")
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("import into a target with nodes:\n%s", diff(wantPrint, got))
		}
	})

	t.Run("emptied after an import", func(t *testing.T) {
		pool := newTarget(t)
		mustImport(t, from, pool, importer.Options{})
		pgtest.Script(t, pool.Config().ConnString(), `DELETE FROM runs`)
		// The finished checkpoint keeps the batch path (a full pass); --restart makes it bulk.
		if r := mustImport(t, from, pool, importer.Options{}); r.Bulk || r.RunsWritten == 0 {
			t.Errorf("after emptying: bulk %v, %d runs written", r.Bulk, r.RunsWritten)
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("after emptying:\n%s", diff(wantPrint, got))
		}
		pgtest.Script(t, pool.Config().ConnString(), `DELETE FROM runs`)
		if r := mustImport(t, from, pool, importer.Options{Restart: true}); !r.Bulk {
			t.Error("--restart into an emptied target is not bulk")
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("after emptying and --restart:\n%s", diff(wantPrint, got))
		}
		checkRecount(t, pool)
	})

	t.Run("a checkpoint of nothing", func(t *testing.T) {
		pool := newTarget(t)
		boom := errors.New("boom")
		o := importer.Options{NoBulk: true}
		importer.BeforeCommit(&o, func(int) error { return boom })
		if _, err := importer.Import(context.Background(), from, pool, o); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if r := mustImport(t, from, pool, importer.Options{}); !r.Bulk {
			t.Error("an import interrupted before its first batch committed did not start over in bulk")
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("after a checkpoint of nothing:\n%s", diff(wantPrint, got))
		}
	})

	t.Run("tables in use", func(t *testing.T) {
		importer.BulkLockWait(t, 300*time.Millisecond)
		pool := newTarget(t)
		ctx := context.Background()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `SELECT count(*) FROM jobs`); err != nil {
			t.Fatal(err)
		}
		_, err = importer.Import(ctx, from, pool, importer.Options{})
		if err == nil || !strings.Contains(err.Error(), "--no-bulk") {
			t.Fatalf("a bulk import beside a session reading jobs: %v", err)
		}
		if got := tableCounts(t, pool); got != emptyCounts {
			t.Errorf("after giving up: %s", got)
		}
		if r := mustImport(t, from, pool, importer.Options{NoBulk: true}); r.Bulk {
			t.Error("--no-bulk was bulk")
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("--no-bulk beside a reader:\n%s", diff(wantPrint, got))
		}
	})
}

// A target emptied of its runs (its checkpoint dropped) keeps what the triggers never remove:
// descriptions, failure signatures with the tracker links users gave them, test sha1s counted
// down to 0 with their last posted time. A bulk import into it writes what the batch path writes.
func TestBulkImportOverLeftovers(t *testing.T) {
	from := newUpstream(t, upstreamFixture, bulkRuns(12))
	var pools [2]*pgxpool.Pool
	for i := range pools {
		pools[i] = newTarget(t)
		mustImport(t, from, pools[i], importer.Options{NoBulk: true})
		pgtest.Script(t, pools[i].Config().ConnString(),
			`UPDATE failure_signatures SET tracker_url = 'https://tracker.ceph.com/issues/1', note = 'known', updated = '2026-01-01'
			 WHERE signature LIKE 'Command failed%'`,
			`DELETE FROM runs`, `DROP SCHEMA paddles_import CASCADE`)
	}
	if got := maintained(t, pools[0]); !strings.Contains(got, "tracker.ceph.com") || !strings.Contains(got, `"pass":0,"fail":0`) {
		t.Fatalf("no leftovers to test with:\n%s", got)
	}
	r := mustImport(t, from, pools[0], importer.Options{})
	rb := mustImport(t, from, pools[1], importer.Options{NoBulk: true})
	if !r.Bulk || rb.Bulk {
		t.Fatalf("bulk %v and %v", r.Bulk, rb.Bulk)
	}
	if a, b := fingerprint(t, pools[0]), fingerprint(t, pools[1]); a != b {
		t.Errorf("bulk and batch imports differ:\n%s", diff(b, a))
	}
	if a, b := maintained(t, pools[0]), maintained(t, pools[1]); a != b {
		t.Errorf("maintained tables differ (- batch, + bulk):\n%s", diff(b, a))
	}
	checkRecount(t, pools[0])
	sameAPI(t, pools[0], pools[1])
}

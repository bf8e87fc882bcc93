//go:build importbench

// The import's throughput on a generated upstream database of a million jobs (not a regular
// test: it takes minutes and a few GB). Run it with
//
//	go test -tags importbench -run TestImportThroughput -v -timeout 60m ./internal/importer/
//
// PADDLES_IMPORT_BENCH_JOBS sets the number of jobs (default 1000000), PADDLES_IMPORT_BENCH_BATCH
// the batch size (default: the import's); PADDLES_IMPORT_BENCH_FLOOR=0 skips the floor and
// PADDLES_IMPORT_BENCH_REPASS=0 the second import (each as long as the import at the lab's
// size, the floor twice the disk); PADDLES_IMPORT_BENCH_NOBULK=1 imports batch by batch
// (--no-bulk) instead of the bulk first import. The databases live in pgtest's throwaway cluster (see
// internal/pgtest: /dev/shm when roomy, fsync off), or on PADDLES_TEST_DATABASE_URL's server.

package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/importer"
)

// benchUpstream fills an upstream database with about n jobs in runs of 200, shaped like
// teuthology's (JSON texts of a realistic size, two targets each), plus 1% duplicate rows, 200
// nodes (20 of them VMs) and 4 queues.
func benchUpstream(n int) string {
	const perRun = 200
	runs := (n + perRun - 1) / perRun
	return fmt.Sprintf(`
INSERT INTO runs (id, name, status, "user", scheduled, suite, branch, machine_type, posted, started, updated)
SELECT g, 'teuthology-' || to_char(ts, 'YYYY-MM-DD_HH24:MI:SS') || '-rados-main-distro-default-smithi',
       'finished pass', 'teuthology', ts, 'rados', 'main', 'smithi', ts + interval '10 seconds',
       ts + interval '1 minute', ts + interval '5 hours'
FROM generate_series(1, %[2]d) g, LATERAL (SELECT timestamp '2020-01-01' + g * interval '17 minutes' AS ts) t;

INSERT INTO nodes (id, name, description, up, machine_type, arch, is_vm, os_type, os_version, vm_host_id,
                   locked, locked_by, locked_since, mac_address, ssh_pub_key)
SELECT g, 'smithi' || lpad(g::text, 3, '0') || '.front.sepia.ceph.com', '/archive/some-run/' || g, true,
       'smithi', 'x86_64', false, 'ubuntu', '22.04', NULL, g %% 3 = 0,
       CASE WHEN g %% 3 = 0 THEN 'teuthology@host' END, CASE WHEN g %% 3 = 0 THEN timestamp '2024-01-01' END,
       '00:00:00:00:00:' || lpad(to_hex(g), 2, '0'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' || md5(g::text)
FROM generate_series(1, 180) g;
INSERT INTO nodes (id, name, up, machine_type, arch, is_vm, os_type, os_version, vm_host_id, locked)
SELECT g, 'vpm' || lpad(g::text, 3, '0') || '.front.sepia.ceph.com', true, 'vps', 'x86_64', true, 'ubuntu', '22.04',
       1 + g %% 10, false
FROM generate_series(181, 200) g;

INSERT INTO jobs (id, run_id, job_id, status, success, posted, started, updated, archive_path, description, duration,
                  email, flavor, kernel, last_in_suite, machine_type, name, nuke_on_error, os_type, os_version,
                  overrides, owner, pid, roles, sentry_event, branch, seed, sha1, subset, suite, suite_branch,
                  suite_path, suite_relpath, suite_repo, suite_sha1, targets, tasks, teuthology_branch, "timestamp",
                  "user", "verbose", queue, priority)
SELECT g, r.id, (g - (r.id - 1) * %[3]d)::text, st, st = 'pass', r.posted, r.started, r.started + (g %% 3600) * interval '1 second',
       '/archive/' || r.name || '/' || g, 'rados/thrash/{0-size-min-size-overrides/3-size-2-min-size 1-pg-log-overrides/normal_pg_log clusters/{fixed-2 openstack} msgr-failures/fastclose objectstore/bluestore-bitmap thrashers/default workloads/snaps-few-objects}',
       g %% 7200, 'ceph-qa@ceph.io', 'default', '{"kdb": true, "sha1": "distro"}', false, 'smithi', r.name, true, 'ubuntu', '22.04',
       '{"ceph": {"conf": {"global": {"mon election default strategy": 3, "osd pool default size": 2}, "mgr": {"debug mgr": 20, "debug ms": 1}, "mon": {"debug mon": 20, "debug ms": 1, "debug paxos": 20}, "osd": {"debug ms": 1, "debug osd": 20, "osd shutdown pgref assert": true}}, "flavor": "default", "log-ignorelist": ["\\(MDS_ALL_DOWN\\)", "\\(MDS_UP_LESS_THAN_MAX\\)", "overall HEALTH_", "\\(OSD_DOWN\\)", "\\(PG_AVAILABILITY\\)"], "sha1": "' || md5(r.id::text) || '"}, "install": {"ceph": {"flavor": "default", "sha1": "' || md5(r.id::text) || '"}}, "workunit": {"branch": "main", "sha1": "' || md5(r.id::text) || '"}}',
       'scheduled_teuthology@teuthology', (100000 + g)::text,
       '[["mon.a", "mgr.x", "osd.0", "osd.1"], ["mon.b", "osd.2", "osd.3", "client.0"]]', NULL, 'main', g,
       md5(r.id::text), '1/10', 'rados', 'main', '/home/teuthworker/src/github.com_ceph_ceph-c_main', 'qa',
       'https://github.com/ceph/ceph-ci.git', md5(r.id::text),
       '{"ubuntu@smithi' || lpad((1 + g %% 180)::text, 3, '0') || '.front.sepia.ceph.com": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' || md5(g::text) || '", "ubuntu@smithi' || lpad((1 + (g + 1) %% 180)::text, 3, '0') || '.front.sepia.ceph.com": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' || md5((g + 1)::text) || '"}',
       '[{"internal.buildpackages_prep": null}, {"internal.check_packages": null}, {"internal.lock_machines": [2, "smithi"]}, {"install": null}, {"ceph": null}, {"rados": {"clients": ["client.0"], "ops": 4000, "objects": 50}}]',
       'main', r.scheduled, 'teuthology', false, 'smithi', 1000
FROM generate_series(1, %[1]d) g
JOIN runs r ON r.id = (g - 1) / %[3]d + 1
CROSS JOIN LATERAL (SELECT (ARRAY['pass', 'pass', 'pass', 'pass', 'fail', 'dead', 'pass', 'pass', 'running', 'queued'])[1 + g %% 10] AS st) s;

-- 1%% of the jobs twice, as upstream's races left them: an older row with a higher id.
INSERT INTO jobs (id, run_id, job_id, status, posted, updated, kernel, overrides, roles, targets, tasks, description)
SELECT %[1]d + g, run_id, job_id, 'queued', posted, updated - interval '1 minute', 'null', 'null', 'null', 'null', 'null', 'queued copy'
FROM jobs j, LATERAL (SELECT j.id AS g) x WHERE j.id %% 100 = 0;

INSERT INTO job_nodes (node_id, job_id)
SELECT 1 + g %% 180, g FROM generate_series(1, %[1]d) g
UNION ALL SELECT 1 + (g + 1) %% 180, g FROM generate_series(1, %[1]d) g;

INSERT INTO queue (queue, paused_by, paused_since, pause_duration, paused_until) VALUES
  ('smithi', NULL, NULL, NULL, NULL), ('mira', 'scott', '2026-01-01', 3600, '2026-01-01 01:00'), ('vps', NULL, NULL, NULL, NULL), ('multi', NULL, NULL, NULL, NULL);
SELECT setval('runs_id_seq', %[2]d), setval('jobs_id_seq', %[1]d * 2), setval('nodes_id_seq', 200);`, n, runs, perRun)
}

func TestImportThroughput(t *testing.T) {
	n := 1_000_000
	if s := os.Getenv("PADDLES_IMPORT_BENCH_JOBS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	batch, _ := strconv.Atoi(os.Getenv("PADDLES_IMPORT_BENCH_BATCH"))
	ctx := context.Background()

	t0 := time.Now()
	// Generated on a connection of its own: pgtest.Script bounds a script to a minute.
	from := newUpstream(t)
	conn, err := pgx.Connect(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{benchUpstream(n), "VACUUM ANALYZE"} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	var size string
	var rows, links int64
	conn.QueryRow(ctx, `SELECT pg_size_pretty(pg_database_size(current_database())), (SELECT count(*) FROM jobs), (SELECT count(*) FROM job_nodes)`).Scan(&size, &rows, &links)
	conn.Close(ctx)
	t.Logf("generated upstream: %d job rows, %d links, %s, in %s", rows, links, size, time.Since(t0).Round(time.Second))

	t0 = time.Now()
	counts, err := importer.DryRun(ctx, from, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dry run in %s: %+v", time.Since(t0).Round(time.Millisecond), counts)

	pool := newTarget(t)
	noBulk := os.Getenv("PADDLES_IMPORT_BENCH_NOBULK") == "1"
	r, err := importer.Import(ctx, from, pool, importer.Options{BatchSize: batch, NoBulk: noBulk, Progress: os.Stderr, ProgressEvery: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	first := r
	var out bytes.Buffer
	r.Write(&out)
	t.Logf("import:\n%s", &out)
	sizes := databaseSizes(t, ctx, from, pool, first.Jobs)
	t.Logf("SIZE: upstream %s, here %s: %.0f and %.0f bytes a job (here / upstream = %.2f)\n%s",
		pretty(sizes.upstream), pretty(sizes.here), float64(sizes.upstream)/float64(first.Jobs),
		float64(sizes.here)/float64(first.Jobs), float64(sizes.here)/float64(sizes.upstream), sizes.tables)
	if r.Bulk == noBulk {
		t.Fatalf("bulk %v with PADDLES_IMPORT_BENCH_NOBULK=%v", r.Bulk, noBulk)
	}
	t.Logf("THROUGHPUT (bulk %v): %d jobs (%d upstream job rows, %d links, %d runs) in %s: %.0f job rows/s, %.0f rows/s (runs, job rows and links)",
		r.Bulk, r.Jobs, r.JobRows, r.Links, r.Runs, r.Elapsed.Round(time.Millisecond), float64(r.JobRows)/r.Elapsed.Seconds(), r.RowsPerSecond())

	t0 = time.Now()
	v, err := importer.Verify(ctx, from, pool, importer.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	v.Write(&out)
	t.Logf("verify in %s:\n%s", time.Since(t0).Round(time.Millisecond), &out)
	if !v.OK() {
		t.Fatal("verification failed")
	}

	if os.Getenv("PADDLES_IMPORT_BENCH_REPASS") != "0" {
		r, err = importer.Import(ctx, from, pool, importer.Options{BatchSize: batch})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("a second import (a full pass, nothing to write: %d jobs written) in %s", r.JobsWritten, r.Elapsed.Round(time.Millisecond))
	}
	if os.Getenv("PADDLES_IMPORT_BENCH_FLOOR") == "0" {
		t.Logf("RATE: import %.0f jobs/s; at this rate %d jobs take %s", float64(first.Jobs)/first.Elapsed.Seconds(),
			labJobs, time.Duration(float64(first.Elapsed)*labJobs/float64(first.Jobs)).Round(time.Second))
		return
	}

	// The floor: the same converted rows COPYed straight into a fresh target (importer.CopyFloor).
	f, err := importer.CopyFloor(ctx, from, newTarget(t), batch)
	if err != nil {
		t.Fatal(err)
	}
	if f.Jobs != first.Jobs || f.Runs != first.Runs || f.Links != first.Links {
		t.Errorf("the floor wrote %d runs, %d jobs, %d links; the import %d, %d, %d", f.Runs, f.Jobs, f.Links, first.Runs, first.Jobs, first.Links)
	}
	t.Logf("FLOOR: COPY of the same %d runs, %d jobs, %d links in %d batches: %s (%.0f jobs/s, %.0f rows/s; reading and converting upstream, not counted: %s)",
		f.Runs, f.Jobs, f.Links, f.Batches, f.Write.Round(time.Millisecond), float64(f.Jobs)/f.Write.Seconds(),
		float64(f.Runs+f.Jobs+f.Links)/f.Write.Seconds(), f.Read.Round(time.Millisecond))
	t.Logf("RATIO: import %.0f jobs/s, floor %.0f jobs/s: the import runs at %.0f%% of the floor; at this rate %d jobs take %s",
		float64(first.Jobs)/first.Elapsed.Seconds(), float64(f.Jobs)/f.Write.Seconds(), 100*f.Write.Seconds()/first.Elapsed.Seconds(),
		labJobs, time.Duration(float64(first.Elapsed)*labJobs/float64(first.Jobs)).Round(time.Second))
}

// labJobs is the lab's size (bench's BENCH_SIZE=lab), for the projection.
const labJobs = 8_500_000

type sizes struct {
	upstream, here int64
	tables         string // here and upstream, table by table: heap, TOAST and indexes
}

// databaseSizes measures both databases after a VACUUM (so that neither counts dead rows or
// lacks its visibility map), whole and by table.
func databaseSizes(t *testing.T, ctx context.Context, from string, pool *pgxpool.Pool, jobs int64) sizes {
	t.Helper()
	const byTable = `SELECT string_agg(format('  %s %-10s heap %8s  toast %8s  indexes %8s  total %8s  %6s bytes a job',
	    $1::text, c.relname, pg_size_pretty(pg_relation_size(c.oid)),
	    pg_size_pretty(pg_total_relation_size(c.oid) - pg_relation_size(c.oid) - pg_indexes_size(c.oid)),
	    pg_size_pretty(pg_indexes_size(c.oid)), pg_size_pretty(pg_total_relation_size(c.oid)),
	    pg_total_relation_size(c.oid) / $2::bigint), E'\n' ORDER BY pg_total_relation_size(c.oid) DESC)
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE n.nspname = 'public' AND c.relkind = 'r' AND pg_total_relation_size(c.oid) > 1000000`
	var s sizes
	var up, here string
	conn, err := pgx.Connect(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, db := range []struct {
		q interface {
			Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
			QueryRow(context.Context, string, ...any) pgx.Row
		}
		name  string
		size  *int64
		table *string
	}{{conn, "upstream", &s.upstream, &up}, {pool, "here", &s.here, &here}} {
		if _, err := db.q.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			t.Fatal(err)
		}
		if err := db.q.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(db.size); err != nil {
			t.Fatal(err)
		}
		if err := db.q.QueryRow(ctx, byTable, db.name, jobs).Scan(db.table); err != nil {
			t.Fatal(err)
		}
	}
	s.tables = up + "\n" + here
	return s
}

func pretty(b int64) string { return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30)) }

package importer_test

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/importer"
	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

func TestMain(m *testing.M) {
	// The template stays empty: a test makes upstream databases (upstream's schema) and targets
	// (this server's, migrated) from it.
	pgtest.Main(m, nil)
}

//go:embed testdata/upstream-schema.sql
var upstreamSchema string

//go:embed testdata/upstream-fixture.sql
var upstreamFixture string

// newUpstream returns the URL of a fresh database with upstream paddles' schema, and sql run in it.
func newUpstream(t testing.TB, sql ...string) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	pgtest.Script(t, url, append([]string{upstreamSchema}, sql...)...)
	return url
}

// newTarget returns a fresh database with this server's schema.
func newTarget(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	if err := testserver.Migrated(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := database.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func mustImport(t testing.TB, from string, pool *pgxpool.Pool, opts importer.Options) *importer.Report {
	t.Helper()
	r, err := importer.Import(context.Background(), from, pool, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return r
}

func mustVerify(t testing.TB, from string, pool *pgxpool.Pool) *importer.Verification {
	t.Helper()
	v, err := importer.Verify(context.Background(), from, pool, importer.VerifyOptions{Seed: 1})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !v.OK() {
		var b bytes.Buffer
		v.Write(&b)
		t.Fatalf("verification failed:\n%s", &b)
	}
	return v
}

// api serves this server's HTTP API over pool's database.
func api(t testing.TB, pool *pgxpool.Pool) string {
	return testserver.Start(t, testserver.Options{DatabaseURL: pool.Config().ConnString()}).URL
}

func getJSON[T any](t testing.TB, url string) T {
	t.Helper()
	res, err := testserver.Client(t).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, body)
	}
	var v T
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
	return v
}

type object = map[string]any

// want compares got[key] with each expected value, by its JSON spelling.
func want(t testing.TB, what string, got object, expected object) {
	t.Helper()
	for k, w := range expected {
		g, _ := json.Marshal(got[k])
		e, _ := json.Marshal(w)
		if string(g) != string(e) {
			t.Errorf("%s: %s = %s, want %s", what, k, g, e)
		}
	}
}

const (
	runA = "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi"
	runB = "scott-2026-01-16_01:02:03-fs-wip-foo-distro-default-smithi"
	runC = "alice-2026-01-17_00:00:00-rbd-main-distro-default-mira"
	runD = "bob-2026-01-18_00:00:00-rgw-main-distro-default-smithi"
)

// Acceptance 1: an upstream database, with upstream's exact schema, imported and read back
// through this server's API.
func TestImportReadBackThroughAPI(t *testing.T) {
	from := newUpstream(t, upstreamFixture)
	pool := newTarget(t)
	r := mustImport(t, from, pool, importer.Options{})
	var out bytes.Buffer
	r.Write(&out)
	t.Logf("report:\n%s", &out)
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"runs", r.Runs, 4}, {"jobs", r.Jobs, 9}, {"job rows", r.JobRows, 14}, {"duplicates", r.Duplicates, 4},
		{"links", r.Links, 4}, {"nodes", r.Nodes, 4}, {"queues", r.Queues, 2},
		{"runs without a name", r.Skipped.RunsWithoutName, 1}, {"jobs without a run", r.Skipped.JobsWithoutRun, 1},
		{"jobs of runs without a name", r.Skipped.JobsOfUnnamedRuns, 1},
		{"invalid JSON", r.Fixes.JSONInvalid, 2}, {"empty JSON", r.Fixes.JSONEmpty, 1},
		{"invalid status", r.Fixes.InvalidStatus, 1}, {"unlocked owners", r.Fixes.UnlockedOwners, 1},
		{"missing timestamps", r.Fixes.MissingTimestamps, 0},
	} {
		if c.got != c.want {
			t.Errorf("report: %s = %d, want %d", c.what, c.got, c.want)
		}
	}
	v := mustVerify(t, from, pool)
	if v.Jobs != 9 || v.Runs != 4 || v.Nodes != 4 || v.Queues != 2 {
		t.Errorf("verification compared %d jobs, %d runs, %d nodes, %d queues", v.Jobs, v.Runs, v.Nodes, v.Queues)
	}

	base := api(t, pool)
	// Runs: newest first, with results and status from the imported jobs, not upstream's stale status.
	runs := getJSON[[]object](t, base+"/runs/?fields=name,status,results,user,posted,scheduled,started,updated,branch,suite,machine_type")
	if len(runs) != 4 {
		t.Fatalf("%d runs: %v", len(runs), runs)
	}
	byName := map[string]object{}
	for _, r := range runs {
		byName[r["name"].(string)] = r
	}
	want(t, "run A", byName[runA], object{
		"status": "running", "user": "teuthology", "suite": "rados", "branch": "main", "machine_type": "smithi",
		"scheduled": "2026-01-15 10:20:30", "posted": "2026-01-15 10:21:00.123456",
		"started": "2026-01-15 10:25:00", "updated": "2026-01-15 11:00:00",
		"results": object{"queued": 0, "pass": 2, "running": 1, "waiting": 0, "fail": 2, "dead": 0, "unknown": 1,
			"total": 6, "sha1": "abcdef0123456789abcdef0123456789abcdef01", "flavor": "default"},
	})
	want(t, "run B", byName[runB], object{"status": "finished pass", "results": object{"queued": 0, "pass": 2,
		"running": 0, "waiting": 0, "fail": 0, "dead": 0, "unknown": 0, "total": 2,
		"sha1": "1111111111111111111111111111111111111111", "flavor": "default"}})
	want(t, "run C", byName[runC], object{"status": "queued", "started": nil})
	want(t, "run D", byName[runD], object{"status": "empty", "updated": nil,
		"results": object{"queued": 0, "pass": 0, "running": 0, "waiting": 0, "fail": 0, "dead": 0, "unknown": 0,
			"total": 0, "sha1": "none", "flavor": "none"}})
	if got := getJSON[[]string](t, base+"/runs/status/"); !slices.Equal(got, []string{"empty", "finished pass", "queued", "running"}) {
		t.Errorf("run statuses %v", got)
	}

	// Jobs: every field, JSON values compacted, "null" texts as null, absent dotted keys as null.
	run := getJSON[object](t, base+"/runs/"+runA+"/")
	var ids []string
	for _, j := range run["jobs"].([]any) {
		ids = append(ids, j.(object)["job_id"].(string))
	}
	if !slices.Equal(ids, []string{"1", "2", "3", "4", "5", "6"}) {
		t.Errorf("run A's jobs %v", ids)
	}
	job1 := getJSON[object](t, base+"/runs/"+runA+"/jobs/1/")
	want(t, "job 1", job1, object{
		"job_id": "1", "status": "pass", "success": true, "duration": 1234, "email": "ceph-qa@ceph.io",
		"archive_path": "/archive/" + runA + "/1", "description": "rados/thrash {0-size-min-size-overrides/3-size-2-min-size.yaml}",
		"flavor": "default", "kernel": object{"kdb": true, "sha1": "distro"}, "last_in_suite": false, "machine_type": "smithi",
		"name": runA, "nuke_on_error": true, "os_type": "ubuntu", "os_version": "22.04", "owner": "scheduled_teuthology@teuthology",
		"pid": "12345", "roles": []any{[]any{"mon.a", "osd.0"}, []any{"client.0"}}, "sentry_event": "https://sentry.ceph.com/1",
		"branch": "main", "seed": 1234567, "sha1": "abcdef0123456789abcdef0123456789abcdef01", "subset": "1/10",
		"suite": "rados", "suite_branch": "main", "suite_path": "/home/teuthworker/src/ceph", "suite_relpath": "qa",
		"suite_repo": "https://github.com/ceph/ceph.git", "suite_sha1": "fedcba9876543210fedcba9876543210fedcba98",
		"targets":           object{"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAAC3Nz smithi001"},
		"tasks":             []any{object{"install": nil}, object{"ceph": object{"fs": "xfs"}}},
		"timestamp":         "2026-01-15 10:20:30",
		"teuthology_branch": "main", "verbose": false, "pcp_grafana_url": "https://grafana.example/1", "priority": 1000,
		"user": "teuthology", "queue": "smithi", "package_source": "ceph-ci",
		"mon_a_kernel_sha1": nil, "mon_b_kernel_sha1": nil,
		"posted": "2026-01-15 10:21:00", "started": "2026-01-15 10:25:00", "updated": "2026-01-15 10:55:00.500000",
	})
	// The JSON text is stored as sent, minus whitespace: escapes (\u0000 included) survive.
	res, err := testserver.Client(t).Get(base + "/runs/" + runA + "/jobs/1/?fields=overrides")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if w := `"overrides":{"ceph":{"conf":{"mon":{"debug mon":20}},"log-ignorelist":["\\(MDS_ALL_DOWN\\)"]},"note":"caf\u00e9 \u0000 <b>"}`; !strings.Contains(string(body), w) {
		t.Errorf("job 1 overrides: %s, want %s", body, w)
	}
	want(t, "job 2", getJSON[object](t, base+"/runs/"+runA+"/jobs/2/"), object{
		"status": "running", "kernel": nil, "overrides": nil, "roles": nil, "targets": nil, "tasks": nil, "success": nil,
	})
	want(t, "job 3 (merged: the latest row)", getJSON[object](t, base+"/runs/"+runA+"/jobs/3/"), object{
		"status": "fail", "success": false, "description": "rados/three (failed)", "failure_reason": "Command failed on smithi002",
		"duration": 600, "updated": "2026-01-15 10:50:00", "posted": "2026-01-15 10:21:03",
	})
	want(t, "job 4 (merged: a tie, the highest id)", getJSON[object](t, base+"/runs/"+runA+"/jobs/4/"), object{
		"status": "fail", "description": "rados/four (fail)",
	})
	want(t, "job 5 (merged: a row never updated loses)", getJSON[object](t, base+"/runs/"+runA+"/jobs/5/"), object{
		"status": "pass", "description": "rados/five (updated)",
	})
	want(t, "job 6", getJSON[object](t, base+"/runs/"+runA+"/jobs/6/"), object{
		"status": "unknown", "kernel": "not json {", "overrides": nil, "roles": object{"a": []any{1, json.Number("2.50"), json.Number("1e3")}},
		"tasks": `{"bad": NaN}`, "flavor": nil,
	})
	if got := getJSON[[]object](t, base+"/runs/"+runC+"/jobs/?fields=priority,queue,status"); len(got) != 1 {
		t.Errorf("run C's jobs: %v", got)
	} else {
		want(t, "job 200", got[0], object{"job_id": "200", "priority": 75, "queue": "mira", "status": "queued"})
	}

	// Nodes: the VM's host by name, locks, and each node's job history (merged job 3 on both).
	want(t, "vpm001", getJSON[object](t, base+"/nodes/vpm001.front.sepia.ceph.com/"), object{
		"name": "vpm001.front.sepia.ceph.com", "is_vm": true, "vm_host": object{
			"name": "vpshost01.front.sepia.ceph.com", "description": "a VM host", "up": true, "machine_type": "vps",
			"is_vm": false, "vm_host": nil, "os_type": "ubuntu", "os_version": "22.04", "arch": "x86_64",
			"locked": false, "locked_by": nil, "locked_since": nil, "mac_address": nil, "ssh_pub_key": nil},
		"locked": true, "locked_by": "alice@laptop", "locked_since": "2026-01-16 01:05:00", "machine_type": "vps", "up": true,
	})
	want(t, "smithi001", getJSON[object](t, base+"/nodes/smithi001.front.sepia.ceph.com/"), object{
		"description": "/archive/" + runA + "/1", "up": true, "locked": true, "locked_by": "scott@teuthology",
		"locked_since": "2026-01-15 10:22:00", "mac_address": "00:11:22:33:44:55", "ssh_pub_key": "ssh-ed25519 AAAAC3Nz smithi001",
		"arch": "x86_64", "os_type": "ubuntu", "os_version": "22.04", "vm_host": nil, "is_vm": false,
	})
	want(t, "smithi002", getJSON[object](t, base+"/nodes/smithi002.front.sepia.ceph.com/"), object{
		"locked": false, "locked_by": nil, "up": false,
	})
	history := func(node string) []string {
		var ids []string
		for _, j := range getJSON[[]object](t, base+"/nodes/"+node+"/jobs/") {
			ids = append(ids, j["job_id"].(string))
		}
		slices.Sort(ids)
		return ids
	}
	if got := history("smithi001.front.sepia.ceph.com"); !slices.Equal(got, []string{"1", "3"}) {
		t.Errorf("smithi001's jobs %v", got)
	}
	if got := history("smithi002.front.sepia.ceph.com"); !slices.Equal(got, []string{"3"}) {
		t.Errorf("smithi002's jobs %v", got)
	}
	if got := getJSON[[]object](t, base+"/nodes/vpm001.front.sepia.ceph.com/jobs/"); len(got) != 1 || got[0]["job_id"] != "100" {
		t.Errorf("vpm001's jobs %v", got)
	}
	want(t, "smithi001's job stats", getJSON[object](t, base+"/nodes/smithi001.front.sepia.ceph.com/job_stats/"),
		object{"pass": 1, "fail": 1, "dead": 0, "queued": 0, "running": 0, "unknown": 0, "waiting": 0})

	// Queues: the pause, and the queued job counted.
	queues := getJSON[[]object](t, base+"/queue/")
	if len(queues) != 2 {
		t.Fatalf("queues %v", queues)
	}
	want(t, "queue mira", queues[0], object{"queue": "mira", "paused": false, "paused_by": nil})
	want(t, "queue smithi", queues[1], object{"queue": "smithi", "paused": true, "paused_by": "scott",
		"paused_since": "2026-01-15 09:00:00", "paused_until": "2099-01-01 00:00:00"})
	want(t, "mira stats", getJSON[object](t, base+"/queue/stats/?queue=mira"), object{"queue": "mira", "queued_jobs": 1})
	if got := getJSON[[]object](t, base+"/runs/queued/"); len(got) != 1 || got[0]["name"] != runC {
		t.Errorf("queued runs %v", got)
	}
}

// fingerprint renders every imported table by natural keys (no surrogate ids), sorted.
func fingerprint(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `
		SELECT 'run', r.name, row_to_json(r)::text FROM runs r
		UNION ALL SELECT 'job', r.name || '/' || j.job_id, row_to_json(j)::text FROM jobs j JOIN runs r ON r.id = j.run_id
		UNION ALL SELECT 'node', n.name, json_build_object('node', row_to_json(n), 'host', h.name)::text
			FROM nodes n LEFT JOIN nodes h ON h.id = n.vm_host_id
		UNION ALL SELECT 'link', n.name || ' ' || r.name || '/' || j.job_id
			|| CASE WHEN jn.posted = j.posted THEN '' ELSE ' posted ' || jn.posted || ', not the job''s' END, '' FROM job_nodes jn
			JOIN nodes n ON n.id = jn.node_id JOIN jobs j ON j.id = jn.job_id JOIN runs r ON r.id = j.run_id
		UNION ALL SELECT 'queue', q.queue, row_to_json(q)::text FROM queues q`)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var kind, key, value string
	if _, err := pgx.ForEachRow(rows, []any{&kind, &key, &value}, func() error {
		if value != "" {
			var m map[string]any
			d := json.NewDecoder(strings.NewReader(value))
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				return err
			}
			if n, ok := m["node"].(map[string]any); ok {
				delete(n, "id")
				delete(n, "vm_host_id")
			}
			delete(m, "id")
			delete(m, "run_id")
			b, _ := json.Marshal(m)
			value = string(b)
		}
		lines = append(lines, kind+" "+key+" "+value)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// moreRuns adds n runs of 3 jobs each (one duplicated) to the fixture, so that small batches
// make many.
func moreRuns(n int) string {
	return fmt.Sprintf(`
		INSERT INTO runs (id, name, "user", scheduled, suite, branch, machine_type, posted, updated)
		SELECT 1000 + g, 'gen-2026-02-01_00:00:00-rados-main-distro-default-smithi-' || g, 'gen',
			'2026-02-01'::timestamp + g * interval '1 minute', 'rados', 'main', 'smithi',
			'2026-02-01'::timestamp + g * interval '1 minute', '2026-02-02'::timestamp + g * interval '1 minute'
		FROM generate_series(1, %[1]d) g;
		INSERT INTO jobs (id, run_id, job_id, status, posted, updated, kernel, overrides, roles, targets, tasks, description)
		SELECT 1000 + g * 4 + k, 1000 + g, (k %% 3)::text, (ARRAY['pass', 'fail', 'queued', 'running'])[k + 1],
			'2026-02-01'::timestamp + g * interval '1 minute', '2026-02-02'::timestamp + (g * 4 + k) * interval '1 second',
			'null', '{"x": ' || g || '}', 'null', '{"ubuntu@smithi001.front.sepia.ceph.com": "k"}', 'null', 'job ' || k
		FROM generate_series(1, %[1]d) g, generate_series(0, 3) k;
		INSERT INTO job_nodes (node_id, job_id) SELECT 1, 1000 + g * 4 + k FROM generate_series(1, %[1]d) g, generate_series(0, 3) k;`, n)
}

// Acceptance 2: an import interrupted after its first batch, or in the middle of a batch, and run
// again, gives the same database as an uninterrupted import; running it once more changes nothing.
//
// (The uninterrupted import is a bulk first import; the interrupted ones are written batch by
// batch, --no-bulk, and resume as such.)
func TestInterruptedImportResumes(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(40))
	opts := importer.Options{BatchSize: 10}

	whole := newTarget(t)
	r := mustImport(t, from, whole, opts)
	if r.Batches < 5 || !r.Bulk {
		t.Fatalf("only %d batches; bulk %v", r.Batches, r.Bulk)
	}
	opts.NoBulk = true
	wantPrint := fingerprint(t, whole)
	mustVerify(t, from, whole)

	t.Run("after the first batch", func(t *testing.T) {
		pool := newTarget(t)
		ctx, cancel := context.WithCancel(context.Background())
		o := opts
		importer.AfterBatch(&o, func(n int) {
			if n == 1 {
				cancel()
			}
		})
		r, err := importer.Import(ctx, from, pool, o)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted import: %v", err)
		}
		if r.Batches != 1 {
			t.Errorf("interrupted after %d batches", r.Batches)
		}
		if v, err := importer.Verify(context.Background(), from, pool, importer.VerifyOptions{}); err != nil || v.OK() ||
			!strings.Contains(v.Checkpoint, "not finished") {
			t.Errorf("verifying an interrupted import: %v %+v", err, v)
		}
		// Resuming keeps the batch path, --no-bulk or not.
		r = mustImport(t, from, pool, importer.Options{BatchSize: 10})
		if !r.Resumed || r.ResumedAfter == 0 || r.Runs >= 44 || r.Bulk {
			t.Errorf("second run: resumed %v after %d, %d runs", r.Resumed, r.ResumedAfter, r.Runs)
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("resumed import differs:\n%s", diff(wantPrint, got))
		}
		mustVerify(t, from, pool)
	})

	t.Run("in the middle of a batch", func(t *testing.T) {
		pool := newTarget(t)
		o := opts
		boom := errors.New("boom")
		importer.BeforeCommit(&o, func(n int) error {
			if n == 3 {
				return boom
			}
			return nil
		})
		r, err := importer.Import(context.Background(), from, pool, o)
		if !errors.Is(err, boom) || r.Batches != 2 {
			t.Fatalf("failed import: %v after %d batches", err, r.Batches)
		}
		r = mustImport(t, from, pool, opts)
		if !r.Resumed {
			t.Errorf("second run did not resume")
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("resumed import differs:\n%s", diff(wantPrint, got))
		}
		// A finished import run again is a full pass that finds nothing to write.
		r = mustImport(t, from, pool, opts)
		if r.Resumed || r.Runs != 44 || r.RunsWritten != 0 || r.JobsWritten != 0 || r.LinksWritten != 0 || r.NodesWritten != 0 || r.QueuesWritten != 0 {
			t.Errorf("third run: %+v", r)
		}
		if got := fingerprint(t, pool); got != wantPrint {
			t.Errorf("a third run changed the database:\n%s", diff(wantPrint, got))
		}
		// --restart ignores a checkpoint.
		r = mustImport(t, from, pool, importer.Options{Restart: true})
		if r.Resumed || r.Runs != 44 {
			t.Errorf("restart: %+v", r)
		}
	})
}

// Changes upstream are carried over by running the import again; a job changed here since (newer)
// is kept; the verification notices a difference.
func TestImportAgainAndVerify(t *testing.T) {
	from := newUpstream(t, upstreamFixture)
	pool := newTarget(t)
	mustImport(t, from, pool, importer.Options{})
	pgtest.Script(t, from, `UPDATE jobs SET status = 'pass', success = true, updated = '2026-01-15 12:00:00' WHERE id = 2`,
		`UPDATE nodes SET locked = false, locked_by = NULL WHERE id = 1`,
		`INSERT INTO runs (id, name, "user", scheduled, posted) VALUES (20, 'new-run', 'x', '2026-01-20', '2026-01-20')`)
	// A job reported to this server after the first import is newer than upstream's row.
	pgtest.Script(t, pool.Config().ConnString(), `UPDATE jobs SET status = 'dead', updated = '2030-01-01' WHERE job_id = '1'`,
		// A key upstream has no column for keeps what this server holds, even where upstream's row wins.
		`UPDATE jobs SET mon_a_kernel_sha1 = 'cafe' WHERE job_id = '2'`)
	r := mustImport(t, from, pool, importer.Options{})
	if r.RunsWritten != 1 || r.JobsWritten != 1 || r.NodesWritten != 1 {
		t.Errorf("second import wrote %d runs, %d jobs, %d nodes", r.RunsWritten, r.JobsWritten, r.NodesWritten)
	}
	base := api(t, pool)
	want(t, "run A", getJSON[object](t, base+"/runs/"+runA+"/?fields=status"), object{"status": "finished fail"})
	want(t, "job 1", getJSON[object](t, base+"/runs/"+runA+"/jobs/1/"), object{"status": "dead"})
	want(t, "job 2", getJSON[object](t, base+"/runs/"+runA+"/jobs/2/"), object{"status": "pass", "mon_a_kernel_sha1": "cafe"})

	v, err := importer.Verify(context.Background(), from, pool, importer.VerifyOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	v.Write(&out)
	if v.OK() || !strings.Contains(out.String(), `job `+runA+`/1: status: upstream "pass", here "dead"`) {
		t.Errorf("verification:\n%s", &out)
	}
}

// Dry runs count without writing anything.
func TestDryRun(t *testing.T) {
	from := newUpstream(t, upstreamFixture)
	c, err := importer.DryRun(context.Background(), from, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := importer.Counts{Runs: 4, Jobs: 9, JobRows: 15, Duplicates: 4, Nodes: 4, Links: 4, Queues: 2,
		Skipped: importer.Skipped{RunsWithoutName: 1, JobsWithoutRun: 1, JobsOfUnnamedRuns: 1}}
	if c != w {
		t.Errorf("dry run counted %+v, want %+v", c, w)
	}
}

// Counting walks run ids a range at a time (bounded memory, progress): any range size gives the
// same counts, and the progress reaches every row.
func TestDryRunRanges(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(40))
	whole, err := importer.DryRun(context.Background(), from, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if whole.Runs != 44 || whole.Jobs != 9+40*3 || whole.Duplicates != 4+40 || whole.Links != 4+40*3 {
		t.Errorf("dry run counted %+v", whole)
	}
	importer.CountSpanRuns(t, 3)
	var progress bytes.Buffer
	ranged, err := importer.DryRun(context.Background(), from, importer.Options{Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if ranged != whole {
		t.Errorf("in ranges of 3 run ids: %+v, want %+v", ranged, whole)
	}
	if !strings.Contains(progress.String(), "counting: 45 runs, 174 job rows: ") {
		t.Errorf("progress %q", progress.String())
	}
}

// A database that is not upstream paddles', and one that is empty.
func TestImportEdgeCases(t *testing.T) {
	pool := newTarget(t)
	if _, err := importer.Import(context.Background(), pgtest.NewDatabase(t), pool, importer.Options{}); err == nil ||
		!strings.Contains(err.Error(), "not a paddles database") {
		t.Errorf("importing an empty database: %v", err)
	}
	empty := newUpstream(t)
	r := mustImport(t, empty, pool, importer.Options{})
	if r.Runs != 0 || r.Batches != 0 {
		t.Errorf("empty import: %+v", r)
	}
	mustVerify(t, empty, pool)
	// Only one import at a time: another session's lock is waited for a little.
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock(hashtext('paddles.import'))`); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, func() { holder.Exec(ctx, `SELECT pg_advisory_unlock(hashtext('paddles.import'))`) })
	t0 := time.Now()
	mustImport(t, empty, pool, importer.Options{})
	if d := time.Since(t0); d < 300*time.Millisecond {
		t.Errorf("the import did not wait for the lock (%s)", d)
	}
	// An older upstream schema without the queue table and some job columns imports too.
	old := newUpstream(t, `DROP TABLE queue; ALTER TABLE jobs DROP COLUMN package_source, DROP COLUMN pcp_grafana_url`, upstreamFixture[:strings.Index(upstreamFixture, "INSERT INTO jobs")])
	mustImport(t, old, newTarget(t), importer.Options{})
}

// Values upstream could hold that this server's columns cannot: NUL characters (which
// PostgreSQL text cannot hold either, but a JSON \u0000 escape decodes to one), bytes that are
// not UTF-8 (a SQL_ASCII upstream database), JSON that is not JSON.
func TestValueConversions(t *testing.T) {
	for _, c := range []struct {
		in, out string
		nul     int64
		utf8    int64
	}{
		{"plain", "plain", 0, 0},
		{"a\x00b", "ab", 1, 0},
		{"caf\xe9", "caf\uFFFD", 0, 1},
		{"\x00\xff", "\uFFFD", 1, 1},
	} {
		got, f := importer.Clean(c.in)
		if got != c.out || f.NULStripped != c.nul || f.InvalidUTF8 != c.utf8 {
			t.Errorf("Clean(%q) = %q %+v", c.in, got, f)
		}
	}
	for _, c := range []struct {
		in, out string
		fix     string
	}{
		{`{"a": 1, "b": [true, null]}`, `{"a":1,"b":[true,null]}`, ""},
		{`null`, ``, "null"},
		{` null `, ``, "null"},
		{``, ``, "empty"},
		{`   `, ``, "empty"},
		{`"s\u0000"`, `"s\u0000"`, ""},
		{`{"x": NaN}`, `"{\"x\": NaN}"`, "invalid"},
		{`<b>&`, `"<b>&"`, "invalid"},
		{`{"a": 1} {"b": 2}`, `"{\"a\": 1} {\"b\": 2}"`, "invalid"},
		{"{\"a\": \"\xff\"}", "{\"a\":\"\uFFFD\"}", ""},
	} {
		got, f := importer.JSON(c.in)
		fix := ""
		switch {
		case f.JSONNullText > 0:
			fix = "null"
		case f.JSONEmpty > 0:
			fix = "empty"
		case f.JSONInvalid > 0:
			fix = "invalid"
		}
		if got != c.out || fix != c.fix {
			t.Errorf("JSON(%q) = %q (%s), want %q (%s)", c.in, got, fix, c.out, c.fix)
		}
	}
}

// A SQL_ASCII upstream database holds bytes that are not UTF-8; the import repairs and counts them.
func TestSQLASCIIUpstream(t *testing.T) {
	base := pgtest.NewDatabase(t)
	name := fmt.Sprintf("paddles_sqlascii_%d", os.Getpid())
	pgtest.Script(t, base, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'")
	t.Cleanup(func() { pgtest.Script(t, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	from := strings.Replace(base, "/"+cfg.Database, "/"+name, 1)
	pgtest.Script(t, from, upstreamSchema,
		"INSERT INTO runs (id, name, \"user\", scheduled, posted) VALUES (1, E'caf\\xe9-run', 'x', '2026-01-01', '2026-01-01')",
		"INSERT INTO jobs (id, run_id, job_id, status, posted, updated, description, kernel) VALUES "+
			"(1, 1, '1', 'pass', '2026-01-01', '2026-01-01', E'd\\xff', E'{\"k\": \"\\xfe\"}')")
	pool := newTarget(t)
	r := mustImport(t, from, pool, importer.Options{})
	if r.Fixes.InvalidUTF8 != 3 || r.Jobs != 1 {
		t.Errorf("report %+v", r)
	}
	mustVerify(t, from, pool)
	j := getJSON[object](t, api(t, pool)+"/runs/caf%EF%BF%BD-run/jobs/1/")
	want(t, "job", j, object{"description": "d\uFFFD", "kernel": object{"k": "\uFFFD"}})
}

// A batch of runs the target does not hold yet is copied straight into the tables, any other is
// upserted: both write the same, and a run appearing here between the check and the copy sends
// its batch down the upsert path.
func TestCopyAndUpsertAgree(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(40))
	opts := importer.Options{BatchSize: 10, NoBulk: true}
	copied := newTarget(t)
	if r := mustImport(t, from, copied, opts); r.Batches < 5 {
		t.Fatalf("only %d batches", r.Batches)
	}
	wantPrint := fingerprint(t, copied)
	mustVerify(t, from, copied)

	upserted := newTarget(t)
	o := opts
	importer.UpsertOnly(&o)
	mustImport(t, from, upserted, o)
	if got := fingerprint(t, upserted); got != wantPrint {
		t.Errorf("upserting every batch wrote another database than copying:\n%s", diff(wantPrint, got))
	}

	// Every upstream run created here (older, empty) just before batch 2 is copied.
	raced := newTarget(t)
	o = opts
	conn, err := pgx.Connect(context.Background(), from)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := conn.Query(context.Background(), `SELECT name FROM runs WHERE name IS NOT NULL`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fired := false
	importer.BeforeCopy(&o, func(n int) {
		if n != 2 {
			return
		}
		fired = true
		if _, err := raced.Exec(context.Background(), `INSERT INTO runs (name, scheduled, posted)
			SELECT unnest($1::text[]), '2000-01-01', '2000-01-01' ON CONFLICT DO NOTHING`, names); err != nil {
			t.Error(err)
		}
	})
	r := mustImport(t, from, raced, o)
	if got := fingerprint(t, raced); got != wantPrint {
		t.Errorf("a batch whose runs appeared meanwhile was not upserted:\n%s", diff(wantPrint, got))
	}
	if !fired || r.Runs != 44 {
		t.Errorf("batch 2 copied: %v; %d runs imported", fired, r.Runs)
	}
	mustVerify(t, from, raced)
}

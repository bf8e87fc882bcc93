package httpapi_test

// Helpers shared by the reliability tests (fuzzing over HTTP, the model test, races, faults and
// hostile input). docs/reliability.md describes the tests and records their figures.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/testserver"
)

// long reports whether the long versions of the reliability tests were asked for (make
// reliability sets PADDLES_RELIABILITY=long); the default is the short version CI runs.
func long() bool { return os.Getenv("PADDLES_RELIABILITY") == "long" }

// scaled returns short in the default run and long under make reliability.
func scaled(short, long_ int) int {
	if long() {
		return long_
	}
	return short
}

// reliabilitySeed is the seed of the randomized tests: fixed by default so CI is deterministic,
// PADDLES_RELIABILITY_SEED to replay or vary it (make reliability passes the time).
func reliabilitySeed(t testing.TB) uint64 {
	seed := uint64(1)
	if s := os.Getenv("PADDLES_RELIABILITY_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("PADDLES_RELIABILITY_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with PADDLES_RELIABILITY_SEED=%d)", seed, seed)
	return seed
}

// forT returns a copy of the client that reports to t: fuzz functions and subtests must not
// report to the test that made the client.
func (c *client) forT(t testing.TB) *client {
	d := *c
	d.t = t
	vt := &testserver.Transport{T: t}
	if orig, ok := c.http.Transport.(*testserver.Transport); ok {
		vt.Gaps = orig.Gaps
	}
	d.http = &http.Client{Transport: vt}
	return &d
}

// countGaps makes the client count the known contract gaps (testserver.Transport.Gaps) rather than fail on them,
// and returns the counter.
func (c *client) countGaps() *atomic.Int64 {
	n := new(atomic.Int64)
	c.http.Transport.(*testserver.Transport).Gaps = n
	return n
}

// queryInts runs a query returning one row of integers on the client's database.
func queryInts(t testing.TB, dbURL, query string, args ...any) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) ([]int64, error) {
		v := make([]int64, len(r.FieldDescriptions()))
		ptrs := make([]any, len(v))
		for i := range v {
			ptrs[i] = &v[i]
		}
		return v, r.Scan(ptrs...)
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return vals
}

// countsAgree is a query giving the runs whose stored results or status disagree with their
// jobs' rows (upstream's Run.set_status table, paddles-api.md 6.3), and the number of job rows
// whose (run, job_id) is duplicated. Both must be 0.
const countsAgree = `
WITH actual AS (
    SELECT r.id, r.status,
           r.queued_count, r.pass_count, r.running_count, r.waiting_count, r.fail_count, r.dead_count, r.unknown_count,
           count(j.id) FILTER (WHERE j.status = 'queued')  AS queued,
           count(j.id) FILTER (WHERE j.status = 'pass')    AS pass,
           count(j.id) FILTER (WHERE j.status = 'running') AS running,
           count(j.id) FILTER (WHERE j.status = 'waiting') AS waiting,
           count(j.id) FILTER (WHERE j.status = 'fail')    AS fail,
           count(j.id) FILTER (WHERE j.status = 'dead')    AS dead,
           count(j.id) FILTER (WHERE j.status = 'unknown') AS unknown,
           count(j.id) AS total
    FROM runs r LEFT JOIN jobs j ON j.run_id = r.id
    GROUP BY r.id
), wrong AS (
    SELECT id FROM actual
    WHERE (queued_count, pass_count, running_count, waiting_count, fail_count, dead_count, unknown_count)
          <> (queued, pass, running, waiting, fail, dead, unknown)
       OR status <> CASE
            WHEN total = 0 THEN 'empty'
            WHEN queued = total THEN 'queued'
            WHEN running > 0 THEN 'running'
            WHEN waiting > 0 THEN 'waiting'
            WHEN dead = total THEN 'finished dead'
            WHEN fail > 0 THEN 'finished fail'
            WHEN dead > 0 THEN 'finished fail'
            WHEN pass = total THEN 'finished pass'
            WHEN queued > 0 THEN 'queued'
            ELSE 'unknown' END
), recounted AS (
    SELECT rk.key, rk.value, count(*) AS runs
    FROM runs r, run_keys(r.status, r.branch, r.suite, r.machine_type, r."user", r.scheduled) rk GROUP BY 1, 2
)
SELECT (SELECT count(*) FROM wrong),
       (SELECT count(*) FROM (SELECT 1 FROM jobs GROUP BY run_id, job_id HAVING count(*) > 1) d),
       (SELECT count(*) FROM run_values v FULL JOIN recounted k USING (key, value)
        WHERE COALESCE(v.runs, 0) <> COALESCE(k.runs, 0)),
       (SELECT count(*) FROM jobs j WHERE j.description IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM job_descriptions d WHERE d.id = md5(j.description)::uuid AND d.description = j.description)),
       (SELECT count(*) FROM jobs j FULL JOIN test_results t USING (id)
        WHERE (j.job_id, j.run_id, md5(j.description)::uuid, j.posted, j.status, j.sha1, md5(job_signature(j.status, j.failure_reason))::uuid)
              IS DISTINCT FROM (t.job_id, t.run_id, t.test_id, t.posted, t.status, t.sha1, t.signature_id)
           OR t.signature_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM failure_signatures s WHERE s.id = t.signature_id)),
       (SELECT count(*) FROM test_sha1s s FULL JOIN (` + recountTestSha1s + `) c USING (test_id, sha1, branch, suite, machine_type)
        WHERE (COALESCE(s.pass, 0), COALESCE(s.fail, 0)) <> (COALESCE(c.pass, 0), COALESCE(c.fail, 0))
           OR s.last_posted < c.last_posted)`

// recountTestSha1s counts test_results as test_sha1s (00012) must: its last_posted is the newest
// result counted, or later when a newer one was uncounted since.
const recountTestSha1s = `
    SELECT t.test_id, t.sha1, COALESCE(r.branch, '') AS branch, COALESCE(r.suite, '') AS suite,
           COALESCE(r.machine_type, '') AS machine_type,
           count(*) FILTER (WHERE t.status = 'pass') AS pass, count(*) FILTER (WHERE t.status <> 'pass') AS fail,
           max(t.posted) AS last_posted
    FROM test_results t JOIN runs r ON r.id = t.run_id
    WHERE t.test_id IS NOT NULL AND t.sha1 IS NOT NULL AND t.status IN ('pass', 'fail', 'dead')
    GROUP BY 1, 2, 3, 4, 5`

// checkCounts fails the test when a run's stored counts or status disagree with its job rows, a
// job is duplicated, the maintained value counts (run_values) disagree with the runs, or a job's
// description is missing from job_descriptions, or its test_results row (00012) disagrees with it.
func checkCounts(t testing.TB, dbURL string) {
	t.Helper()
	v := queryInts(t, dbURL, countsAgree)
	if v[0] != 0 || v[1] != 0 || v[2] != 0 || v[3] != 0 || v[4] != 0 || v[5] != 0 {
		t.Errorf("%d runs with counts or status that disagree with their jobs; %d duplicated jobs; "+
			"%d run values counted wrong; %d job descriptions missing; %d test results that disagree with their jobs; "+
			"%d test sha1s counted wrong", v[0], v[1], v[2], v[3], v[4], v[5])
	}
}

// seedRequest is a request from the upstream server's transcripts.
type seedRequest struct {
	Method, Path string
	Body         []byte
}

// seedRequests returns teuthology's job report and the POST and PUT requests of the upstream
// transcripts (paddles-api.md Appendix B).
func seedRequests(t testing.TB) []seedRequest {
	t.Helper()
	reqs := []seedRequest{{"POST", "/runs/" + runName + "/jobs/", teuthologyJob(t)}}
	f, err := os.Open("testdata/upstream-requests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var r struct{ Method, Path, Body string }
		if err := json.Unmarshal(s.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, seedRequest{r.Method, r.Path, []byte(r.Body)})
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return reqs
}

// domainJob is the job the domain layer makes of body, applied to the job prior (a job's wire
// form; nil for a new job), written as the server writes it.
func domainJob(t testing.TB, prior, body []byte) []byte {
	t.Helper()
	var j paddles.Job
	now := time.Now()
	if prior != nil {
		p, err := paddles.ParseJobPatch(prior)
		if err != nil {
			t.Fatalf("a job's own wire form is refused: %v\n%s", err, prior)
		}
		j.JobID, _ = p.JobID()
		p.Apply(&j, true, now)
	}
	p, err := paddles.ParseJobPatch(body)
	if err != nil {
		t.Fatalf("the server accepted a body the domain layer refuses: %v\n%s", err, body)
	}
	if prior == nil {
		j.JobID, _ = p.JobID()
	}
	p.Apply(&j, prior == nil, now)
	return paddles.AppendJob(nil, &j, nil, func(*paddles.Job) string { return "" })
}

// checkReadBack compares a job read from the server with what the domain layer makes of the body
// that wrote it: the database must keep every value exactly. The times the server picks (posted,
// started, updated unless the body gave it) are left out.
func checkReadBack(t testing.TB, got, want, body []byte) {
	t.Helper()
	var g, w map[string]json.RawMessage
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("job read back as %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	p, _ := paddles.ParseJobPatch(body)
	for k, wv := range w {
		switch k {
		case "log_href", "posted", "started":
			continue
		case "updated":
			if !p.Has("updated") {
				continue
			}
		}
		if !bytes.Equal(g[k], wv) {
			t.Errorf("%s read back as %s, want %s\nbody: %.300s", k, g[k], wv, body)
		}
	}
}

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

// checkCounts fails the test when a maintained table (a run's counts and status, run_values,
// job_descriptions, test_results, test_sha1s, the links' posted time) disagrees with a
// recomputation from the job rows, or a job is duplicated.
func checkCounts(t testing.TB, dbURL string) {
	t.Helper()
	if msg := testserver.RecountErrors(queryInts(t, dbURL, testserver.RecountSQL)); msg != "" {
		t.Error(msg)
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

package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/pgtest"
)

// Issue 6: /healthz answers while the process lives; /readyz answers 503 while a migration is
// pending and while the database is gone, and /healthz still answers 200 then.
func TestHealthAndReady(t *testing.T) {
	c := newServer(t)
	for _, p := range []string{"/healthz/", "/healthz", "/readyz/", "//readyz"} {
		if r := c.get(p).must(t, 200); string(r.Body) != `{"status":"ok"}` {
			t.Errorf("GET %s: %s", p, r.Body)
		}
		c.head(p).must(t, 200)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	// A pending migration: forget that the latest one was applied.
	exec("CREATE TEMP TABLE saved AS SELECT * FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")
	exec("DELETE FROM goose_db_version WHERE id = (SELECT id FROM saved)")
	c.get("/readyz/").wantError(t, 503, "not ready: the database schema is not current (a migration is pending)")
	c.get("/healthz/").must(t, 200)
	exec("INSERT INTO goose_db_version SELECT * FROM saved")
	c.get("/readyz/").must(t, 200)
	// The first migration missing: below an applied one goose reports it missing, which readyz
	// cannot sort out; with no later migration it is simply pending.
	exec("UPDATE goose_db_version SET version_id = -version_id WHERE version_id = 1")
	if n := decode[object](t, c.get("/readyz/").must(t, 503))["message"]; n != "not ready: the database schema version could not be checked" &&
		n != "not ready: the database schema is not current (a migration is pending)" {
		t.Errorf("readyz with migration 1 missing: %v", n)
	}
	exec("UPDATE goose_db_version SET version_id = -version_id WHERE version_id = -1")
	c.get("/readyz/").must(t, 200)
	// A database ahead of the server (a newer replica migrated it) keeps it ready: rolling upgrades.
	exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)")
	c.get("/readyz/").must(t, 200)

	// The database goes away: its sessions end and it takes no new ones.
	pgtest.Exec(t, "ALTER DATABASE "+pgx.Identifier{conn.Config().Database}.Sanitize()+" WITH ALLOW_CONNECTIONS false")
	exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	start := time.Now()
	c.get("/readyz/").wantError(t, 503, "not ready: the database does not answer")
	c.get("/readyz/").wantError(t, 503, "not ready: the database does not answer")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the failing probes took %v", d)
	}
	c.get("/healthz/").must(t, 200)
}

// sample is one line of Prometheus' text exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape reads the server's /metrics.
func (c *client) scrape() []sample {
	c.t.Helper()
	r := c.get("/metrics").must(c.t, 200)
	var out []sample
	for _, line := range strings.Split(string(r.Body), "\n") {
		m := sampleLine.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(line, "#") {
			continue
		}
		s := sample{name: m[1], labels: map[string]string{}}
		for _, l := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[l[1]] = l[2]
		}
		s.value, _ = strconv.ParseFloat(m[3], 64)
		out = append(out, s)
	}
	return out
}

// value returns the value of the sample with the name and (at least) the labels, given as pairs;
// ok is false when there is none.
func value(samples []sample, name string, labels ...string) (v float64, ok bool) {
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if s.labels[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return s.value, true
	}
	return 0, false
}

// Issue 6: requests are counted and timed by route template and status, never by raw path; job
// status changes are counted once committed; the pool's statistics are exposed.
func TestMetrics(t *testing.T) {
	c := newServer(t)
	jobs := "/runs/" + runName + "/jobs/"
	c.post(jobs, object{"job_id": "1", "status": "queued"}).must(t, 200)
	c.post(jobs, object{"job_id": "2", "status": "running"}).must(t, 200)
	c.post(jobs, object{"job_id": "2"}).must(t, 400) // exists: no transition
	c.put(jobs+"1/", object{"status": "running"}).must(t, 200)
	c.put(jobs+"1/", object{"status": "running"}).must(t, 200) // no change
	c.put(jobs+"1/", object{"success": true}).must(t, 200)
	c.get("/runs/"+runName+"/").must(t, 200)
	c.get("/runs/"+runName).must(t, 200)
	c.get("/runs/nope/").must(t, 404)
	c.get("/no/such/path/").must(t, 404)

	samples := c.scrape()
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"paddles_http_requests_total", []string{"method", "GET", "url", "/runs/:name/", "code", "200"}, 2},
		{"paddles_http_request_duration_seconds_count", []string{"method", "GET", "url", "/runs/:name/", "code", "200"}, 2},
		{"paddles_http_request_duration_seconds_bucket", []string{"method", "GET", "url", "/runs/:name/", "code", "200", "le", "+Inf"}, 2},
		{"paddles_http_requests_total", []string{"method", "GET", "url", "/runs/:name/", "code", "404"}, 1},
		{"paddles_http_requests_total", []string{"method", "POST", "url", "/runs/:name/jobs/", "code", "200"}, 2},
		{"paddles_http_requests_total", []string{"method", "POST", "url", "/runs/:name/jobs/", "code", "400"}, 1},
		{"paddles_http_requests_total", []string{"method", "PUT", "url", "/runs/:name/jobs/:job_id/", "code", "200"}, 3},
		{"paddles_http_requests_total", []string{"method", "GET", "url", "unmatched", "code", "404"}, 1},
		{"paddles_job_status_transitions_total", []string{"from", "new", "to", "queued"}, 1},
		{"paddles_job_status_transitions_total", []string{"from", "new", "to", "running"}, 1},
		{"paddles_job_status_transitions_total", []string{"from", "queued", "to", "running"}, 1},
		{"paddles_job_status_transitions_total", []string{"from", "running", "to", "pass"}, 1},
	} {
		if got, ok := value(samples, tc.name, tc.labels...); !ok || got != tc.want {
			t.Errorf("%s%v = %v (found: %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	var transitions float64
	for _, s := range samples {
		if s.name == "paddles_job_status_transitions_total" {
			transitions += s.value
		}
		if strings.Contains(s.labels["url"], "teuthology") || strings.Contains(s.labels["url"], "nope") {
			t.Errorf("a raw path in a label: %v", s)
		}
		if s.labels["host"] != "" {
			t.Errorf("a host label: %v", s)
		}
	}
	if transitions != 4 {
		t.Errorf("%v transitions counted, want 4", transitions)
	}
	if v, ok := value(samples, "paddles_db_pool_max_conns"); !ok || v < 1 {
		t.Errorf("paddles_db_pool_max_conns = %v, %v", v, ok)
	}
	if v, ok := value(samples, "paddles_db_pool_acquires_total"); !ok || v < 5 {
		t.Errorf("paddles_db_pool_acquires_total = %v, %v", v, ok)
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds", "paddles_db_pool_total_conns"} {
		if _, ok := value(samples, name); !ok {
			t.Errorf("no %s", name)
		}
	}
}

// Issue 6: a client's X-Request-Id is echoed back; without one (or with one that does not look
// like an id) the server makes one, different for every request.
func TestRequestIDs(t *testing.T) {
	c := newServer(t)
	if got := c.do("GET", "/runs/", nil, "X-Request-ID", "teuthology-42.abc").Header.Get("X-Request-Id"); got != "teuthology-42.abc" {
		t.Errorf("incoming id answered as %q", got)
	}
	if got := c.do("POST", "/runs/", object{"name": "r"}, "X-Request-Id", "post-1").Header.Get("X-Request-Id"); got != "post-1" {
		t.Errorf("incoming id on a POST answered as %q", got)
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for _, incoming := range []string{"", "has spaces", strings.Repeat("x", 129), "ünïcode"} {
		got := c.do("GET", "/nope/", nil, "X-Request-Id", incoming).Header.Get("X-Request-Id")
		if !hex32.MatchString(got) || seen[got] {
			t.Errorf("incoming %q: generated id %q", incoming, got)
		}
		seen[got] = true
	}
}

// Issue 6: with write tokens, every write needs one: none answers 401 with WWW-Authenticate, an
// unknown one 403; reads, HEAD and CORS preflights stay open.
func TestWriteTokens(t *testing.T) {
	c := newServer(t, func(o *serverOptions) {
		o.WriteTokens = []string{"token-one", "token-two"}
		o.MaxBodyBytes = 1024
	})
	jobs := "/runs/" + runName + "/jobs/"
	noToken := "this server requires a write token: send Authorization: Bearer <token>"
	basic := func(user, password string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	}
	for _, auth := range []string{"", "Bearer", "Bearer ", "Basic", "Basic !!!", basic("token-one", ""), "token-one"} {
		r := c.do("POST", jobs, object{"job_id": "1"}, "Authorization", auth)
		r.wantError(t, 401, noToken)
		if got := strings.Join(r.Header.Values("WWW-Authenticate"), ", "); got != `Bearer realm="paddles", Basic realm="paddles"` {
			t.Errorf("Authorization %q: WWW-Authenticate %q", auth, got)
		}
	}
	for _, auth := range []string{"Bearer token-three", "Bearer token-on", "Bearer token-one2", "Bearer TOKEN-ONE", basic("teuthology", "token-on")} {
		c.do("POST", jobs, object{"job_id": "1"}, "Authorization", auth).wantError(t, 403, "the write token is not valid")
	}
	c.get(jobs).wantError(t, 404, "run with name "+runName+" not found") // nothing was written

	c.do("POST", jobs, object{"job_id": "1"}, "Authorization", "Bearer token-one").must(t, 200)
	c.do("POST", "/runs/", object{"name": "other"}, "Authorization", "bearer  token-two").must(t, 200)
	c.do("PUT", jobs+"1/", object{"status": "running"}, "Authorization", "Bearer token-two").must(t, 200)
	// teuthology (python-requests) sends a ~/.netrc entry as Basic credentials: the password is the token.
	c.do("PUT", jobs+"1/", object{"status": "pass"}, "Authorization", basic("teuthology", "token-one")).must(t, 200)
	c.put(jobs+"1/", object{"status": "fail"}).wantError(t, 401, noToken)
	c.delete(jobs+"1/").wantError(t, 401, noToken)
	c.delete("/runs/other/").wantError(t, 401, noToken)
	c.do("DELETE", "/runs/other/", nil, "Authorization", "Bearer nope").wantError(t, 403, "the write token is not valid")
	// Locking and queue changes are writes; the queue reads done with POST are not.
	c.post("/nodes/lock_many/", object{"count": 1, "locked_by": "x", "machine_type": "smithi", "description": nil}).wantError(t, 401, noToken)
	c.put("/nodes/n1/lock/", object{"locked": true, "locked_by": "x"}).wantError(t, 401, noToken)
	c.post("/queue/", object{"queue": "smithi"}).wantError(t, 401, noToken)
	c.post("/queue/stats/", object{"queue": "smithi"}).wantError(t, 400, "specified queue does not exist")
	c.post("/queue/queued_jobs/", object{"queue": "smithi"}).wantError(t, 400, "specified queue does not exist")
	c.do("DELETE", "/runs/other/", nil, "Authorization", "Bearer token-one").must(t, 200)
	// The token is checked before the body is read.
	c.post(jobs, strings.Repeat("x", 2048)).wantError(t, 401, noToken)
	c.do("POST", jobs, strings.Repeat("x", 2048), "Authorization", "Bearer token-one").wantError(t, 413, "request body too large (limit 1024 bytes)")

	// Reads stay open.
	if job := decode[object](t, c.get(jobs+"1/").must(t, 200)); job["status"] != "pass" {
		t.Errorf("job %v", job)
	}
	c.head(jobs+"1/").must(t, 200)
	c.get("/runs/").must(t, 200)
	c.get("/readyz/").must(t, 200)
	c.do("OPTIONS", jobs, nil, "Origin", "https://pulpito.example.com", "Access-Control-Request-Method", "GET").must(t, 204)

	// Without tokens (the default) writes are open: every other test.
}

// Issue 6: CORS as upstream by default (any origin, on every answer), or for configured origins.
func TestCORS(t *testing.T) {
	const pulpito = "https://pulpito.example.com"
	preflight := func(c *client, path, origin string) response {
		return c.do("OPTIONS", path, nil, "Origin", origin, "Access-Control-Request-Method", "GET",
			"Access-Control-Request-Headers", "authorization").must(t, 204)
	}
	checkPreflight := func(r response, origin string) {
		t.Helper()
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("preflight: Allow-Origin %q, want %q", got, origin)
		}
		if got := strings.ToLower(r.Header.Get("Access-Control-Allow-Methods")); got != "get,head,options" {
			t.Errorf("preflight: Allow-Methods %q", got)
		}
		if got := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")); got != "origin,authorization,accept,if-none-match" {
			t.Errorf("preflight: Allow-Headers %q", got)
		}
	}

	t.Run("default", func(t *testing.T) {
		c := newServer(t)
		for _, origin := range []string{"", pulpito, "http://anything.example"} {
			for _, p := range []string{"/", "/runs/", "/runs/nope/"} {
				r := c.do("GET", p, nil, "Origin", origin)
				if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("GET %s from %q: Allow-Origin %q, want *", p, origin, got)
				}
			}
		}
		checkPreflight(preflight(c, "/runs/", pulpito), "*")
		checkPreflight(preflight(c, "/runs/"+runName+"/jobs/1", pulpito), "*")
	})

	t.Run("configured", func(t *testing.T) {
		c := newServer(t, func(o *serverOptions) { o.CORSOrigins = []string{pulpito, "https://*.ceph.example"} })
		for origin, want := range map[string]string{
			pulpito:                            pulpito,
			"https://qa.ceph.example":          "https://qa.ceph.example",
			"":                                 "",
			"https://evil.example":             "",
			"https://pulpito.example.com.evil": "",
		} {
			r := c.do("GET", "/runs/", nil, "Origin", origin).must(t, 200)
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != want {
				t.Errorf("GET from %q: Allow-Origin %q, want %q", origin, got, want)
			}
			if !strings.Contains(fmt.Sprint(r.Header.Values("Vary")), "Origin") {
				t.Errorf("GET from %q: no Vary: Origin", origin)
			}
		}
		checkPreflight(preflight(c, "/runs/", pulpito), pulpito)
		if r := preflight(c, "/runs/", "https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from another origin allowed: %v", r.Header)
		}
	})
}

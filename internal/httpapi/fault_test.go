package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/cli"
	"github.com/ceph/paddles-go/internal/pgcluster"
	"github.com/ceph/paddles-go/internal/testserver"
)

// faultDB is a PostgreSQL of the test's own (not the shared test cluster), which the test stops,
// restarts, crashes and freezes. Clients reach it through a stable socket directory holding a
// link to the socket of whichever server process is current, so the paddles server's database
// URL never changes.
type faultDB struct {
	t       testing.TB
	dataDir string
	stable  string // the socket directory clients use
	cluster *pgcluster.Cluster
	url     string // of the paddles database, through the stable directory
}

func startFaultDB(t testing.TB) *faultDB {
	t.Helper()
	base := testserver.PostgresDir(t)
	stable, err := os.MkdirTemp("/tmp", "pgfault")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(stable) })
	db := &faultDB{t: t, dataDir: filepath.Join(base, "pgdata"), stable: stable}
	db.start()
	t.Cleanup(func() { db.cluster.Stop() })
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE paddles"); err != nil {
		t.Fatal(err)
	}
	db.url = fmt.Sprintf("postgres://postgres@/paddles?host=%s&port=5432&sslmode=disable", stable)
	return db
}

// start starts the server on the data directory (durable settings: fsync and synchronous commit
// on, as in production) and points the stable socket link at it.
func (db *faultDB) start() {
	db.t.Helper()
	c, err := pgcluster.Start(context.Background(), pgcluster.Options{DataDir: db.dataDir})
	if err != nil {
		db.t.Fatal(err)
	}
	db.cluster = c
	u, err := url.Parse(c.URL("postgres"))
	if err != nil {
		db.t.Fatal(err)
	}
	link := filepath.Join(db.stable, ".s.PGSQL.5432")
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(filepath.Join(u.Query().Get("host"), ".s.PGSQL.5432"), tmp); err != nil {
		db.t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		db.t.Fatal(err)
	}
}

// postmaster returns the server's process id, which is also its process group's.
func (db *faultDB) postmaster() int {
	b, err := os.ReadFile(filepath.Join(db.dataDir, "postmaster.pid"))
	if err != nil {
		db.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		db.t.Fatal(err)
	}
	return pid
}

// processes returns the postmaster and its children (each backend is a process group of its own,
// so signalling the postmaster's group does not reach them), the postmaster first.
func (db *faultDB) processes() []int {
	pm := db.postmaster()
	pids := []int{pm}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pm) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			pids = append(pids, pid)
		}
	}
	return pids
}

// A fault: what happens to the database, for how long.
type fault struct {
	name string
	do   func(db *faultDB, down time.Duration)
	down time.Duration
}

var (
	// restart: a fast shutdown (open transactions rolled back, clients disconnected), then start.
	restart = func(db *faultDB, down time.Duration) {
		if err := db.cluster.Stop(); err != nil {
			db.t.Fatal(err)
		}
		time.Sleep(down)
		db.start()
	}
	// crash: an immediate shutdown, as if the machine lost power (no checkpoint; crash recovery
	// replays the WAL at start).
	crash = func(db *faultDB, down time.Duration) {
		syscall.Kill(db.postmaster(), syscall.SIGQUIT)
		db.cluster.Stop() // reaps the process; it reports the crash, which is the point
		time.Sleep(down)
		db.start()
	}
	// freeze: every server process stopped (SIGSTOP) with its connections open, as a hung host
	// or a network partition looks to clients.
	freeze = func(db *faultDB, down time.Duration) {
		procs := db.processes()
		for _, pid := range procs {
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				db.t.Fatalf("freezing PostgreSQL: %v", err)
			}
		}
		time.Sleep(down)
		for _, pid := range procs {
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}
)

// serveOn runs "paddles serve" on the database until the test ends, and returns its URL.
func serveOn(t testing.TB, dbURL string, extra ...string) string {
	t.Helper()
	args := append([]string{"--database-url", dbURL, "--expire-interval", "0", "--log-level", "warn"}, extra...)
	s := testserver.StartMain(t, cli.Main, nil, args, func(string) string { return "" })
	t.Cleanup(func() {
		if code := s.Stop(t); code != 0 {
			t.Errorf("serve exited with %d", code)
		}
	})
	s.WaitReady(t)
	return s.URL
}

// outageTransport lets the database-unavailable 503 through after checking it is JSON with a
// message and a Retry-After; every other answer goes through the spec check. When record is set,
// it is told of every answer: when the request was sent, how long it took, and its status.
type outageTransport struct {
	t      testing.TB
	next   http.RoundTripper
	spec   *testserver.Transport
	record func(sent time.Time, d time.Duration, status int)
}

func (o *outageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t0 := time.Now()
	res, err := o.next.RoundTrip(req)
	if err == nil && o.record != nil {
		o.record(t0, time.Since(t0), res.StatusCode)
	}
	if err != nil || res.StatusCode != http.StatusServiceUnavailable {
		if err == nil {
			res, err = o.spec.Check(req, res)
		}
		return res, err
	}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 {
		o.t.Errorf("%s %s: 503 without a Retry-After in seconds (%q)", req.Method, req.URL.Path, res.Header.Get("Retry-After"))
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	var msg struct{ Message *string }
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &msg) != nil || msg.Message == nil {
		o.t.Errorf("%s %s: 503 %q %s is not a JSON message", req.Method, req.URL.Path, res.Header.Get("Content-Type"), body)
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// loadStats counts what the writers saw.
type loadStats struct {
	requests, ok, unavailable, failed atomic.Int64
	exists                            atomic.Int64 // POSTs answered "already exists" (made PUTs)
	maxLatency                        atomic.Int64 // ns
	acked                             sync.Map     // job path -> highest acknowledged step (int)
	// record, when set, is told of every answer (outageTransport.record).
	record func(sent time.Time, d time.Duration, status int)
}

func (s *loadStats) latency(d time.Duration) {
	for {
		cur := s.maxLatency.Load()
		if int64(d) <= cur || s.maxLatency.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// jobSteps are the writes of one job, as teuthology reports it: created queued, then running,
// then finished. The description names the step, so that the database shows which was last.
var jobSteps = []string{
	`{"job_id": %q, "status": "queued", "description": "step 0", "mon.a_kernel_sha1": "abc"}`,
	`{"job_id": %q, "status": "running", "description": "step 1", "targets": {"ubuntu@smithi%03d": "ssh-ed25519 AAAA"}}`,
	`{"job_id": %q, "status": "pass", "success": true, "description": "step 2", "duration": 1234.5}`,
}

// writeLoad runs writers until stop is closed. Each reports its own jobs step by step, and retries
// a step until the server acknowledges it (a POST answered "already exists" becomes a PUT, as
// teuthology does), so every acknowledged step must be in the database afterwards.
func writeLoad(t testing.TB, base string, writers, runs int, stop chan struct{}, st *loadStats) *sync.WaitGroup {
	spec := &testserver.Transport{T: t}
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &outageTransport{t: t, next: &http.Transport{MaxIdleConnsPerHost: 64}, spec: spec, record: st.record}}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				run := fmt.Sprintf("teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi-%d", (w+n)%runs)
				id := fmt.Sprintf("%d-%d", w, n)
				jobPath := "/runs/" + run + "/jobs/" + id + "/"
				for step := 0; step < len(jobSteps); {
					select {
					case <-stop:
						return
					default:
					}
					body := fmt.Sprintf(jobSteps[step], id)
					if step == 1 {
						body = fmt.Sprintf(jobSteps[step], id, n%100)
					}
					method, path := "PUT", jobPath
					if step == 0 {
						method, path = "POST", "/runs/"+run+"/jobs/"
					}
					status, resBody, d, err := send(hc, method, base+path, body)
					st.requests.Add(1)
					st.latency(d)
					switch {
					case err != nil:
						st.failed.Add(1)
						t.Errorf("%s %s: %v after %v", method, path, err, d)
						time.Sleep(50 * time.Millisecond)
					case status == 200:
						st.ok.Add(1)
						st.acked.Store(jobPath, step)
						step++
					case status == 503:
						st.unavailable.Add(1)
						time.Sleep(50 * time.Millisecond)
					case status == 400 && step == 0 && strings.HasSuffix(resBody, `already exists"}`):
						// An earlier POST was written though its answer was lost: report again with PUT.
						st.exists.Add(1)
						status, resBody, d, err = send(hc, "PUT", base+jobPath, body)
						st.requests.Add(1)
						st.latency(d)
						if err == nil && status == 200 {
							st.ok.Add(1)
							st.acked.Store(jobPath, step)
							step++
						}
					default:
						st.failed.Add(1)
						t.Errorf("%s %s: %d %s", method, path, status, resBody)
					}
				}
			}
		}()
	}
	return &wg
}

func send(hc *http.Client, method, u, body string) (int, string, time.Duration, error) {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return 0, "", 0, err
	}
	t0 := time.Now()
	res, err := hc.Do(req)
	if err != nil {
		return 0, "", time.Since(t0), err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), time.Since(t0), err
}

// checkAcked checks that every acknowledged step is in the database: each job's description
// names its last acknowledged step or a later one (a later write may have been committed though
// its answer was lost).
func checkAcked(t testing.TB, dbURL string, st *loadStats) (jobs, steps int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT r.name, j.job_id, coalesce(j.description, ''), j.status FROM jobs j JOIN runs r ON r.id = j.run_id")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for rows.Next() {
		var run, id, desc, status string
		if err := rows.Scan(&run, &id, &desc, &status); err != nil {
			t.Fatal(err)
		}
		stored["/runs/"+run+"/jobs/"+id+"/"] = desc + "/" + status
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	lost := 0
	st.acked.Range(func(k, v any) bool {
		jobs++
		steps += v.(int) + 1
		got, ok := stored[k.(string)]
		want := fmt.Sprintf("step %d/", v.(int))
		if !ok || got < want {
			lost++
			if lost <= 10 {
				t.Errorf("%s: acknowledged up to %q, database has %q", k, want, got)
			}
		}
		return true
	})
	if lost > 0 {
		t.Errorf("%d acknowledged jobs lost or behind", lost)
	}
	// Each report is stored once: no (run, job_id) has two rows (the unique constraint says so;
	// this checks that no retry found a way around it).
	var twice int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM jobs GROUP BY run_id, job_id HAVING count(*) > 1) d").Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice > 0 {
		t.Errorf("%d jobs are stored more than once", twice)
	}
	return jobs, steps
}

// TestDatabaseFaults runs job writers against "paddles serve" while its PostgreSQL is restarted,
// stopped for a while, crashed and frozen. Requests wait for a database that went away (up to the
// request timeout here, which is shorter than --db-outage-wait's default) and run when it is back,
// so an outage shorter than that answers no 503 at all, and no POST "already exists" for a job
// whose first POST the server acknowledged; a freeze longer than the request timeout answers 503
// with Retry-After (never a 500, never later than the timeout). The server recovers by itself,
// and every write it acknowledged is in the database afterwards, once. make reliability runs more
// faults and longer outages.
func TestDatabaseFaults(t *testing.T) {
	t.Parallel()
	db := startFaultDB(t)
	const requestTimeout = 5 * time.Second
	base := serveOn(t, db.url, "--request-timeout", requestTimeout.String())
	// rides: the fault is shorter than the wait, and must answer no 503.
	type ride struct {
		fault
		rides bool
	}
	faults := []ride{{fault{"restart", restart, 0}, true}, {fault{"stop for 2s", restart, 2 * time.Second}, true},
		{fault{"crash", crash, 500 * time.Millisecond}, true}, {fault{"freeze 6s", freeze, 6 * time.Second}, false}}
	if long() {
		for range 4 {
			faults = append(faults, ride{fault{"restart", restart, 0}, true}, ride{fault{"stop for 3s", restart, 3 * time.Second}, true},
				ride{fault{"crash", crash, time.Second}, true}, ride{fault{"freeze 8s", freeze, 8 * time.Second}, false})
		}
	}
	st := &loadStats{}
	stop := make(chan struct{})
	wg := writeLoad(t, base, 8, 4, stop, st)
	defer func() { close(stop); wg.Wait() }()

	hc := &http.Client{Timeout: 20 * time.Second}
	for _, f := range faults {
		time.Sleep(300 * time.Millisecond) // some load on a healthy database first
		before, unavailable, failed, exists := st.ok.Load(), st.unavailable.Load(), st.failed.Load(), st.exists.Load()
		t0 := time.Now()
		f.do(db, f.down)
		// The server recovers by itself: a write succeeds again within 15 s of the database's return.
		back := time.Now()
		for {
			status, body, _, err := send(hc, "POST", base+"/runs/probe/jobs/", fmt.Sprintf(`{"job_id": "%d"}`, back.UnixNano()))
			if err == nil && status == 200 {
				break
			}
			if time.Since(back) > 15*time.Second {
				t.Fatalf("after %s: the server has not recovered in 15 s: %d %s %v", f.name, status, body, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // the writers' requests of the outage are answered
		n503, nExists := st.unavailable.Load()-unavailable, st.exists.Load()-exists
		t.Logf("%-12s database away %v, writes again %v later; %d writes acknowledged meanwhile, %d answered 503, %d POSTs already existed",
			f.name, back.Sub(t0).Round(time.Millisecond), time.Since(back).Round(time.Millisecond), st.ok.Load()-before, n503, nExists)
		if f.rides && (n503 > 0 || nExists > 0 || st.failed.Load() > failed) {
			t.Errorf("%s: %d answers 503 and %d POSTs answered already exists; want none: the outage is shorter than the wait", f.name, n503, nExists)
		}
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	stop = make(chan struct{})
	jobs, steps := checkAcked(t, db.url, st)
	checkCounts(t, db.url)
	// A frozen database holds no request past the server's request timeout (plus the time to
	// cancel the query and answer); the freezes last longer than that, so a request that waited
	// for the database would show.
	if slowest := time.Duration(st.maxLatency.Load()); slowest > requestTimeout+2*time.Second {
		t.Errorf("slowest answer %v, with a request timeout of %v", slowest, requestTimeout)
	}
	t.Logf("%d faults; %d requests: %d acknowledged, %d answered 503, %d failed (5xx other than 503, resets, timeouts), "+
		"%d POSTs already existed; slowest answer %v; %d jobs, %d acknowledged writes, all in the database once",
		len(faults), st.requests.Load(), st.ok.Load(), st.unavailable.Load(), st.failed.Load(), st.exists.Load(),
		time.Duration(st.maxLatency.Load()).Round(time.Millisecond), jobs, steps)
}

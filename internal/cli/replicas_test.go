package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/pgcluster"
	"github.com/ceph/paddles-go/internal/testserver"
)

// topology is a primary PostgreSQL, a hot standby made from it with pg_basebackup -R, and
// server replicas against them.
type topology struct {
	primary, standby *pgcluster.Cluster
	servers          []string // base URLs
	next             atomic.Int64
}

func startTopology(t testing.TB, replicas int, maxLag string) *topology {
	t.Helper()
	ctx := context.Background()
	dir := testserver.PostgresDir(t)
	settings := map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
	var top topology
	var err error
	if top.primary, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(dir, "primary"), Settings: settings}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { top.primary.Stop() })
	if err := top.primary.BaseBackup(ctx, filepath.Join(dir, "standby")); err != nil {
		t.Fatal(err)
	}
	if top.standby, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(dir, "standby"), Settings: settings}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { top.standby.Stop() })
	args := []string{"--database-url", top.primary.URL("postgres"), "--read-database-url", top.standby.URL("postgres"),
		"--max-replica-lag", maxLag, "--expire-interval", "0", "--log-level", "warn"}
	for i := 0; i < replicas; i++ {
		top.servers = append(top.servers, startServe(t, args, env(nil)).URL)
	}
	return &top
}

// url picks the server replicas in turn, as a load balancer would.
func (top *topology) url(path string) string {
	return top.servers[int(top.next.Add(1))%len(top.servers)] + path
}

// do sends a request through a client that checks the response against the spec.
func do(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	return doWith(t, testserver.Client(t), method, url, body)
}

func doWith(t testing.TB, client *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func sqlCount(t *testing.T, url, query string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Three server replicas behave as one server: teuthology-style reports of 20 runs × 50 jobs spread
// over them, and lock_many races across them.
func TestReplicasActAsOne(t *testing.T) {
	top := startTopology(t, 3, "1s")
	const runs, jobs, workers = 20, 50, 12
	type job struct{ run, id int }
	work := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				path := fmt.Sprintf("/runs/teuthology-2026-01-%02d_10:00:00-rados-main-distro-default-smithi/jobs/", j.run+1)
				status := []string{"pass", "fail", "dead"}[(j.run+j.id)%3]
				for _, body := range []string{fmt.Sprintf(`{"job_id": %d, "status": "queued"}`, j.id), fmt.Sprintf(`{"job_id": %d, "status": %q}`, j.id, status)} {
					// POST; on "already exists", PUT, each through the next replica.
					code, answer := do(t, "POST", top.url(path), body)
					if code == 400 && strings.HasSuffix(answer, `already exists"}`) {
						code, answer = do(t, "PUT", top.url(fmt.Sprintf("%s%d/", path, j.id)), body)
					}
					if code != 200 {
						t.Errorf("report: %d %s", code, answer)
					}
				}
			}
		}()
	}
	for r := 0; r < runs; r++ {
		for i := 0; i < jobs; i++ {
			work <- job{r, i}
		}
	}
	close(work)
	wg.Wait()
	primary := top.primary.URL("postgres")
	if n := sqlCount(t, primary, "SELECT count(*) FROM jobs"); n != runs*jobs {
		t.Errorf("%d job rows, want %d", n, runs*jobs)
	}
	if n := sqlCount(t, primary, "SELECT count(*) FROM (SELECT run_id, job_id FROM jobs GROUP BY 1, 2 HAVING count(*) > 1) d"); n != 0 {
		t.Errorf("%d duplicated jobs", n)
	}
	bad := sqlCount(t, primary, `SELECT count(*) FROM runs r, LATERAL (
		SELECT count(*) FILTER (WHERE status = 'pass') AS pass, count(*) FILTER (WHERE status = 'fail') AS fail,
		       count(*) FILTER (WHERE status = 'dead') AS dead, count(*) FILTER (WHERE status = 'queued') AS queued
		FROM jobs j WHERE j.run_id = r.id) c
		WHERE (r.pass_count, r.fail_count, r.dead_count, r.queued_count) IS DISTINCT FROM (c.pass, c.fail, c.dead, c.queued)`)
	if bad != 0 {
		t.Errorf("%d runs whose results disagree with their jobs", bad)
	}
	if n := sqlCount(t, primary, "SELECT count(*) FROM runs WHERE status <> 'finished fail'"); n != 0 {
		t.Errorf("%d runs not finished fail", n)
	}

	for i := 0; i < 10; i++ {
		do(t, "POST", top.url("/nodes/"), fmt.Sprintf(`{"name": "smithi%03d", "machine_type": "smithi", "up": true}`, i))
	}
	var winners atomic.Int64
	var lwg sync.WaitGroup
	for i := 0; i < 20; i++ {
		lwg.Add(1)
		go func(i int) {
			defer lwg.Done()
			code, body := do(t, "POST", top.url("/nodes/lock_many/"), fmt.Sprintf(`{"count": 10, "locked_by": "owner-%d", "machine_type": "smithi", "description": "x"}`, i))
			switch code {
			case 200:
				winners.Add(1)
			case 503:
			default:
				t.Errorf("lock_many: %d %s", code, body)
			}
		}(i)
	}
	lwg.Wait()
	if winners.Load() != 1 {
		t.Errorf("%d lock_many winners across the replicas, want 1", winners.Load())
	}
	if n := sqlCount(t, primary, "SELECT count(DISTINCT locked_by) FROM nodes WHERE locked"); n != 1 {
		t.Errorf("nodes locked by %d owners", n)
	}
}

// A writer reads its own writes through any replica, however far the read replica lags; browse
// reads use the replica while it is close enough, and leave it when it lags or goes away.
func TestReadReplicaRouting(t *testing.T) {
	top := startTopology(t, 2, "1s")
	run := "/runs/teuthology-2026-01-01_10:00:00-rados-main-distro-default-smithi"
	a, b := top.servers[0], top.servers[1]
	// A server that tolerates any lag shows that browse reads really go to the replica.
	tolerant := startServe(t, []string{"--database-url", top.primary.URL("postgres"),
		"--read-database-url", top.standby.URL("postgres"), "--max-replica-lag", "1h", "--expire-interval", "0"}, env(nil)).URL
	if code, body := do(t, "POST", a+run+"/jobs/", `{"job_id": "1", "status": "running"}`); code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	standby, err := pgx.Connect(context.Background(), top.standby.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close(context.Background())
	// Asked of the standby itself: the servers answer a browse read from the primary while the
	// standby fails it (before it has replayed the migrations, it knows no runs table).
	waitFor(t, "the run to reach the replica", func() bool {
		do(t, "GET", b+"/runs/", "") // checked: no 5xx meanwhile
		var n int
		err := standby.QueryRow(context.Background(), "SELECT count(*) FROM jobs WHERE status = 'running'").Scan(&n)
		return err == nil && n == 1
	})
	if _, body := do(t, "GET", b+"/runs/", ""); !strings.Contains(body, `"status":"running"`) {
		t.Fatalf("GET /runs/: %s", body)
	}

	if _, err := standby.Exec(context.Background(), "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	// Written through a, read back through b at once: current, although the replica is stale.
	do(t, "PUT", a+run+"/jobs/1/", `{"status": "pass"}`)
	do(t, "POST", a+run+"/jobs/", `{"job_id": "2", "status": "queued"}`)
	for _, path := range []string{run + "/jobs/1/", run + "/", run + "/jobs/"} {
		if code, body := do(t, "GET", b+path, ""); code != 200 || !strings.Contains(body, `"status":"pass"`) {
			t.Errorf("GET %s through another replica: %d %s", path, code, body)
		}
	}
	if _, body := do(t, "GET", tolerant+"/runs/?fields=status", ""); strings.Contains(body, `"queued"`) {
		t.Errorf("a browse read on the paused replica saw the new job: %s", body)
	}
	// Browse reads leave the replica once its lag passes the limit.
	waitFor(t, "browse reads to leave the lagging replica", func() bool {
		_, body := do(t, "GET", b+"/runs/?fields=status", "")
		return strings.Contains(body, `"queued"`)
	})
	if _, err := standby.Exec(context.Background(), "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}

	// The standby stops mid-load: no request fails.
	var failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				paths := []string{"/runs/", "/runs/status/running/", "/jobs/?count=5", "/runs/branch/"}
				if code, body := do(t, "GET", top.url(paths[i%len(paths)]), ""); code != 200 {
					failed.Add(1)
					t.Errorf("GET with the standby going away: %d %s", code, body)
				}
				if code, body := do(t, "POST", top.url(run+"/jobs/"), fmt.Sprintf(`{"job_id": "w%d-%d"}`, w, i)); code != 200 {
					failed.Add(1)
					t.Errorf("POST with the standby going away: %d %s", code, body)
				}
			}
		}(w)
	}
	time.Sleep(300 * time.Millisecond)
	if err := top.standby.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d requests failed while the standby stopped", failed.Load())
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkBrowseReads measures the web UI's listings through a server reading from the primary
// only and through one browsing on the replica:
// go test ./internal/cli -run XXX -bench BrowseReads -benchtime 5s
func BenchmarkBrowseReads(b *testing.B) {
	top := startTopology(b, 1, "5s")
	primaryOnly := startServe(b, []string{"--database-url", top.primary.URL("postgres"), "--expire-interval", "0", "--log-level", "warn"}, env(nil)).URL
	for r := 0; r < 100; r++ {
		for j := 0; j < 20; j++ {
			do(b, "POST", primaryOnly+fmt.Sprintf("/runs/teuthology-2026-01-%02d_%02d:00:00-rados-main-distro-default-smithi/jobs/", 1+r%28, r%24),
				fmt.Sprintf(`{"job_id": %d, "status": "pass", "branch": "main", "sha1": "abc%d"}`, j, r))
		}
	}
	time.Sleep(time.Second) // the replica catches up
	for _, server := range []struct{ name, base string }{{"primary", primaryOnly}, {"replica", top.servers[0]}} {
		b.Run(server.name, func(b *testing.B) {
			paths := []string{"/runs/?count=100", "/runs/branch/main/?count=100", "/jobs/?count=50", "/runs/branch/main/suite/"}
			var i atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					// Unchecked: the benchmark measures the server, not the spec check.
					if code, _ := doWith(b, http.DefaultClient, "GET", server.base+paths[int(i.Add(1))%len(paths)], ""); code != 200 {
						b.Errorf("status %d", code)
					}
				}
			})
		})
	}
}

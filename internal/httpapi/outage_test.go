package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/cli"
	"github.com/ceph/paddles-go/internal/testserver"
)

// The outage tests (issue 17): requests wait for a database that went away, bounded, and ride
// through a restart, a long outage and a failover behind a proxy. docs/reliability.md has the
// figures.

// childServe is "paddles serve" in a child process (this test binary, re-executed: TestMain), so
// that its memory is its own.
type childServe struct {
	base string
	cmd  *exec.Cmd
	log  *testserver.SyncBuffer
	done chan error
}

func serveChild(t testing.TB, dbURL string, extra ...string) *childServe {
	t.Helper()
	addr := testserver.FreeAddr(t)
	s := &childServe{base: "http://" + addr, log: &testserver.SyncBuffer{}, done: make(chan error, 1)}
	args := append([]string{"serve", "--addr", addr, "--database-url", dbURL, "--expire-interval", "0", "--log-format", "json"}, extra...)
	s.cmd = exec.Command(os.Args[0], args...)
	s.cmd.Env = append(os.Environ(), "PADDLES_TEST_MAIN=1")
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("serve log (last 8 KB):\n%s", tail(s.log.String(), 8<<10))
		}
	})
	testserver.AwaitAnswer(t, s.base+"/", false, testserver.Exited("serve", s.done), s.log)
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// peakRSS returns the child's peak resident set size (VmHWM).
func (s *childServe) peakRSS(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

// logLines counts the child's log lines by message and level.
func (s *childServe) logLines(t testing.TB) map[string]int {
	out := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(s.log.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct{ Msg, Level string }
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			out[l.Level+" "+l.Msg]++
		}
	}
	return out
}

// answer is one request's outcome, as outageTransport.record saw it.
type answer struct {
	sent   time.Time
	d      time.Duration
	status int
}

type answers struct {
	mu  sync.Mutex
	all []answer
}

func (a *answers) record(sent time.Time, d time.Duration, status int) {
	a.mu.Lock()
	a.all = append(a.all, answer{sent, d, status})
	a.mu.Unlock()
}

// TestDatabaseOutage stops PostgreSQL for longer than --db-outage-wait under eight writers. A
// request that arrives while the database is away waits for it: one whose wait ends before the
// database is back answers 503 with Retry-After, at the end of its wait; every other one is
// answered as if nothing had happened (no 5xx at all). A burst of readers beyond the bound on
// waiting requests answers 503 at once. The server logs the outage in two lines, none per
// request, and its memory stays bounded.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	wait, down, burst := 2*time.Second, 3*time.Second, 300
	if long() {
		wait, down, burst = 6*time.Second, 10*time.Second, 1000
	}
	const maxConns, waitersPerConn = 10, 4
	db := startFaultDB(t)
	srv := serveChild(t, db.url, "--request-timeout", "30s", "--db-outage-wait", wait.String(),
		"--db-max-conns", strconv.Itoa(maxConns), "--db-outage-waiters", strconv.Itoa(waitersPerConn))
	// The child is this test binary, whose own start (the contract parsed for the checks, at
	// package init) is in its RSS too: the peak so far is reported with the peak at the end.
	startRSS := srv.peakRSS(t)
	st := &loadStats{}
	writers := &answers{}
	st.record = writers.record
	stop := make(chan struct{})
	wg := writeLoad(t, srv.base, 8, 4, stop, st)
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(500 * time.Millisecond)
	if status, _, _, _ := send(http.DefaultClient, "GET", srv.base+"/readyz/", ""); status != 200 {
		t.Fatalf("/readyz answers %d before the outage", status)
	}

	gone := time.Now()
	if err := db.cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	// Once a request has noticed, /readyz reports the outage at once, and /healthz stays up.
	time.Sleep(300 * time.Millisecond)
	for path, want := range map[string]int{"/readyz/": 503, "/healthz/": 200} {
		status, body, d, err := send(http.DefaultClient, "GET", srv.base+path, "")
		if err != nil || status != want || d > 500*time.Millisecond {
			t.Errorf("during the outage %s answered %d %s in %v (%v); want %d at once", path, status, body, d, err, want)
		}
	}
	// The burst: many readers at once, more than may wait.
	burstAnswers := &answers{}
	hc := &http.Client{Timeout: 40 * time.Second, Transport: &outageTransport{t: t, next: &http.Transport{MaxIdleConnsPerHost: burst},
		spec: &testserver.Transport{T: t}, record: burstAnswers.record}}
	var bwg sync.WaitGroup
	for i := range burst {
		bwg.Add(1)
		go func() {
			defer bwg.Done()
			path := "/runs/?count=5"
			if i%2 == 1 {
				path = "/runs/teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi-0/jobs/0-0/"
			}
			if _, _, _, err := send(hc, "GET", srv.base+path, ""); err != nil {
				t.Errorf("GET %s: %v", path, err)
			}
		}()
	}
	time.Sleep(time.Until(gone.Add(down)))
	db.start()
	back := time.Now()
	bwg.Wait()
	// The writers' requests of the outage are answered, and some more after it.
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	stop = make(chan struct{})
	rss := srv.peakRSS(t)

	// Classify the writers' answers: a request whose wait ended more than a second before the
	// database was back may answer 503 (the prober notices the database within 200 ms, and the
	// pool connects); every other must not answer a 5xx.
	const slack = time.Second
	var ok503, bad, served, waitedServed int
	var slowest503, slowest time.Duration
	writers.mu.Lock()
	for _, a := range writers.all {
		slowest = max(slowest, a.d)
		switch {
		case a.status == 503 && a.sent.Add(wait).Before(back.Add(slack)):
			ok503++
			slowest503 = max(slowest503, a.d)
			if a.d > wait+slack {
				t.Errorf("a 503 after %v, with a wait of %v", a.d, wait)
			}
		case a.status >= 500:
			bad++
			if bad <= 5 {
				t.Errorf("sent %v after the database went away (back after %v), answered %d after %v; its wait was %v",
					a.sent.Sub(gone).Round(time.Millisecond), back.Sub(gone).Round(time.Millisecond), a.status, a.d.Round(time.Millisecond), wait)
			}
		default:
			served++
			if a.sent.After(gone) && a.sent.Before(back) {
				waitedServed++
			}
		}
	}
	writers.mu.Unlock()
	if ok503 == 0 {
		t.Errorf("no writer's request answered 503, though the outage (%v) is longer than the wait (%v)", down, wait)
	}
	if waitedServed == 0 {
		t.Errorf("no request that arrived during the outage was served when the database came back")
	}
	// The burst: at most the bound waited; the others answered 503 at once.
	bound := maxConns * waitersPerConn
	var fast503, waited int
	var slowestFast time.Duration
	for _, a := range burstAnswers.all {
		if a.status == 503 && a.d < 500*time.Millisecond {
			fast503++
			slowestFast = max(slowestFast, a.d)
		} else {
			waited++
		}
	}
	if waited > bound || fast503 < burst-bound {
		t.Errorf("burst of %d: %d waited, %d answered 503 at once; at most %d may wait", burst, waited, fast503, bound)
	}
	logs := srv.logLines(t)
	if logs["WARN the database is unreachable; requests wait for it"] != 1 || logs["INFO the database is back"] != 1 || logs["ERROR request failed"] != 0 {
		t.Errorf("the outage should be logged in two lines and no request failure: %v", logs)
		for _, l := range strings.Split(srv.log.String(), "\n") {
			if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, `"level":"WARN"`) {
				t.Log(l)
			}
		}
	}
	if rss > 128<<20 {
		t.Errorf("peak RSS %d MiB, want at most 128", rss>>20)
	}
	jobs, steps := checkAcked(t, db.url, st)
	checkCounts(t, db.url)
	t.Logf("outage %v (wait %v): writers sent %d requests: %d answered (%d of them sent during the outage), %d answered 503 "+
		"at the end of their wait (slowest %v), %d other 5xx, slowest answer %v; burst of %d readers: %d waited, %d answered 503 "+
		"at once (slowest %v); %d POSTs already existed; peak RSS %d MiB (%d MiB when it started serving); log lines: %d unreachable, %d back, %d request failures; "+
		"%d jobs, %d acknowledged writes, all in the database once",
		back.Sub(gone).Round(time.Millisecond), wait, len(writers.all), served, waitedServed, ok503, slowest503.Round(time.Millisecond),
		bad, slowest.Round(time.Millisecond), burst, waited, fast503, slowestFast.Round(time.Millisecond), st.exists.Load(), rss>>20, startRSS>>20,
		logs["WARN the database is unreachable; requests wait for it"], logs["INFO the database is back"], logs["ERROR request failed"], jobs, steps)
}

// tcpProxy forwards TCP connections to the current backend, a PostgreSQL's Unix socket, as
// HAProxy or PgBouncer in front of a primary does. Switching backends drops every forwarded
// connection; with no backend, new connections are closed at once.
type tcpProxy struct {
	ln      net.Listener
	mu      sync.Mutex
	backend string
	conns   map[net.Conn]bool
	// cut, when set, is a reply (a command tag) that is not forwarded: the first chunk of a
	// backend's answer holding it is dropped with its connection, as if the network failed
	// just then (cutOnReply).
	cut  []byte
	cuts int
}

// cutOnReply drops the next connection whose backend answers tag (a CommandComplete message:
// "INSERT 0 1", "COMMIT", ...), before its client reads the answer.
func (p *tcpProxy) cutOnReply(tag string) {
	p.mu.Lock()
	p.cut = append([]byte{'C', 0, 0, 0, byte(4 + len(tag) + 1)}, append([]byte(tag), 0)...)
	p.mu.Unlock()
}

// cutDone reports how many connections were cut.
func (p *tcpProxy) cutDone() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// copyReplies forwards the backend's answers to the client, unless one is to be cut.
func (p *tcpProxy) copyReplies(c, b net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := b.Read(buf)
		if n > 0 {
			p.mu.Lock()
			cut := p.cut != nil && bytes.Contains(buf[:n], p.cut)
			if cut {
				p.cut = nil
				p.cuts++
			}
			p.mu.Unlock()
			if cut {
				return
			}
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func startProxy(t testing.TB, backend string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, backend: backend, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.switchTo("") })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	return p
}

func (p *tcpProxy) forward(c net.Conn) {
	p.mu.Lock()
	backend := p.backend
	p.mu.Unlock()
	var b net.Conn
	var err error
	if backend != "" {
		b, err = net.Dial("unix", backend)
	}
	if backend == "" || err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.backend != backend {
		p.mu.Unlock()
		c.Close()
		b.Close()
		return
	}
	p.conns[c], p.conns[b] = true, true
	p.mu.Unlock()
	go func() { io.Copy(b, c); b.Close(); c.Close() }()
	p.copyReplies(c, b)
	c.Close()
	b.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, b)
	p.mu.Unlock()
}

// switchTo sends new connections to backend ("": none), dropping the forwarded ones.
func (p *tcpProxy) switchTo(backend string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backend = backend
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// socket returns the Unix socket of db's current server, a new address at every start.
func (db *faultDB) socket() string {
	db.t.Helper()
	u, err := url.Parse(db.cluster.URL("postgres"))
	if err != nil {
		db.t.Fatal(err)
	}
	return filepath.Join(u.Query().Get("host"), ".s.PGSQL.5432")
}

// TestDatabaseFailover reaches PostgreSQL through a TCP proxy, as behind HAProxy or PgBouncer,
// and fails over under eight writers: the primary crashes, the proxy drops every connection and
// refuses new ones, and a server on the same data under a new address (a promoted standby, as far
// as the paddles server can tell) takes over, the proxy now sending connections there. The
// server rides through it as through a restart: no 5xx, no POST answered "already exists",
// every acknowledged write in the database once.
func TestDatabaseFailover(t *testing.T) {
	t.Parallel()
	db := startFaultDB(t)
	proxy := startProxy(t, db.socket())
	proxyURL := fmt.Sprintf("postgres://postgres@%s/paddles?sslmode=disable", proxy.ln.Addr())
	base := serveOn(t, proxyURL, "--request-timeout", "10s")
	st := &loadStats{}
	stop := make(chan struct{})
	wg := writeLoad(t, base, 8, 4, stop, st)
	defer func() { close(stop); wg.Wait() }()
	var gaps []string
	for range scaled(1, 5) {
		time.Sleep(500 * time.Millisecond)
		before := st.ok.Load()
		t0 := time.Now()
		old := db.postmaster()
		syscall.Kill(old, syscall.SIGQUIT)
		proxy.switchTo("") // the proxy's health check finds the primary gone
		db.cluster.Stop()
		time.Sleep(500 * time.Millisecond) // the standby is promoted
		db.start()
		proxy.switchTo(db.socket())
		back := time.Now()
		for st.ok.Load() == before {
			if time.Since(back) > 15*time.Second {
				t.Fatal("no write acknowledged within 15 s of the failover")
			}
			time.Sleep(5 * time.Millisecond)
		}
		gaps = append(gaps, fmt.Sprintf("away %v, writes again %v later", back.Sub(t0).Round(time.Millisecond),
			time.Since(back).Round(time.Millisecond)))
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	stop = make(chan struct{})
	if st.unavailable.Load() > 0 || st.failed.Load() > 0 || st.exists.Load() > 0 {
		t.Errorf("%d answers 503, %d failed, %d POSTs answered already exists; want none", st.unavailable.Load(), st.failed.Load(), st.exists.Load())
	}
	jobs, steps := checkAcked(t, db.url, st)
	checkCounts(t, db.url)
	sort.Strings(gaps)
	t.Logf("%d failovers (%s); %d requests: %d acknowledged, %d answered 503, %d failed, %d POSTs already existed; "+
		"slowest answer %v; %d jobs, %d acknowledged writes, all in the database once",
		len(gaps), strings.Join(gaps, "; "), st.requests.Load(), st.ok.Load(), st.unavailable.Load(), st.failed.Load(),
		st.exists.Load(), time.Duration(st.maxLatency.Load()).Round(time.Millisecond), jobs, steps)
}

// TestLostAnswers loses the database's answer to one statement of a request (a proxy drops the
// connection as the answer comes), at the points that decide whether the request may run again:
//
//   - a job POST's insert, committed (an implicit transaction, committed at its Sync) but not
//     answered: the POST runs again, finds its own job there, and succeeds; the job is stored once.
//   - a job PUT's write, likewise: it runs again and answers as the first would have.
//   - a job DELETE's statement, before its COMMIT was sent: it runs again and succeeds.
//   - a job DELETE's COMMIT: it may have committed, and a DELETE run again would answer 404; it
//     answers 503 with Retry-After (the job is gone: the commit went through).
//   - a read's COMMIT: it runs again.
func TestLostAnswers(t *testing.T) {
	t.Parallel()
	db := startFaultDB(t)
	proxy := startProxy(t, db.socket())
	proxyURL := fmt.Sprintf("postgres://postgres@%s/paddles?sslmode=disable", proxy.ln.Addr())
	srv := testserver.StartMain(t, cli.Main, nil, []string{"--database-url", proxyURL, "--expire-interval", "0", "--log-level", "debug"},
		func(string) string { return "" })
	srv.WaitReady(t)
	hc := &http.Client{Timeout: 20 * time.Second}
	const run = "/runs/teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi/"
	do := func(method, path, body string, want int) http.Header {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Errorf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, want)
		}
		return res.Header
	}
	do("POST", run+"jobs/", `{"job_id": "1", "status": "queued"}`, 200) // the run exists from here on
	for _, tc := range []struct {
		name, tag, method, path, body string
		want                          int
	}{
		{"POST, insert committed", "INSERT 0 1", "POST", run + "jobs/", `{"job_id": "2", "status": "queued"}`, 200},
		{"PUT, update committed", "UPDATE 1", "PUT", run + "jobs/2/", `{"status": "running"}`, 200},
		{"DELETE, before COMMIT", "DELETE 1", "DELETE", run + "jobs/1/", "", 200},
		{"DELETE, COMMIT", "COMMIT", "DELETE", run + "jobs/2/", "", 503},
		{"read, COMMIT", "COMMIT", "GET", run + "jobs/", "", 200},
	} {
		cuts := proxy.cutDone()
		proxy.cutOnReply(tc.tag)
		h := do(tc.method, tc.path, tc.body, tc.want)
		if proxy.cutDone() != cuts+1 {
			t.Errorf("%s: no answer %q was cut", tc.name, tc.tag)
		}
		if tc.want == 503 && h.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", tc.name)
		}
	}
	// The POST was stored once, the PUT applied, both DELETEs committed.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var jobs int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM jobs").Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 0 {
		t.Errorf("%d jobs left; want none (both deleted)", jobs)
	}
	if n := strings.Count(srv.Logs.String(), "a job POST whose commit was not answered had committed"); n != 1 {
		t.Errorf("the POST's retry found its own job %d times, want once", n)
	}
	checkCounts(t, db.url)
}

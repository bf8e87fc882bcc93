package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

// The shutdown tests run the real command, main() and its signal handling included, in a child
// process: this test binary, re-executed with PADDLES_TEST_MAIN set.
func TestMain(m *testing.M) {
	if os.Getenv("PADDLES_TEST_MAIN") == "1" {
		main()
		return
	}
	pgtest.Main(m, nil)
}

// server is a "paddles serve" child process.
type server struct {
	cmd  *exec.Cmd
	base string
	log  *testserver.SyncBuffer
	done chan error
}

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	addr := testserver.FreeAddr(t)
	s := &server{base: "http://" + addr, log: &testserver.SyncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(os.Args[0], append([]string{"serve", "--addr", addr, "--log-format", "json", "--expire-interval", "0"}, args...)...)
	s.cmd.Env = append(os.Environ(), "PADDLES_TEST_MAIN=1")
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("server log:\n%s", s.log)
		}
	})
	testserver.AwaitAnswer(t, s.base+"/", false, testserver.Exited("serve", s.done), s.log)
	return s
}

// accepted returns the status the server logged for each request id it answered.
func (s *server) accepted(t *testing.T) map[string]int {
	out := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(s.log.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Msg       string `json:"msg"`
			Status    int    `json:"status"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "request" {
			out[l.RequestID] = l.Status
		}
	}
	return out
}

// outcome is what one client request got.
type outcome struct {
	id      string
	method  string
	path    string
	status  int
	err     error
	started time.Time
	ended   time.Time
}

// TestSIGTERMUnderLoad sends SIGTERM to "paddles serve" while clients post and update jobs over
// keep-alive connections and slow clients are in the middle of sending their bodies. Every request
// the server accepted (logged) is answered to its client, none of them with an error or a reset;
// the slow uploads in flight at the signal complete; every acknowledged write is in the database;
// the server exits 0 within the grace period. A request refused (connection refused, or an idle
// connection closed before the server read the request) was never accepted, and says so.
// make reliability (PADDLES_RELIABILITY=long) repeats it 20 times.
func TestSIGTERMUnderLoad(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	rounds := 1
	if os.Getenv("PADDLES_RELIABILITY") == "long" {
		rounds = 20
	}
	for round := range rounds {
		if !t.Run(fmt.Sprint("round ", round), func(t *testing.T) { sigtermUnderLoad(t, dbURL, round) }) {
			break
		}
	}
}

func sigtermUnderLoad(t *testing.T, dbURL string, round int) {
	const grace = 10 * time.Second
	s := startServer(t, "--database-url", dbURL, "--shutdown-grace", grace.String())

	var (
		mu       sync.Mutex
		outcomes []outcome
		seq      atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	sigterm := make(chan struct{})
	record := func(o outcome) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}
	do := func(hc *http.Client, method, path string, body io.Reader) outcome {
		o := outcome{id: fmt.Sprintf("req-%d", seq.Add(1)), method: method, path: path, started: time.Now()}
		req, _ := http.NewRequest(method, s.base+path, body)
		req.Header.Set("X-Request-Id", o.id)
		res, err := hc.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			o.status = res.StatusCode
		}
		o.err, o.ended = err, time.Now()
		record(o)
		return o
	}

	// Fast clients: teuthology's reports, over keep-alive connections, until the server is gone.
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
			for n := 0; !stop.Load(); n++ {
				run := fmt.Sprintf("shutdown-%d-%d", round, w%3)
				o := do(hc, "POST", "/runs/"+run+"/jobs/", strings.NewReader(fmt.Sprintf(`{"job_id": "%d-%d", "status": "running"}`, w, n)))
				if o.err == nil && o.status == 200 {
					o = do(hc, "PUT", fmt.Sprintf("/runs/%s/jobs/%d-%d/", run, w, n), strings.NewReader(`{"status": "pass", "success": true}`))
				}
				if errors.Is(o.err, syscall.ECONNREFUSED) {
					return // the server has stopped listening
				}
				if o.err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	// Slow clients: half their body sent before the signal, the rest 300 ms after it.
	const slow = 4
	var slowStarted sync.WaitGroup
	for i := range slow {
		wg.Add(1)
		slowStarted.Add(1)
		go func() {
			defer wg.Done()
			pr, pw := io.Pipe()
			body := fmt.Sprintf(`{"job_id": "slow-%d", "status": "pass", "description": %q}`, i, strings.Repeat("x", 64<<10))
			go func() {
				pw.Write([]byte(body[:len(body)/2]))
				slowStarted.Done()
				<-sigterm
				time.Sleep(300 * time.Millisecond)
				pw.Write([]byte(body[len(body)/2:]))
				pw.Close()
			}()
			o := do(&http.Client{Timeout: 30 * time.Second}, "POST", fmt.Sprintf("/runs/shutdown-%d-slow/jobs/", round), pr)
			if o.err != nil || o.status != 200 {
				t.Errorf("slow upload in flight at SIGTERM: %d %v", o.status, o.err)
			}
		}()
	}
	slowStarted.Wait()
	time.Sleep(time.Duration(500+seq.Load()%200) * time.Millisecond) // some load first
	t0 := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	close(sigterm)
	var exitErr error
	select {
	case exitErr = <-s.done:
	case <-time.After(grace + 5*time.Second):
		t.Fatalf("the server did not exit within %v of SIGTERM", grace+5*time.Second)
	}
	exited := time.Since(t0)
	stop.Store(true)
	wg.Wait()
	if exitErr != nil {
		t.Errorf("the server exited with %v", exitErr)
	}
	if exited > grace {
		t.Errorf("the server took %v to exit, grace %v", exited, grace)
	}

	logged := s.accepted(t)
	var ok, refused, dropped, inFlight int
	acked := map[string]bool{}
	for _, o := range outcomes {
		status, accepted := logged[o.id]
		switch {
		case o.err == nil && accepted && status == o.status:
			ok++
			if o.started.Before(t0) && o.ended.After(t0) {
				inFlight++
			}
			if o.method == "POST" && o.status == 200 {
				acked[o.path+o.id] = true
			}
		case errors.Is(o.err, syscall.ECONNREFUSED):
			refused++
		case o.err != nil && !accepted:
			dropped++ // sent on a keep-alive connection the server closed as idle, unread
		case o.err != nil:
			t.Errorf("%s %s (%s): the server accepted it (logged %d) but the client got %v", o.method, o.path, o.id, status, o.err)
		default:
			t.Errorf("%s %s (%s): client got %d, server logged %d (accepted %v)", o.method, o.path, o.id, o.status, status, accepted)
		}
		if o.err == nil && o.status != 200 {
			t.Errorf("%s %s: %d", o.method, o.path, o.status)
		}
	}
	// Every acknowledged job is in the database.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var jobs int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.name LIKE $1", fmt.Sprintf("shutdown-%d-%%", round)).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs < len(acked) {
		t.Errorf("%d jobs in the database, %d POSTs acknowledged", jobs, len(acked))
	}
	t.Logf("%d requests: %d answered (%d of them in flight at SIGTERM, %d slow uploads among them), %d refused after it (connection refused), "+
		"%d sent on idle connections the server closed, unread; %d jobs acknowledged, %d stored; exit %v after SIGTERM",
		len(outcomes), ok, inFlight, slow, refused, dropped, len(acked), jobs, exited.Round(time.Millisecond))
	if inFlight < slow {
		t.Errorf("only %d requests were in flight at SIGTERM", inFlight)
	}
}

// TestSIGTERMGraceRunsOut: a client that never finishes its request cannot keep the server up: it
// exits once the grace period is over, reporting the shutdown as forced.
func TestSIGTERMGraceRunsOut(t *testing.T) {
	t.Parallel()
	const grace = time.Second
	s := startServer(t, "--database-url", pgtest.NewDatabase(t), "--shutdown-grace", grace.String())
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /runs/r/jobs/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"job_id\": ")
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(s.log.String(), "shutting down: context deadline exceeded") {
			t.Errorf("exit %v; want 1 and the forced shutdown reported", err)
		}
		if d := time.Since(t0); d < grace || d > grace+2*time.Second {
			t.Errorf("exited %v after SIGTERM, grace %v", d, grace)
		}
	case <-time.After(grace + 10*time.Second):
		t.Fatal("the server did not exit")
	}
}

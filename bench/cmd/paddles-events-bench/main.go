// Command paddles-events-bench measures GET /events/ against issue 19's targets: two replicas of
// `paddles serve` on one PostgreSQL of its own; job writes through one replica at a fixed rate
// while a subscriber on the other measures how long each event takes to reach it (from the
// start of the write that made it, an upper bound of the time from its commit); then the RSS that
// 1,000 idle subscribers add to the replica taking the writes, and the write throughput with and
// without them (alternating, at full speed). `make bench-events` runs it, by hand (not in CI); it
// writes bench/results/events.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/pgcluster"
)

type config struct {
	bin, out, dataDir     string
	rate, writers, idle   int
	duration, throughputT time.Duration
}

func main() {
	c := &config{}
	flag.StringVar(&c.bin, "bin", "bin/paddles", "the paddles binary")
	flag.StringVar(&c.out, "out", "bench/results", "where events.md goes")
	flag.IntVar(&c.rate, "rate", 500, "job writes a second during the latency phase")
	flag.IntVar(&c.writers, "writers", 8, "concurrent writers")
	flag.IntVar(&c.idle, "idle", 1000, "idle subscribers")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "length of the latency phase")
	flag.DurationVar(&c.throughputT, "slice", 5*time.Second, "length of each throughput slice (3 with, 3 without subscribers)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(context.Background(), c, log); err != nil {
		log.Error("events bench failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c *config, log *slog.Logger) error {
	dir, err := os.MkdirTemp("", "events-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // PostgreSQL may run as another user (as root: postgres)
		return err
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(dir, "pgdata"), Log: io.Discard})
	if err != nil {
		return err
	}
	defer cluster.Stop()
	conn, err := pgx.Connect(ctx, cluster.URL("postgres"))
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE paddles")
	conn.Close(ctx)
	if err != nil {
		return err
	}
	dbURL := cluster.URL("paddles")
	a, err := startServer(c.bin, dbURL, filepath.Join(dir, "a.log"))
	if err != nil {
		return err
	}
	defer a.stop()
	b, err := startServer(c.bin, dbURL, filepath.Join(dir, "b.log"))
	if err != nil {
		return err
	}
	defer b.stop()

	// Latency across replicas at a fixed rate.
	sent := sync.Map{} // "run/job/status" -> the write's start
	var latencies []time.Duration
	var mu sync.Mutex
	subCtx, stopSub := context.WithCancel(ctx)
	received := make(chan struct{})
	go func() {
		defer close(received)
		_ = subscribe(subCtx, b.base+"/events/?types=job", func(data []byte) {
			now := time.Now()
			var ev struct{ Run, JobID, To string }
			var raw map[string]any
			if json.Unmarshal(data, &raw) != nil {
				return
			}
			ev.Run, _ = raw["run"].(string)
			ev.JobID, _ = raw["job_id"].(string)
			ev.To, _ = raw["to"].(string)
			if t0, ok := sent.Load(ev.Run + "/" + ev.JobID + "/" + ev.To); ok {
				mu.Lock()
				latencies = append(latencies, now.Sub(t0.(time.Time)))
				mu.Unlock()
			}
		})
	}()
	time.Sleep(500 * time.Millisecond)
	log.Info("latency phase", "rate", c.rate, "duration", c.duration)
	writes, errs := load(ctx, a.base, c.writers, c.rate, c.duration, "lat", func(key string) { sent.Store(key, time.Now()) })
	time.Sleep(2 * time.Second) // the last events arrive
	stopSub()
	<-received
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })

	// Idle subscribers: RSS, and write throughput with and without them.
	rss0 := rss(a.pid())
	stopIdle := openIdle(ctx, a.base, c.idle)
	time.Sleep(time.Second)
	rss1 := rss(a.pid())
	log.Info("idle subscribers open", "n", c.idle, "rss_before_mib", rss0>>20, "rss_after_mib", rss1>>20)
	var with, without []float64
	for slice := range 6 {
		idle := slice%2 == 0
		switch {
		case !idle:
			stopIdle()
		case slice > 0:
			stopIdle = openIdle(ctx, a.base, c.idle)
		}
		n, _ := load(ctx, a.base, c.writers, 0, c.throughputT, fmt.Sprintf("tp%d", slice), nil)
		perS := float64(n) / c.throughputT.Seconds()
		if idle {
			with = append(with, perS)
		} else {
			without = append(without, perS)
		}
		log.Info("throughput slice", "idle_subscribers", idle, "writes_per_s", int(perS))
	}
	stopIdle()
	return report(c, writes, errs, latencies, rss0, rss1, with, without)
}

// openIdle opens n streams that no write concerns (each of its own run) and returns once all are
// open; the function it returns closes them and waits until they are.
func openIdle(ctx context.Context, base string, n int) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var open atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = subscribe(ctx, fmt.Sprintf("%s/events/?run=idle-%d", base, i), func([]byte) {}, &open)
		}()
	}
	for open.Load() < int64(n) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	return func() { cancel(); wg.Wait() }
}

// load writes jobs through base: each worker POSTs a queued job and PUTs it running, then pass,
// at rate writes a second in all (0: as fast as it can), for d. note gets each write's
// "run/job/status" key as it starts.
func load(ctx context.Context, base string, workers, rate int, d time.Duration, prefix string, note func(string)) (int64, int64) {
	var n, errs atomic.Int64
	deadline := time.Now().Add(d)
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		tick = t.C
	}
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := fmt.Sprintf("teuthology-2026-01-15_10:20:30-%s%d-main-distro-default-smithi", prefix, w)
			for j := 0; time.Now().Before(deadline); j++ {
				for _, step := range []struct{ method, status string }{{"POST", "queued"}, {"PUT", "running"}, {"PUT", "pass"}} {
					if tick != nil {
						<-tick
					}
					url := base + "/runs/" + run + "/jobs/"
					body := fmt.Sprintf(`{"job_id": "%d", "status": %q}`, j, step.status)
					if step.method == "PUT" {
						url += strconv.Itoa(j) + "/"
						body = fmt.Sprintf(`{"status": %q}`, step.status)
					}
					if note != nil {
						note(fmt.Sprintf("%s/%d/%s", run, j, step.status))
					}
					req, _ := http.NewRequestWithContext(ctx, step.method, url, strings.NewReader(body))
					res, err := hc.Do(req)
					if err != nil || res.StatusCode != 200 {
						errs.Add(1)
					} else {
						n.Add(1)
					}
					if res != nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			}
		}()
	}
	wg.Wait()
	return n.Load(), errs.Load()
}

// subscribe reads an event stream until ctx ends, calling fn with each event's data; opened, when
// given, counts the streams open.
func subscribe(ctx context.Context, url string, fn func([]byte), opened ...*atomic.Int64) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("%s: %d", url, res.StatusCode)
	}
	for _, o := range opened {
		o.Add(1)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if d, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok {
			fn(d)
		}
	}
	return nil
}

type server struct {
	cmd  *exec.Cmd
	base string
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

func startServer(bin, dbURL, logPath string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--database-url", dbURL, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr}
	for range 600 {
		if res, err := http.Get(s.base + "/readyz/"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("the server did not get ready; see " + logPath)
}

// rss reads a process's resident set size, in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func report(c *config, writes, errs int64, lat []time.Duration, rss0, rss1 int64, with, without []float64) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# GET /events/ (issue 19)\n\n`%s`, %s; two replicas of `paddles serve` on one PostgreSQL, %d writers.\n\n",
		strings.TrimSpace("make bench-events "+strings.Join(os.Args[1:], " ")), time.Now().UTC().Format("2006-01-02 15:04 UTC"), c.writers)
	fmt.Fprintf(&b, "| measure | value | target |\n|---|---|---|\n")
	p99 := pct(lat, 0.99)
	fmt.Fprintf(&b, "| job writes through replica A | %d in %v (%.0f/s), %d errors | 500/s |\n", writes, c.duration, float64(writes)/c.duration.Seconds(), errs)
	fmt.Fprintf(&b, "| events received on replica B | %d of %d writes | every one |\n", len(lat), writes)
	fmt.Fprintf(&b, "| latency from the write's start: p50 / p99 / max | %v / %v / %v | p99 ≤ 1 s: %s |\n",
		pct(lat, 0.5).Round(time.Millisecond), p99.Round(time.Millisecond), pct(lat, 1).Round(time.Millisecond), verdict(p99 <= time.Second))
	extra := rss1 - rss0
	fmt.Fprintf(&b, "| RSS of replica A: before / with %d idle subscribers | %d / %d MiB (+%d MiB) | ≤ +64 MiB: %s |\n",
		c.idle, rss0>>20, rss1>>20, extra>>20, verdict(extra <= 64<<20))
	slow := 1 - mean(with)/mean(without)
	fmt.Fprintf(&b, "| write throughput (full speed) without / with them | %.0f / %.0f writes/s (%+.1f%%) | ≤ 5%% slower: %s |\n",
		mean(without), mean(with), -100*slow, verdict(slow <= 0.05))
	fmt.Fprintf(&b, "\nThroughput slices (alternating, %v each): without %v, with %v.\n", c.throughputT, rounded(without), rounded(with))
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(filepath.Join(c.out, "events.md"), []byte(b.String()), 0o644)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func rounded(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

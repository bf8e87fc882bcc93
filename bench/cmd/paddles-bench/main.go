// Command paddles-bench measures the paddles server: it starts the repository's binary (on a
// PostgreSQL of its own under the output directory, or on a given database), seeds a
// teuthology-shaped data set, runs write and read phases against the API over HTTP, runs the same
// SQL straight from Go over pgx (the floor) at the same concurrency, and writes a Markdown table
// and the raw figures as JSON. `make bench` runs it; see docs/performance.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/database"
)

type config struct {
	size         string
	jobs         int
	concurrency  int
	duration     time.Duration
	warmup       time.Duration
	databaseURL  string
	server       string
	serverArgs   string
	out          string
	phases       string
	profile      bool
	keep         bool
	baseline     string
	seed         uint64
	runsPageSize int
	verify       int
	latencyPass  bool
	slices       int
	dataDir      string
	reuse        bool
	rejudge      string
}

// sizes are the named data sets; lab is the Ceph lab's size (about 8.3 million jobs in 2026).
var sizes = map[string]int{"tiny": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000, "lab": 8_500_000}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseFlags() (*config, error) {
	c := &config{runsPageSize: 100}
	fs := flag.NewFlagSet("paddles-bench", flag.ContinueOnError)
	fs.StringVar(&c.size, "size", env("BENCH_SIZE", "10k"), "data set: tiny (1k jobs), 10k, 100k, 1m, lab (8.5M), or a number of jobs [BENCH_SIZE]")
	fs.IntVar(&c.concurrency, "concurrency", envInt("BENCH_CONCURRENCY", 8), "concurrent clients, API and floor alike [BENCH_CONCURRENCY]")
	dur := fs.String("duration", env("BENCH_DURATION", ""), "measured time per phase and side (default 5s; tiny: 300ms) [BENCH_DURATION]")
	warm := fs.String("warmup", env("BENCH_WARMUP", ""), "unmeasured time before each phase and side (default 1s; tiny: 100ms) [BENCH_WARMUP]")
	fs.StringVar(&c.databaseURL, "database-url", env("BENCH_DATABASE_URL", ""), "an empty PostgreSQL database for the server; empty: the server starts its own under the output directory [BENCH_DATABASE_URL]")
	fs.StringVar(&c.server, "server", env("BENCH_SERVER", "bin/paddles"), "the paddles binary [BENCH_SERVER]")
	fs.StringVar(&c.serverArgs, "server-args", env("BENCH_SERVER_ARGS", ""), "extra flags for paddles serve, space-separated [BENCH_SERVER_ARGS]")
	fs.StringVar(&c.out, "out", env("BENCH_OUT", "bench/results"), "where results (and, while running, the data directory) go [BENCH_OUT]")
	fs.StringVar(&c.dataDir, "data-dir", env("BENCH_DATA_DIR", ""), "where the server's PostgreSQL and log go while the benchmark runs (default <out>/<size>.tmp; when root, the postgres user must be able to enter it) [BENCH_DATA_DIR]")
	fs.StringVar(&c.phases, "phases", env("BENCH_PHASES", ""), "a regexp: run only the phases it matches [BENCH_PHASES]")
	fs.BoolVar(&c.profile, "profile", env("BENCH_PROFILE", "") != "", "save a server CPU profile of each API phase in <out>/<size>.pprof/ (serves pprof on loopback) [BENCH_PROFILE]")
	fs.BoolVar(&c.keep, "keep", env("BENCH_KEEP", "") != "", "keep the data directory [BENCH_KEEP]")
	fs.StringVar(&c.baseline, "baseline", env("BENCH_BASELINE", ""), "an earlier result (JSON) to compare p99s with; default <out>/10k.json for larger sizes [BENCH_BASELINE]")
	fs.BoolVar(&c.latencyPass, "latency-pass", env("BENCH_LATENCY_PASS", "1") != "0", "run each read phase a second time at concurrency 1 [BENCH_LATENCY_PASS=0 turns it off]")
	fs.BoolVar(&c.reuse, "reuse", env("BENCH_REUSE", "") != "", "reuse the data directory a previous run kept (BENCH_KEEP) instead of seeding anew; for profiling, not for figures [BENCH_REUSE]")
	fs.IntVar(&c.slices, "slices", envInt("BENCH_SLICES", 3), "floor and API alternate this many times per phase, each slice a share of the duration and warmup [BENCH_SLICES]")
	seed := fs.Uint64("seed", 1, "data generator seed")
	fs.IntVar(&c.verify, "verify", 20, "seeded jobs (and their runs) to read back through the API")
	fs.StringVar(&c.rejudge, "rejudge", "", "measure nothing: judge an earlier result (JSON) against the baseline again and rewrite its files")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return nil, err
	}
	c.seed = *seed
	c.size = strings.ToLower(c.size)
	if n, ok := sizes[c.size]; ok {
		c.jobs = n
	} else if n, err := strconv.Atoi(c.size); err == nil && n > 0 {
		c.jobs = n
	} else {
		return nil, fmt.Errorf("BENCH_SIZE %q: want tiny, 10k, 100k, 1m, lab or a number of jobs", c.size)
	}
	c.duration, c.warmup = 5*time.Second, time.Second
	if c.size == "tiny" { // proves it works, measures nothing
		c.duration, c.warmup = 300*time.Millisecond, 100*time.Millisecond
		c.latencyPass = os.Getenv("BENCH_LATENCY_PASS") == "1"
		c.slices = envInt("BENCH_SLICES", 1)
	}
	for _, d := range []struct {
		s string
		p *time.Duration
	}{{*dur, &c.duration}, {*warm, &c.warmup}} {
		if d.s != "" {
			v, err := time.ParseDuration(d.s)
			if err != nil {
				return nil, err
			}
			*d.p = v
		}
	}
	if c.slices < 1 {
		c.slices = 1
	}
	if c.concurrency < 1 {
		return nil, errors.New("concurrency must be at least 1")
	}
	if c.rejudge != "" {
		return c, nil
	}
	if c.baseline == "" && c.size != "10k" && c.size != "tiny" {
		if _, err := os.Stat(filepath.Join(c.out, "10k.json")); err == nil {
			c.baseline = filepath.Join(c.out, "10k.json")
		}
	}
	return c, nil
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// bench holds what the phases share.
type bench struct {
	cfg     *config
	w       *world
	client  *http.Client
	base    string
	floor   *floor
	started time.Time
	log     *slog.Logger
}

func main() {
	c, err := parseFlags()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err == nil && c.rejudge != "" {
		err = rejudge(c)
	} else if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = run(ctx, c, log)
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "paddles-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c *config, log *slog.Logger) (err error) {
	res := &Result{
		Label:   c.size,
		Started: time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Command: command(c),
		Machine: machine(),
		Config: map[string]any{
			"concurrency": c.concurrency, "duration per phase and side": c.duration.String(),
			"warmup per phase and side": c.warmup.String(), "server": c.server + " serve --expire-interval 0 " + c.serverArgs,
			"database":      map[bool]string{true: "the server's own PostgreSQL (default settings)", false: "given URL"}[c.databaseURL == ""],
			"slices":        c.slices,
			"floor pool":    fmt.Sprintf("the server's settings (database.Open) with %d connections", c.concurrency),
			"minimal floor": "write phases: one statement a write, one round trip (bench/cmd/paddles-bench/minfloor.go), on the floor's pool",
			"data seed":     c.seed,
		},
		Baseline: c.baseline,
	}
	var baseline map[string][2]float64
	if c.baseline != "" {
		if baseline, err = loadBaseline(c.baseline); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
	}
	tmp := c.dataDir
	if tmp == "" {
		tmp = filepath.Join(c.out, c.size+".tmp")
	}
	if c.reuse {
		c.keep = true
	} else if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(tmp)
	}

	// The server.
	args := []string{"--expire-interval", "0"}
	var pprofAddr string
	if c.profile {
		pprofAddr = "127.0.0.1:" + strconv.Itoa(freePort())
		args = append(args, "--pprof-addr", pprofAddr)
		if err := os.MkdirAll(filepath.Join(c.out, c.size+".pprof"), 0o755); err != nil {
			return err
		}
	}
	dataDir, _ := filepath.Abs(filepath.Join(tmp, "data"))
	if c.databaseURL == "" {
		args = append(args, "--database-url=", "--data-dir", dataDir)
	} else {
		args = append(args, "--database-url", c.databaseURL)
	}
	args = append(args, strings.Fields(c.serverArgs)...)
	log.Info("starting the server", "bin", c.server, "args", strings.Join(args, " "))
	srv, err := startServer(ctx, c.server, args, os.Environ(), filepath.Join(tmp, "server.log"))
	if err != nil {
		return err
	}
	defer func() {
		if serr := srv.stop(); err == nil && serr != nil {
			err = serr
		}
	}()
	time.Sleep(time.Second)
	res.Memory.IdleStartKiB, _, _ = memory(srv.pid())
	dbURL := c.databaseURL
	if dbURL == "" {
		if dbURL, err = localDatabaseURL(dataDir); err != nil {
			return err
		}
	}

	// The data.
	// The data set's clock: now, or when the reused data set was made.
	nowFile := filepath.Join(tmp, "seeded-at")
	seededAt := time.Now()
	if c.reuse {
		if b, err := os.ReadFile(nowFile); err == nil {
			if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b))); err == nil {
				seededAt = t
			}
		}
	}
	w := newWorld(c.seed, c.jobs, seededAt)
	res.Data.Runs, res.Data.Jobs, res.Data.Nodes = len(w.runs), w.jobs, len(w.nodes)
	for _, s := range w.runs {
		if s.njobs == 100 {
			res.Data.RunsOf100Jobs++
		}
	}
	var bodyBytes int
	for i := 0; i < 100; i++ {
		s := w.runs[i%len(w.runs)]
		j := w.job(s, i%s.njobs)
		bodyBytes += len(w.body(&j, j.status, true))
	}
	res.Data.AvgBodyBytes = bodyBytes / 100
	seedPool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer seedPool.Close()
	var seeded bool
	if err := seedPool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM runs)").Scan(&seeded); err != nil {
		return err
	}
	if c.reuse && seeded {
		log.Info("reusing the data set seeded by an earlier run")
		res.Config["reused data"] = true
	} else {
		log.Info("seeding", "runs", len(w.runs), "jobs", w.jobs, "nodes", len(w.nodes))
		if res.Data.SeedSeconds, err = seed(ctx, seedPool, w, log); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		if err := os.WriteFile(nowFile, []byte(seededAt.Format(time.RFC3339Nano)), 0o644); err != nil {
			return err
		}
	}
	if err := seedPool.QueryRow(ctx, "SELECT count(*) FROM job_nodes").Scan(&res.Data.JobNodes); err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: c.concurrency * 2, MaxIdleConnsPerHost: c.concurrency * 2, DisableCompression: true,
		IdleConnTimeout: time.Minute,
	}}
	if res.Data.VerifiedSamples, err = verify(ctx, client, srv.base, w, c.verify); err != nil {
		return fmt.Errorf("verifying the seeded data through the API: %w", err)
	}
	log.Info("seeded data verified through the API", "samples", res.Data.VerifiedSamples)
	time.Sleep(2 * time.Second)
	res.Memory.IdleKiB, _, _ = memory(srv.pid())

	// The floor's pool: the server's (database.Open: its settings and type registrations), with
	// one connection per client.
	pool, err := database.Open(ctx, withPoolSize(dbURL, c.concurrency))
	if err != nil {
		return err
	}
	defer pool.Close()
	b := &bench{cfg: c, w: w, client: client, base: srv.base, floor: newFloor(pool, log), started: time.Now().UTC().Truncate(time.Second), log: log}

	var only *regexp.Regexp
	if c.phases != "" {
		if only, err = regexp.Compile(c.phases); err != nil {
			return fmt.Errorf("BENCH_PHASES: %w", err)
		}
	}
	cpu := cpuMeter{serverPID: srv.pid()}
	if c.databaseURL == "" {
		cpu.postmasterPID = postmasterPID(dataDir)
	}
	rss := sampleRSS(srv.pid(), 20*time.Millisecond)
	defer close(rss.stop)
	var ran []*Phase
	var checkFailed []string
	for _, ph := range append(b.writePhases(), b.readPhases()...) {
		if only != nil && !only.MatchString(ph.Name) {
			continue
		}
		ran = append(ran, ph)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pr := PhaseResult{Phase: ph}
		per, api, fl, err := ph.prepare(ctx)
		if err != nil {
			pr.Skipped = err.Error()
			log.Warn("phase skipped", "phase", ph.Name, "why", err)
			res.Phases = append(res.Phases, pr)
			continue
		}
		rss.take()
		profDone := make(chan error, 1)
		if c.profile {
			go func() {
				// The whole phase, floor slices included: the server is idle during those.
				profDone <- profile(ctx, pprofAddr, 2*(c.warmup+c.duration)+time.Second, filepath.Join(c.out, c.size+".pprof", ph.Name+".pprof"))
			}()
		}
		var minOp op
		var check func(context.Context) (string, error)
		if ph.minimal != nil {
			if minOp, check, err = ph.minimal(ctx); err != nil {
				return fmt.Errorf("phase %s: minimal floor: %w", ph.Name, err)
			}
		}
		var minStats Stats
		pr.Floor, minStats, pr.API = compare(ctx, cpu, c.concurrency, per, c.slices, c.warmup, c.duration, fl, minOp, api)
		if minOp != nil {
			pr.Min = &minStats
			summary, err := check(ctx)
			if err != nil {
				pr.MinCheck = "FAILED: " + err.Error()
				checkFailed = append(checkFailed, ph.Name)
				log.Error("minimal floor check", "phase", ph.Name, "err", err)
			} else {
				pr.MinCheck = summary
			}
		}
		pr.RSSPeakKiB = rss.take()
		if c.profile {
			if err := <-profDone; err != nil {
				log.Warn("profile", "phase", ph.Name, "err", err)
			}
		}
		if ph.Kind == "read" && c.latencyPass {
			f1, _, a1 := compare(ctx, cpu, 1, per, c.slices, c.warmup, c.duration, fl, nil, api)
			pr.Floor1, pr.API1 = &f1, &a1
		}
		pr.judge(baseline)
		res.Phases = append(res.Phases, pr)
		log.Info("phase", "name", ph.Name,
			"api_per_s", fmt.Sprintf("%.0f", pr.API.Throughput), "floor_per_s", fmt.Sprintf("%.0f", pr.Floor.Throughput),
			"ratio", fmt.Sprintf("%.2f", pr.Ratio), "api_p50_ms", pr.API.P50, "api_p99_ms", pr.API.P99,
			"floor_p99_ms", pr.Floor.P99, "api_errors", errorText(pr.API.Errors), "floor_errors", errorText(pr.Floor.Errors))
	}
	res.Memory.EndKiB, res.Memory.PeakKiB, _ = memory(srv.pid())
	plans := filepath.Join(c.out, c.size+".plans.md")
	if err := b.explainPhases(ctx, dbURL, ran, plans); err != nil {
		log.Warn("no query plans", "err", err)
	} else {
		log.Info("query plans written", "markdown", plans)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.Machine["load average at end"] = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if err := pool.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&res.Data.DatabaseBytes); err != nil {
		return err
	}
	res.Data.After = map[string]int64{}
	for _, t := range []string{"runs", "jobs", "job_nodes", "nodes"} {
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return err
		}
		res.Data.After[t] = n
	}
	var pgVersion string
	if err := pool.QueryRow(ctx, "SHOW server_version").Scan(&pgVersion); err == nil {
		res.Machine["postgresql"] = pgVersion
	}
	md, err := writeResult(c.out, res)
	if err != nil {
		return err
	}
	log.Info("results written", "markdown", md)
	fmt.Print(markdown(res))
	if len(checkFailed) > 0 {
		return fmt.Errorf("the minimal floor wrote other rows than the API in %s", strings.Join(checkFailed, ", "))
	}
	return nil
}

func command(c *config) string {
	s := "make bench BENCH_SIZE=" + c.size
	if c.concurrency != 8 {
		s += fmt.Sprintf(" BENCH_CONCURRENCY=%d", c.concurrency)
	}
	if c.phases != "" {
		s += " BENCH_PHASES=" + c.phases
	}
	if c.serverArgs != "" {
		s += fmt.Sprintf(" BENCH_SERVER_ARGS=%q", c.serverArgs)
	}
	return s
}

// machine describes where the benchmark ran.
func machine() map[string]any {
	m := map[string]any{"cpus": runtime.NumCPU(), "go": runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		m["memory"] = strings.Join(strings.Fields(line)[1:], " ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m["load average at start"] = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		m["commit"] = strings.TrimSpace(string(out))
	}
	return m
}

// withPoolSize sets pgxpool's pool size in a database URL (or key=value string).
func withPoolSize(dbURL string, n int) string {
	params := fmt.Sprintf("pool_max_conns=%d&pool_min_conns=%d", n, n)
	switch {
	case !strings.Contains(dbURL, "://"):
		return dbURL + " " + strings.ReplaceAll(params, "&", " ")
	case strings.Contains(dbURL, "?"):
		return dbURL + "&" + params
	}
	return dbURL + "?" + params
}

func freePort() int {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 6060
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// rejudge reads an earlier result, compares it with the baseline (c.baseline, or the 10k result
// beside it) and writes its files again: for a baseline measured after it.
func rejudge(c *config) error {
	b, err := os.ReadFile(c.rejudge)
	if err != nil {
		return err
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return err
	}
	if c.baseline == "" {
		c.baseline = filepath.Join(filepath.Dir(c.rejudge), "10k.json")
	}
	baseline, err := loadBaseline(c.baseline)
	if err != nil {
		return err
	}
	res.Baseline = c.baseline
	for i := range res.Phases {
		res.Phases[i].judge(baseline)
	}
	_, err = writeResult(filepath.Dir(c.rejudge), &res)
	return err
}

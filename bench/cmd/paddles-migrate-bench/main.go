// Command paddles-migrate-bench measures what the migrations cost a live lab: it migrates a fresh
// database to a start version (4 by default, the last before the first online migration), fills
// it with a lab-sized data set (8.5M jobs in about 120k runs, 2,000 nodes, two links a job),
// starts teuthology-like writers (each transaction locks its run, then inserts a job and links
// its nodes, or updates a job's status, as the server does) and, while they write, applies the
// remaining migrations one at a time. Per migration it records the wall time and the writers'
// operations, p99 and maximum latency meanwhile, and writes bench/results/migrate-<size>.md and
// .json. `make bench-migrate` runs it, by hand (not in CI); see docs/deploy.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/db/migrations"
	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/pgcluster"
	"github.com/ceph/paddles-go/internal/service"
	"github.com/ceph/paddles-go/internal/store"
	"github.com/ceph/paddles-go/internal/testserver"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(strings.ReplaceAll(os.Getenv(name), "_", "")); err == nil {
		return n
	}
	return def
}

type config struct {
	jobs, jobsPerRun, nodes, writers int
	from                             int64
	settle                           time.Duration
	databaseURL, out, dataDir, label string
	keep                             bool
	migrations                       fs.FS
	migrationsDir, name              string
	runSpacing                       time.Duration
	prune                            time.Duration
}

func main() {
	c := &config{}
	flags := flag.NewFlagSet("paddles-migrate-bench", flag.ExitOnError)
	flags.IntVar(&c.jobs, "jobs", envInt("BENCH_MIGRATE_JOBS", 8_500_000), "jobs to seed (the lab: 8.5M; 200000 for a quick run) [BENCH_MIGRATE_JOBS]")
	flags.IntVar(&c.jobsPerRun, "jobs-per-run", envInt("BENCH_MIGRATE_JOBS_PER_RUN", 70), "jobs per run (70: 120k runs at 8.5M jobs) [BENCH_MIGRATE_JOBS_PER_RUN]")
	flags.IntVar(&c.nodes, "nodes", envInt("BENCH_MIGRATE_NODES", 2000), "test nodes; each job links two [BENCH_MIGRATE_NODES]")
	flags.IntVar(&c.writers, "writers", envInt("BENCH_MIGRATE_WRITERS", 8), "concurrent job writers [BENCH_MIGRATE_WRITERS]")
	from := flags.Int("from", envInt("BENCH_MIGRATE_FROM", 4), "schema version to seed at; the later migrations are measured [BENCH_MIGRATE_FROM]")
	settle := flags.String("settle", env("BENCH_MIGRATE_SETTLE", "10s"), "writers alone before the first and after the last migration [BENCH_MIGRATE_SETTLE]")
	flags.StringVar(&c.databaseURL, "database-url", env("BENCH_DATABASE_URL", ""), "an empty database (its role must be superuser, to seed with triggers off); empty: a PostgreSQL of its own under -data-dir [BENCH_DATABASE_URL]")
	flags.StringVar(&c.out, "out", env("BENCH_OUT", "bench/results"), "where migrate-<size>.md and .json go [BENCH_OUT]")
	flags.StringVar(&c.dataDir, "data-dir", env("BENCH_DATA_DIR", ""), "the PostgreSQL's data directory while it runs (default <out>/migrate-<size>.tmp, removed after) [BENCH_DATA_DIR]")
	flags.StringVar(&c.migrationsDir, "migrations", env("BENCH_MIGRATE_DIR", ""), "a directory of migrations to measure instead of the embedded ones (another branch's, or an old version's) [BENCH_MIGRATE_DIR]")
	flags.StringVar(&c.name, "name", env("BENCH_MIGRATE_NAME", ""), "the result files' name, without .md/.json (default migrate-<size>) [BENCH_MIGRATE_NAME]")
	spacing := flags.String("run-spacing", env("BENCH_MIGRATE_RUN_SPACING", "4m"), "time between two seeded runs (4m: the lab's 120k runs in 336 days) [BENCH_MIGRATE_RUN_SPACING]")
	flagPrune = flags.String("prune", env("BENCH_MIGRATE_PRUNE", ""), "after the migrations, run paddles prune --older-than this (e.g. 230d) under the writers [BENCH_MIGRATE_PRUNE]")
	flags.BoolVar(&c.keep, "keep", env("BENCH_KEEP", "") != "", "keep the data directory [BENCH_KEEP]")
	flags.Parse(os.Args[1:])
	c.from = int64(*from)
	c.migrations = migrations.FS
	if c.migrationsDir != "" {
		c.migrations = os.DirFS(c.migrationsDir)
	}
	var err error
	if c.settle, err = time.ParseDuration(*settle); err != nil {
		fatal(err)
	}
	if c.runSpacing, err = time.ParseDuration(*spacing); err != nil {
		fatal(err)
	}
	if *flagPrune != "" {
		if c.prune, err = paddles.ParseAge("-prune", *flagPrune); err != nil {
			fatal(err)
		}
	}
	c.label = sizeLabel(c.jobs)
	if c.name == "" {
		c.name = "migrate-" + c.label
		if c.prune > 0 {
			c.name = "prune-" + c.label
		}
	}
	if c.dataDir == "" {
		c.dataDir = filepath.Join(c.out, c.name+".tmp")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fatal(err)
	}
}

var flagPrune *string

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "paddles-migrate-bench:", err)
	os.Exit(1)
}

func sizeLabel(n int) string {
	switch {
	case n == 8_500_000:
		return "lab"
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dm", n/1_000_000)
	case n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// serverSettings: a modest production-like server (fsync on), with room for the seed's WAL.
var serverSettings = map[string]string{
	"shared_buffers":       "512MB",
	"maintenance_work_mem": "256MB",
	"max_wal_size":         "4GB",
	"checkpoint_timeout":   "10min",
	"max_connections":      "50",
}

// Result is what the JSON file holds.
type Result struct {
	Date       string            `json:"date"`
	Command    string            `json:"command"`
	Jobs       int               `json:"jobs"`
	Runs       int               `json:"runs"`
	Nodes      int               `json:"nodes"`
	Links      int64             `json:"links"`
	Writers    int               `json:"writers"`
	From       int64             `json:"from_version"`
	Settings   map[string]string `json:"server_settings,omitempty"`
	SeedTime   float64           `json:"seed_seconds"`
	SizesMB    map[string]int64  `json:"table_sizes_mb"`
	Baseline   Window            `json:"baseline"`
	Migrations []Window          `json:"migrations"`
	After      Window            `json:"after"`
	Errors     int64             `json:"writer_errors"`
	RunSpacing string            `json:"run_spacing,omitempty"`
	Prune      *PruneFigures     `json:"prune,omitempty"`
}

// PruneFigures is what the prune pass did, and the writers meanwhile.
type PruneFigures struct {
	OlderThan      string  `json:"older_than"`
	RunsBefore     int64   `json:"runs_before"`
	Runs           int64   `json:"runs"`
	Jobs           int64   `json:"jobs"`
	Links          int64   `json:"links"`
	Rows           int64   `json:"rows"`
	Batches        int     `json:"batches"`
	Seconds        float64 `json:"seconds"`
	JobsPerSec     float64 `json:"jobs_per_second"`
	RowsPerSec     float64 `json:"rows_per_second"`
	LongestBatchMs float64 `json:"longest_batch_ms"`
	Recount        string  `json:"recount"`
	Error          string  `json:"error,omitempty"`
	Writers        Window  `json:"writers"`
}

// Window is the writers' figures over a stretch of time: a migration, or the writers alone.
type Window struct {
	Version   int64   `json:"version,omitempty"`
	File      string  `json:"file,omitempty"`
	Seconds   float64 `json:"seconds"`
	Retries   int     `json:"lock_timeout_retries,omitempty"`
	Ops       int     `json:"ops"`
	OpsPerSec float64 `json:"ops_per_second"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	Over1s    int     `json:"ops_over_1s"`
	Error     string  `json:"error,omitempty"`
	start     time.Time
	end       time.Time
}

func run(ctx context.Context, c *config) error {
	url := c.databaseURL
	res := &Result{Date: time.Now().UTC().Format(time.RFC3339), Command: commandLine(c), Jobs: c.jobs,
		Nodes: c.nodes, Writers: c.writers, From: c.from, RunSpacing: c.runSpacing.String()}
	if url == "" {
		res.Settings = serverSettings
		if err := os.MkdirAll(c.dataDir, 0o755); err != nil {
			return err
		}
		logFile, err := os.Create(filepath.Join(c.dataDir, "postgresql.log"))
		if err != nil {
			return err
		}
		defer logFile.Close()
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(c.dataDir, "pgdata"), Settings: serverSettings, Log: logFile})
		if err != nil {
			return err
		}
		defer func() {
			cluster.Stop()
			if !c.keep {
				os.RemoveAll(c.dataDir)
			}
		}()
		admin, err := pgx.Connect(ctx, cluster.URL("postgres"))
		if err != nil {
			return err
		}
		_, err = admin.Exec(ctx, "CREATE DATABASE paddles")
		admin.Close(ctx)
		if err != nil {
			return err
		}
		url = cluster.URL("paddles")
	}
	pool, err := database.OpenWith(ctx, url, database.PoolOptions{MaxConns: int32(c.writers + 2), ApplicationName: "migrate-bench"})
	if err != nil {
		return err
	}
	defer pool.Close()
	quiet := slog.New(slog.DiscardHandler)
	if err := database.MigrateFSTo(ctx, pool, quiet, c.migrations, c.from); err != nil {
		return err
	}

	start := time.Now()
	if err := seed(ctx, pool, c); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	res.SeedTime = time.Since(start).Seconds()
	res.SizesMB = map[string]int64{}
	for _, t := range []string{"runs", "jobs", "job_nodes", "nodes"} {
		var mb int64
		if err := pool.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass) / 1048576", t).Scan(&mb); err != nil {
			return err
		}
		res.SizesMB[t] = mb
	}
	logf("seeded in %.0fs: %v MB", res.SeedTime, res.SizesMB)

	versions, files, err := database.MigrationVersions(c.migrations)
	if err != nil {
		return err
	}
	w := newWriters(pool, c)
	wctx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	var wg sync.WaitGroup
	for i := 0; i < c.writers; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); w.loop(wctx, i) }(i)
	}
	sleep(ctx, c.settle)
	res.Baseline = Window{start: time.Now().Add(-c.settle), end: time.Now()}
	for i, v := range versions {
		if v <= c.from || ctx.Err() != nil {
			continue
		}
		var retries countHandler
		win := Window{Version: v, File: files[i], start: time.Now()}
		logf("applying migration %d (%s)", v, files[i])
		err := database.MigrateFSTo(ctx, pool, slog.New(&retries), c.migrations, v)
		win.end = time.Now()
		win.Retries = int(retries.n.Load())
		if err != nil {
			win.Error = err.Error()
		}
		logf("migration %d: %.1fs, %d lock timeout retries %s", v, win.end.Sub(win.start).Seconds(), win.Retries, win.Error)
		res.Migrations = append(res.Migrations, win)
		if err != nil {
			break
		}
	}
	afterStart := time.Now()
	sleep(ctx, c.settle)
	res.After = Window{start: afterStart, end: time.Now()}
	if c.prune > 0 && ctx.Err() == nil {
		res.Prune = &PruneFigures{OlderThan: *flagPrune}
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM runs").Scan(&res.Prune.RunsBefore); err != nil {
			return err
		}
		logf("pruning runs scheduled more than %s ago", *flagPrune)
		svc := service.New(store.New(pool, nil, 0, quiet), service.Options{}, quiet)
		res.Prune.Writers.start = time.Now()
		p, _, err := svc.Prune(ctx, service.PruneOptions{Policy: paddles.PrunePolicy{OlderThan: c.prune},
			Progress: func(p service.PruneProgress) {
				if p.Batches%200 == 0 {
					logf("pruned %d of %d runs, %d jobs, %.0fs", p.Runs, p.ExpectRuns, p.Jobs, p.Elapsed.Seconds())
				}
			}})
		res.Prune.Writers.end = time.Now()
		if err != nil {
			res.Prune.Error = err.Error()
		}
		f := res.Prune
		f.Runs, f.Jobs, f.Links, f.Rows, f.Batches = p.Runs, p.Jobs, p.Links, p.Rows(), p.Batches
		f.Seconds = p.Elapsed.Seconds()
		f.JobsPerSec, f.RowsPerSec = float64(p.Jobs)/max(f.Seconds, 1e-3), float64(p.Rows())/max(f.Seconds, 1e-3)
		f.LongestBatchMs = float64(p.LongestBatch.Microseconds()) / 1000
		logf("pruned %d runs, %d jobs in %.1fs (%.0f rows/s)", p.Runs, p.Jobs, f.Seconds, f.RowsPerSec)
		afterStart = time.Now()
		sleep(ctx, c.settle)
	}
	stopWriters()
	wg.Wait()
	if res.Prune != nil {
		res.After = Window{start: afterStart, end: time.Now()}
	}

	lat := w.all()
	res.Baseline.fill(lat)
	for i := range res.Migrations {
		res.Migrations[i].fill(lat)
	}
	res.After.fill(lat)
	if res.Prune != nil {
		res.Prune.Writers.fill(lat)
		v, err := testserver.Recount(ctx, pool)
		if err != nil {
			return err
		}
		res.Prune.Recount = testserver.RecountErrors(v)
		if res.Prune.Recount == "" {
			res.Prune.Recount = "every maintained table agrees"
		}
	}
	res.Errors = w.errors.Load()
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM runs").Scan(&res.Runs); err != nil {
		return err
	}
	if res.Prune != nil {
		// The runs the seed and the writers made, before the prune deleted some.
		res.Runs = int(res.Prune.RunsBefore)
	}
	return write(c, res)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func commandLine(c *config) string {
	s := "make bench-migrate"
	if c.jobs != 8_500_000 {
		s = fmt.Sprintf("BENCH_MIGRATE_JOBS=%d %s", c.jobs, s)
	}
	if c.from != 4 {
		s = fmt.Sprintf("BENCH_MIGRATE_FROM=%d %s", c.from, s)
	}
	if c.migrationsDir != "" {
		s = fmt.Sprintf("BENCH_MIGRATE_DIR=%s %s", c.migrationsDir, s)
	}
	if c.runSpacing != 4*time.Minute {
		s = fmt.Sprintf("BENCH_MIGRATE_RUN_SPACING=%s %s", c.runSpacing, s)
	}
	if c.prune > 0 {
		s = fmt.Sprintf("BENCH_MIGRATE_PRUNE=%s %s", *flagPrune, s)
	}
	if c.settle != 10*time.Second {
		s = fmt.Sprintf("BENCH_MIGRATE_SETTLE=%s %s", c.settle, s)
	}
	if c.name != "migrate-"+c.label && c.name != "prune-"+c.label {
		s = fmt.Sprintf("BENCH_MIGRATE_NAME=%s %s", c.name, s)
	}
	return s
}

// countHandler counts Migrate's lock timeout retries (its warnings).
type countHandler struct{ n atomic.Int64 }

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && strings.Contains(r.Message, "lock") {
		h.n.Add(1)
	}
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }

// seed fills the base tables in SQL, with triggers and foreign key checks off
// (session_replication_role) and the secondary indexes built after the rows; the run counts
// (and job_nodes.posted, when the start version has it) are then computed in one statement each.
func seed(ctx context.Context, pool *pgxpool.Pool, c *config) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	exec := func(what, sql string, args ...any) error {
		t := time.Now()
		_, err := conn.Exec(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		logf("seed: %s (%.1fs)", what, time.Since(t).Seconds())
		return nil
	}
	runs := (c.jobs + c.jobsPerRun - 1) / c.jobsPerRun
	rows, err := conn.Query(ctx, `SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
		WHERE indrelid IN ('runs'::regclass, 'jobs'::regclass, 'job_nodes'::regclass, 'nodes'::regclass)
		  AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = indexrelid)`)
	if err != nil {
		return err
	}
	var names, defs []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			return err
		}
		names, defs = append(names, n), append(defs, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(names) > 0 {
		if err := exec("drop the secondary indexes", "DROP INDEX "+strings.Join(names, ", ")); err != nil {
			return err
		}
	}
	// The jobs' times run up to now, four minutes a run apart, ten seconds a job apart.
	steps := []struct{ what, sql string }{
		{"replication role", "SET session_replication_role = replica"},
		{"nodes", fmt.Sprintf(`INSERT INTO nodes (name, machine_type, arch, os_type, os_version, up, description)
			SELECT 'smithi' || lpad(n::text, 4, '0'), 'smithi', 'x86_64', 'ubuntu', '22.04', true, NULL
			FROM generate_series(1, %d) n`, c.nodes)},
		{"runs", fmt.Sprintf(`INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted, started, updated)
			SELECT 'teuthology-' || to_char(t, 'YYYY-MM-DD_HH24:MI:SS') || '-' || suite || '-' || branch || '-distro-default-smithi-' || r,
			       'teuthology', t, suite, branch, 'smithi', t, t + interval '5 minutes', t + interval '3 hours'
			FROM generate_series(1, %[1]d) r
			CROSS JOIN LATERAL (SELECT now() - (%[1]d - r) * interval '%[2]d seconds' - interval '1 day' AS t,
			    (ARRAY['rados','rbd','fs','rgw','upgrade','krbd','orch','powercycle'])[1 + r %% 8] AS suite,
			    (ARRAY['main','squid','reef','quincy'])[1 + r %% 4] AS branch) s`, runs, int(c.runSpacing.Seconds()))},
		{"jobs", fmt.Sprintf(`INSERT INTO jobs (run_id, job_id, status, success, description, name, archive_path, machine_type,
			    os_type, os_version, owner, branch, sha1, suite, targets, priority, queue, pid, duration, failure_reason, posted, started, updated)
			SELECT run, j::text, st, st = 'pass',
			       'rados/thrash/{clusters/fixed-2 msgr/async objectstore/bluestore-' || (j %% 97) || ' thrashers/default workloads/radosbench-' || (j %% 13) || '}',
			       'teuthology-run-' || run, '/a/teuthology-run-' || run || '/' || j, 'smithi', 'ubuntu', '22.04',
			       'scheduled_teuthology@teuthology', (ARRAY['main','squid','reef','quincy'])[1 + run %% 4], md5(run::text),
			       (ARRAY['rados','rbd','fs','rgw','upgrade','krbd','orch','powercycle'])[1 + run %% 8],
			       json_build_object('ubuntu@' || n1 || '.front.sepia.ceph.com', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' || md5(n1),
			                         'ubuntu@' || n2 || '.front.sepia.ceph.com', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' || md5(n2)),
			       100, 'smithi', (10000 + j %% 50000)::text, 1800 + j %% 3600,
			       CASE WHEN st = 'fail' THEN 'Command failed on ' || n1 || ' with status 1: ''sudo ceph osd pool create''' END,
			       t, t + interval '1 minute', t + interval '30 minutes'
			FROM (SELECT j, run, now() - (%[2]d - run) * interval '%[5]d seconds' - interval '1 day' + ((j - 1) %% %[3]d) * interval '10 seconds' AS t,
			             'smithi' || lpad((1 + (j * 7) %% %[4]d)::text, 4, '0') AS n1,
			             'smithi' || lpad((1 + (j * 7 + 13) %% %[4]d)::text, 4, '0') AS n2,
			             CASE WHEN j %% 50 < 40 THEN 'pass' WHEN j %% 50 < 46 THEN 'fail' WHEN j %% 50 < 49 THEN 'dead' ELSE 'unknown' END AS st
			      FROM (SELECT j, LEAST(%[2]d, 1 + (j - 1) / %[3]d) AS run FROM generate_series(1, %[1]d) j) g) x`,
			c.jobs, runs, c.jobsPerRun, c.nodes, int(c.runSpacing.Seconds()))},
		{"job_nodes", linksSeed(c)},
		{"run counts", `UPDATE runs r SET
			    pass_count = c.pass, fail_count = c.fail, dead_count = c.dead, unknown_count = c.unknown
			FROM (SELECT run_id, count(*) FILTER (WHERE status = 'pass') AS pass, count(*) FILTER (WHERE status = 'fail') AS fail,
			             count(*) FILTER (WHERE status = 'dead') AS dead, count(*) FILTER (WHERE status = 'unknown') AS unknown
			      FROM jobs GROUP BY run_id) c
			WHERE c.run_id = r.id`},
		{"job_nodes.posted (when the start version has it)", `DO $$ BEGIN
			    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'job_nodes'::regclass AND attname = 'posted') THEN
			        UPDATE job_nodes jn SET posted = j.posted FROM jobs j WHERE j.id = jn.job_id;
			    END IF;
			END $$`},
		{"replication role back", "RESET session_replication_role"},
	}
	for _, s := range steps {
		if err := exec(s.what, s.sql); err != nil {
			return err
		}
	}
	for i, d := range defs {
		if err := exec("index "+names[i], d); err != nil {
			return err
		}
	}
	if err := exec("vacuum analyze", "VACUUM ANALYZE"); err != nil {
		return err
	}
	return exec("checkpoint", "CHECKPOINT")
}

// writers mimic teuthology reporting jobs through the server: each job is created queued, then
// reported running, then finished; every write is one transaction that first locks its run's row
// (creating the run when it has none), as the store's job writes do. The SQL works on every schema
// from version 1 on.
type writers struct {
	pool   *pgxpool.Pool
	c      *config
	mu     sync.Mutex
	lat    []sample
	errors atomic.Int64
}

type sample struct {
	at time.Time // when the operation started
	d  time.Duration
}

func newWriters(pool *pgxpool.Pool, c *config) *writers { return &writers{pool: pool, c: c} }

func (w *writers) loop(ctx context.Context, id int) {
	var local []sample
	defer func() {
		w.mu.Lock()
		w.lat = append(w.lat, local...)
		w.mu.Unlock()
	}()
	const jobsPerRun = 50
	for n := 0; ctx.Err() == nil; n++ {
		run := fmt.Sprintf("migrate-bench-w%d-%d", id, n/jobsPerRun)
		jobID := strconv.Itoa(n)
		n1 := fmt.Sprintf("smithi%04d", 1+(n*7+id)%w.c.nodes)
		n2 := fmt.Sprintf("smithi%04d", 1+(n*7+id+13)%w.c.nodes)
		var dbID int64
		for step, status := range []string{"queued", "running", "pass"} {
			start := time.Now()
			err := pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
				var runID int64
				var runStatus string
				if err := tx.QueryRow(ctx, `INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted)
					VALUES ($1, 'teuthology', now(), 'rados', 'main', 'smithi', now())
					ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id, status`, run).Scan(&runID, &runStatus); err != nil {
					return err
				}
				if step == 0 {
					if err := tx.QueryRow(ctx, `INSERT INTO jobs (run_id, job_id, status, description, machine_type, os_type, suite, branch,
						    targets, priority, queue, posted, updated)
						VALUES ($1, $2, 'queued', 'rados/thrash/{clusters/fixed-2 msgr/async}', 'smithi', 'ubuntu', 'rados', 'main',
						    json_build_object($3::text, 'ssh-ed25519 AAAA', $4::text, 'ssh-ed25519 AAAA'), 100, 'smithi', now(), now())
						ON CONFLICT (run_id, job_id) DO NOTHING RETURNING id`, runID, jobID, n1, n2).Scan(&dbID); err != nil {
						return err
					}
					names := []string{n1, n2}
					if _, err := tx.Exec(ctx, `INSERT INTO nodes (name, machine_type)
						SELECT n, 'smithi' FROM unnest($1::text[]) AS n ORDER BY n ON CONFLICT (name) DO NOTHING`, names); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `INSERT INTO job_nodes (job_id, node_id)
						SELECT $1, id FROM nodes WHERE name = ANY($2::text[]) ORDER BY id FOR KEY SHARE
						ON CONFLICT DO NOTHING`, dbID, names); err != nil {
						return err
					}
				} else {
					if _, err := tx.Exec(ctx, `UPDATE jobs SET status = $2, success = CASE WHEN $2 = 'pass' THEN true END,
						    started = COALESCE(started, now()), updated = now() WHERE id = $1`, dbID, status); err != nil {
						return err
					}
				}
				_, err := tx.Exec(ctx, `UPDATE runs SET updated = now(), suite = COALESCE($2, suite),
					started = CASE WHEN status = 'running' AND NOT $3::boolean THEN now() ELSE started END WHERE id = $1`,
					runID, "rados", runStatus == "running")
				return err
			})
			if ctx.Err() != nil {
				return
			}
			local = append(local, sample{start, time.Since(start)})
			if err != nil {
				if w.errors.Add(1) <= 5 {
					logf("writer %d: %v", id, err)
				}
				if step == 0 {
					break
				}
			}
		}
	}
}

func (w *writers) all() []sample {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lat
}

// fill computes the window's figures from the operations that started in it.
func (win *Window) fill(all []sample) {
	win.Seconds = win.end.Sub(win.start).Seconds()
	var ds []time.Duration
	for _, s := range all {
		if !s.at.Before(win.start) && s.at.Before(win.end) {
			ds = append(ds, s.d)
			if s.d > time.Second {
				win.Over1s++
			}
		}
	}
	// An operation still blocked when the window ended counts in the window it started in; one
	// that started before the window and waited into it, in the earlier one: the maximum of both
	// is reported per window, and a wait longer than the window shows in either.
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	win.Ops = len(ds)
	if win.Seconds > 0 {
		win.OpsPerSec = float64(win.Ops) / win.Seconds
	}
	if len(ds) > 0 {
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		win.P50ms = ms(ds[len(ds)/2])
		win.P99ms = ms(ds[min(len(ds)-1, len(ds)*99/100)])
		win.MaxMs = ms(ds[len(ds)-1])
	}
}

func write(c *config, res *Result) error {
	res.Links = int64(res.Jobs) * 2
	var b strings.Builder
	title := "Migrations under load"
	if res.Prune != nil {
		title = "Migrations, then a prune, under load"
	}
	fmt.Fprintf(&b, "# %s: %s jobs\n\n", title, c.label)
	fmt.Fprintf(&b, "`%s` on %s: %d jobs in %d runs, %d nodes, %d links (start version %d), seeded in %.0f s; "+
		"table sizes (MB, with indexes): runs %d, jobs %d, job_nodes %d. %d writers, each transaction locking its run, "+
		"then inserting a job and linking two nodes or updating a job's status. Latency is per transaction; "+
		"writer errors: %d.\n\n",
		res.Command, res.Date[:10], res.Jobs, res.Runs, res.Nodes, res.Links, res.From, res.SeedTime,
		res.SizesMB["runs"], res.SizesMB["jobs"], res.SizesMB["job_nodes"], res.Writers, res.Errors)
	b.WriteString("| while | wall time | lock timeout retries | writes | writes/s | p50 | p99 | max | writes > 1 s |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, w Window) {
		fmt.Fprintf(&b, "| %s | %.1f s | %d | %d | %.0f | %.1f ms | %.1f ms | %.0f ms | %d |\n",
			name, w.Seconds, w.Retries, w.Ops, w.OpsPerSec, w.P50ms, w.P99ms, w.MaxMs, w.Over1s)
	}
	row("writers alone, before", res.Baseline)
	for _, m := range res.Migrations {
		name := strings.TrimSuffix(m.File, ".sql")
		if m.Error != "" {
			name += " (FAILED: " + m.Error + ")"
		}
		row(name, m)
	}
	if f := res.Prune; f != nil {
		row(fmt.Sprintf("paddles prune --older-than %s", f.OlderThan), f.Writers)
	}
	row("writers alone, after", res.After)
	if f := res.Prune; f != nil {
		fmt.Fprintf(&b, "\nPrune (runs %s apart): of %d runs, deleted %d runs, %d jobs, %d links (%d rows with the jobs' test results) "+
			"in %d batches, %.1f s: %.0f jobs/s, %.0f rows/s; longest batch %.0f ms. Recount after: %s.%s\n",
			res.RunSpacing, f.RunsBefore, f.Runs, f.Jobs, f.Links, f.Rows, f.Batches, f.Seconds, f.JobsPerSec, f.RowsPerSec,
			f.LongestBatchMs, f.Recount, map[bool]string{true: " ERROR: " + f.Error, false: ""}[f.Error != ""])
	}
	md := b.String()
	fmt.Print(md)
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	base := filepath.Join(c.out, c.name)
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", append(j, '\n'), 0o644); err != nil {
		return err
	}
	for _, m := range res.Migrations {
		if m.Error != "" {
			return errors.New("a migration failed")
		}
	}
	return nil
}

// linksSeed links every job to two nodes. From 00005 on, a link carries its job's posted time,
// which the seed's replication role (no triggers) leaves to the seed.
func linksSeed(c *config) string {
	if c.from < 5 {
		return fmt.Sprintf(`INSERT INTO job_nodes (node_id, job_id)
			SELECT 1 + (j * 7 + k * 13) %% %[2]d, j FROM generate_series(1, %[1]d) j CROSS JOIN generate_series(0, 1) k`, c.jobs, c.nodes)
	}
	return fmt.Sprintf(`INSERT INTO job_nodes (node_id, job_id, posted)
		SELECT 1 + (j.id * 7 + k * 13) %% %d, j.id, j.posted FROM jobs j CROSS JOIN generate_series(0, 1) k`, c.nodes)
}

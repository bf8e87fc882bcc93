// Package cli is the paddles command line: it reads the configuration from flags and PADDLES_*
// environment variables and runs the subcommands. Main takes its environment as arguments so that
// tests can run the whole program in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/httpapi"
	"github.com/ceph/paddles-go/internal/metrics"
	"github.com/ceph/paddles-go/internal/pgcluster"
	"github.com/ceph/paddles-go/internal/service"
	"github.com/ceph/paddles-go/internal/store"
)

const usage = `paddles: stores and reports test results for Ceph's teuthology.

Usage:
  paddles serve [flags]     serve the API (migrates the database first)
  paddles migrate [flags]   apply database migrations and exit
  paddles expire-jobs [flags]
                            mark stale jobs dead once and exit (serve also does it periodically)
  paddles prune --older-than DURATION [--keep-tag T]... [--keep-failed-for DURATION] [--dry-run]
                            delete old runs with their jobs, in short batches, online (serve can
                            do it periodically: --prune-older-than)
  paddles import --from <upstream database URL> [flags]
                            copy an upstream paddles database into this server's, then verify it
  paddles version           print the version

Run "paddles serve --help" for the flags. Every flag can also be set with the PADDLES_* variable
shown next to it; flags win over the environment.
`

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], getenv, stderr)
	case "migrate":
		err = migrate(ctx, args[1:], getenv, stderr)
	case "expire-jobs":
		err = expireJobs(ctx, args[1:], getenv, stdout, stderr)
	case "prune":
		err = pruneCommand(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		err = importCommand(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "paddles", version())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "paddles: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "paddles:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// config is every setting of the server.
type config struct {
	addr           string
	databaseURL    string
	dataDir        string
	publicURL      string
	logLevel       string
	logFormat      string
	logHref        string
	runsPageSize   int
	assignJobIDs   bool
	maxBodyBytes   int64
	reqTimeout     time.Duration
	shutdownGrace  time.Duration
	eventRetention time.Duration
	eventHeartbeat time.Duration
	expiry         service.Expiry
	expireEvery    time.Duration
	prune          pruneConfig
	opsConfig
	pprofAddr string
}

// command says which settings a subcommand takes.
type command int

const (
	cmdMigrate command = iota
	cmdExpire
	cmdServe
	cmdPrune
)

// flags declares the settings of cmd on fs, each defaulting to its environment variable.
func (c *config) flags(fs *flag.FlagSet, getenv func(string) string, cmd command) {
	env := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	str := func(p *string, name, def, help string, vars ...string) {
		if v := env(vars...); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, help+" ["+strings.Join(vars, ", ")+"]")
	}
	c.secret(fs, &c.databaseURL, "database-url", "PostgreSQL URL; empty starts a local PostgreSQL of its own under --data-dir", "PADDLES_DATABASE_URL", "DATABASE_URL")
	str(&c.dataDir, "data-dir", ".paddles", "where the local PostgreSQL keeps its data when no database URL is given", "PADDLES_DATA_DIR")
	str(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error", "PADDLES_LOG_LEVEL")
	str(&c.logFormat, "log-format", "text", "log format: text or json", "PADDLES_LOG_FORMAT")
	dur := func(p *time.Duration, name string, def time.Duration, help, variable string) {
		if d, err := time.ParseDuration(env(variable)); err == nil {
			def = d
		}
		fs.DurationVar(p, name, def, help+" ["+variable+"]")
	}
	if cmd == cmdMigrate {
		return
	}
	if cmd == cmdPrune {
		c.prune.flags(fs, env, false)
		return
	}
	dur(&c.expiry.Active, "expire-active-after", 30*time.Minute, "running, waiting and unknown jobs not updated for this long are marked dead", "PADDLES_EXPIRE_ACTIVE_AFTER")
	dur(&c.expiry.Queued, "expire-queued-after", 14*24*time.Hour, "queued jobs not updated for this long are marked dead", "PADDLES_EXPIRE_QUEUED_AFTER")
	if cmd == cmdExpire {
		return
	}
	dur(&c.expireEvery, "expire-interval", 5*time.Minute, "how often serve looks for stale jobs; 0 turns it off", "PADDLES_EXPIRE_INTERVAL")
	c.prune.flags(fs, env, true)
	str(&c.addr, "addr", "127.0.0.1:8080", "address to listen on", "PADDLES_ADDR")
	str(&c.publicURL, "public-url", "", "the server's URL as clients see it, base of every href (default http://<addr>)", "PADDLES_PUBLIC_URL")
	str(&c.logHref, "job-log-href-template", httpapi.DefaultJobLogHrefTemplate, "URL of a job's log; {run_name} and {job_id} are replaced", "PADDLES_JOB_LOG_HREF_TEMPLATE")
	c.runsPageSize = envInt(env("PADDLES_RUNS_PAGE_SIZE"), 100)
	fs.IntVar(&c.runsPageSize, "runs-page-size", c.runsPageSize, "runs per page when a listing gives no count [PADDLES_RUNS_PAGE_SIZE]")
	c.assignJobIDs, _ = strconv.ParseBool(env("PADDLES_ASSIGN_JOB_IDS"))
	fs.BoolVar(&c.assignJobIDs, "assign-job-ids", c.assignJobIDs, "give an id to a job posted without job_id instead of answering 400 [PADDLES_ASSIGN_JOB_IDS]")
	c.maxBodyBytes = int64(envInt(env("PADDLES_MAX_BODY_BYTES"), 16<<20))
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", c.maxBodyBytes, "largest request body accepted [PADDLES_MAX_BODY_BYTES]")
	dur(&c.reqTimeout, "request-timeout", time.Minute, "longest a request may take, database work included, before it answers 503; 0 for no limit", "PADDLES_REQUEST_TIMEOUT")
	dur(&c.shutdownGrace, "shutdown-grace", 15*time.Second, "how long in-flight requests may finish on SIGTERM", "PADDLES_SHUTDOWN_GRACE")
	dur(&c.eventRetention, "event-retention", time.Hour, "how long /events/ keeps events for clients that reconnect with Last-Event-ID", "PADDLES_EVENT_RETENTION")
	dur(&c.eventHeartbeat, "event-heartbeat", httpapi.DefaultEventHeartbeat, "how often an idle /events/ stream gets a comment line, for proxies", "PADDLES_EVENT_HEARTBEAT")
	c.opsFlags(fs, getenv)
	str(&c.pprofAddr, "pprof-addr", "", "if set, serve Go's profiler (net/http/pprof) on this separate address, e.g. 127.0.0.1:6060; off by default", "PADDLES_PPROF_ADDR")
}

func envInt(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func parse(name string, args []string, getenv func(string) string, stderr io.Writer, cmd command) (*config, error) {
	var c config
	fs := flag.NewFlagSet("paddles "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, getenv, cmd)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "paddles %s: unexpected argument %q\n", name, fs.Arg(0))
		return nil, errUsage
	}
	c.resolveSecrets(fs, getenv)
	if cmd == cmdServe {
		if err := c.check(); err != nil {
			fmt.Fprintf(stderr, "paddles %s: %v\n", name, err)
			return nil, errUsage
		}
	}
	return &c, nil
}

// setup reads a subcommand's settings and makes its logger.
func setup(name string, args []string, getenv func(string) string, stderr io.Writer, cmd command) (*config, *slog.Logger, error) {
	c, err := parse(name, args, getenv, stderr, cmd)
	if err != nil {
		return nil, nil, err
	}
	log, err := newLogger(c, stderr)
	return c, log, err
}

func newLogger(c *config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", c.logFormat)
}

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	c, log, err := setup("serve", args, getenv, stderr, cmdServe)
	if err != nil {
		return err
	}
	writeTokens, err := c.tokens()
	if err != nil {
		return err
	}
	pool, closeDB, err := openDatabase(ctx, c, log)
	if err != nil {
		return err
	}
	defer closeDB()
	m := metrics.New()
	m.WatchPool(pool)

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	publicURL := c.publicURL
	if publicURL == "" {
		publicURL = "http://" + displayAddr(ln.Addr().(*net.TCPAddr))
	}
	opts := service.Options{RunsPageSize: c.runsPageSize, AssignJobIDs: c.assignJobIDs, StatusChanged: m.StatusChanged}
	var replica *pgxpool.Pool
	if c.readDatabaseURL != "" {
		// The replica may be down now: the service falls back to the primary until it answers.
		replica, err = database.OpenWith(ctx, c.readDatabaseURL, database.PoolOptions{MaxConns: int32(c.dbMaxConns),
			StatementTimeout: c.dbStatementTimeout, ApplicationName: "paddles", Lazy: true})
		if err != nil {
			return fmt.Errorf("read database: %w", err)
		}
		defer replica.Close()
		log.Info("browse-only reads may use a replica", "url", redactURL(c.readDatabaseURL), "max_lag", c.maxReplicaLag)
	}
	st := store.New(pool, replica, c.maxReplicaLag, log, c.outageWait(c.reqTimeout))
	defer st.Close()
	svc := service.New(st, opts, log)
	events := service.NewEvents(st, log)
	m.WatchEvents(events.Subscribers, events.Delivered)
	eventsCtx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	eventsDone := make(chan struct{})
	go func() { events.Run(eventsCtx); close(eventsDone) }()
	defer func() { stopEvents(); <-eventsDone }()
	go pruneEventsLoop(eventsCtx, svc, c.eventRetention, log)
	srv := &http.Server{
		Handler: httpapi.New(httpapi.Config{
			PublicURL:          publicURL,
			JobLogHrefTemplate: c.logHref,
			MaxBodyBytes:       c.maxBodyBytes,
			CORSOrigins:        c.origins(),
			WriteTokens:        writeTokens,
			Metrics:            m,
			RequestTimeout:     c.reqTimeout,
			Events:             events,
			EventHeartbeat:     c.eventHeartbeat,
		}, svc, log),
		ReadHeaderTimeout: c.readHeaderTimeout,
		ReadTimeout:       c.readTimeout,
		WriteTimeout:      c.writeTimeout,
		IdleTimeout:       c.idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if c.pprofAddr != "" {
		stopPprof, err := servePprof(c.pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	// Shutdown waits for requests to end; event streams end only when told to.
	srv.RegisterOnShutdown(stopEvents)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	expiryCtx, stopExpiry := context.WithCancel(ctx)
	defer stopExpiry()
	if c.expireEvery > 0 {
		go expireLoop(expiryCtx, svc, c.expiry, c.expireEvery, log)
	}
	if c.prune.policy.OlderThan > 0 {
		go pruneLoop(expiryCtx, svc, c.prune, log)
	}
	log.Info("serving the paddles API", "url", "http://"+ln.Addr().String()+"/", "public_url", publicURL, "version", version())
	if len(writeTokens) > 0 {
		log.Info("writes require a bearer token", "tokens", len(writeTokens))
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", c.shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// servePprof serves Go's profiler on its own listener, apart from the API, for profiling a
// running server (--pprof-addr).
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Info("serving the profiler", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { srv.Close() }, nil
}

// expireLoop marks stale jobs dead every interval until ctx ends. Every replica runs it; the
// service lets one pass run at a time.
func expireLoop(ctx context.Context, svc *service.Service, e service.Expiry, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, busy, err := svc.ExpireJobs(ctx, e)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("expiring stale jobs", "err", err)
		case n > 0:
			log.Info("expired stale jobs", "jobs", n)
		case busy:
			log.Debug("another replica is expiring stale jobs")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneEventsLoop deletes the events past the retention window, every minute. Replicas may all do
// it: each deletes in small batches, and none waits for another.
func pruneEventsLoop(ctx context.Context, svc *service.Service, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		n, err := svc.PruneEvents(ctx, retention)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("deleting old events", "err", err)
		case n > 0:
			log.Debug("deleted old events", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func expireJobs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, log, err := setup("expire-jobs", args, getenv, stderr, cmdExpire)
	if err != nil {
		return err
	}
	pool, closeDB, err := openDatabase(ctx, c, log)
	if err != nil {
		return err
	}
	defer closeDB()
	n, busy, err := service.New(store.New(pool, nil, 0, log), service.Options{}, log).ExpireJobs(ctx, c.expiry)
	if err != nil {
		return err
	}
	if busy {
		return errors.New("another expiry pass is running; try again")
	}
	fmt.Fprintf(stdout, "expired %d stale jobs\n", n)
	return nil
}

// displayAddr is the address to print for a listener: a wildcard host becomes localhost.
func displayAddr(a *net.TCPAddr) string {
	if a.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", strconv.Itoa(a.Port))
	}
	return a.String()
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	c, log, err := setup("migrate", args, getenv, stderr, cmdMigrate)
	if err != nil {
		return err
	}
	_, closeDB, err := openDatabase(ctx, c, log)
	if err != nil {
		return err
	}
	closeDB()
	return nil
}

// openDatabase connects to the configured database, or to a local PostgreSQL of the server's own
// when none is configured, and brings its schema up to date.
func openDatabase(ctx context.Context, c *config, log *slog.Logger) (*pgxpool.Pool, func(), error) {
	url := c.databaseURL
	stopLocal := func() {}
	if url == "" {
		cluster, dbURL, err := startLocal(ctx, c.dataDir, log)
		if err != nil {
			return nil, nil, err
		}
		url = dbURL
		stopLocal = func() {
			if err := cluster.Stop(); err != nil {
				log.Error("stopping the local PostgreSQL", "err", err)
			} else {
				log.Info("stopped the local PostgreSQL")
			}
		}
	}
	// Migrations run on a pool of their own, without the statement timeout the server's queries
	// get: a migration may take long.
	migrationPool, err := database.Open(ctx, url)
	if err == nil {
		err = database.Migrate(ctx, migrationPool, log)
		migrationPool.Close()
	}
	var pool *pgxpool.Pool
	if err == nil {
		pool, err = database.OpenWith(ctx, url, database.PoolOptions{
			MaxConns:         int32(c.dbMaxConns),
			StatementTimeout: c.dbStatementTimeout,
			ApplicationName:  "paddles",
		})
	}
	if err != nil {
		stopLocal()
		return nil, nil, err
	}
	log.Info("connected to the database", "url", redactURL(url), "max_conns", pool.Config().MaxConns,
		"statement_timeout", c.dbStatementTimeout)
	return pool, func() { pool.Close(); stopLocal() }, nil
}

// startLocal starts the PostgreSQL kept under dataDir (creating it on first use) and makes sure
// it has the paddles database.
func startLocal(ctx context.Context, dataDir string, log *slog.Logger) (*pgcluster.Cluster, string, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, "", err
	}
	logPath := filepath.Join(dataDir, "postgresql.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, "", err
	}
	log.Info("no database URL given: starting a local PostgreSQL", "data", filepath.Join(dataDir, "pgdata"), "log", logPath)
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(dataDir, "pgdata"), Log: logFile})
	if err != nil {
		logFile.Close()
		return nil, "", fmt.Errorf("starting the local PostgreSQL: %w", err)
	}
	const dbname = "paddles"
	err = createDatabase(ctx, cluster.URL("postgres"), dbname)
	if err != nil {
		cluster.Stop()
		return nil, "", err
	}
	return cluster, cluster.URL(dbname), nil
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "devel"
}

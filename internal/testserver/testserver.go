// Package testserver is the one place tests get a paddles server from.
//
//   - Migrated is the pgtest prepare function of every package whose tests want the schema in
//     place: TestMain calls pgtest.Main(m, testserver.Migrated).
//   - Start serves the API in the test process, over real HTTP, on a fresh database of its own
//     (or the one Options.DatabaseURL names), wired as "paddles serve" wires it.
//   - StartMain runs a whole "paddles serve" command (cli.Main, passed in: this package must not
//     import internal/cli, whose own tests use it) for the tests of flags, replicas and shutdown.
//   - Client and Transport check every response against the OpenAPI spec, strictly: an
//     undeclared status or key, a body that breaks its schema, or a 5xx fails the test.
//
// It is for tests only; nothing but _test.go files imports it.
package testserver

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/httpapi"
	"github.com/ceph/paddles-go/internal/metrics"
	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/service"
	"github.com/ceph/paddles-go/internal/store"
)

// Migrated prepares pgtest's template database: it applies the migrations, so that every
// database pgtest.NewDatabase clones has the schema. Use it as pgtest.Main(m, testserver.Migrated).
func Migrated(ctx context.Context, databaseURL string) error {
	pool, err := database.Open(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	return database.Migrate(ctx, pool, slog.New(slog.DiscardHandler))
}

// PublicURL is the address test servers are told clients see: the base of every href.
const PublicURL = "http://paddles.example.com"

// Options adjust a server from Start. The zero value is the default server.
type Options struct {
	// Service is the service layer's options. StatusChanged, when nil, feeds the server's metrics.
	Service service.Options
	// MaxBodyBytes bounds request bodies (0: 1 MiB).
	MaxBodyBytes int64
	// Now is the server's clock for "today" and "yesterday" (nil: time.Now).
	Now func() time.Time
	// CORSOrigins are --cors-origins.
	CORSOrigins []string
	// WriteTokens are --write-tokens.
	WriteTokens []string
	// EventHeartbeat is how often an idle event stream gets a comment (0: the default).
	EventHeartbeat time.Duration
	// DatabaseURL is the database to serve, already migrated. Empty: a fresh database from
	// pgtest.NewDatabase, which needs the package's TestMain to call pgtest.Main(m, Migrated).
	DatabaseURL string
}

// Server is an API server started by Start; it stops when the test ends.
type Server struct {
	URL         string // the base URL, without a trailing slash
	DatabaseURL string // the database it serves, for checks that look past the API
	Metrics     *metrics.Metrics
}

// Start serves the API over real HTTP until the test ends. The server logs warnings and errors to
// the test's log.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	s := &Server{DatabaseURL: o.DatabaseURL, Metrics: metrics.New()}
	if s.DatabaseURL == "" {
		s.DatabaseURL = pgtest.NewDatabase(t)
	}
	pool, err := database.Open(context.Background(), s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	log := slog.New(slog.NewTextHandler(LogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s.Metrics.WatchPool(pool)
	if o.Service.StatusChanged == nil {
		o.Service.StatusChanged = s.Metrics.StatusChanged
	}
	st := store.New(pool, nil, 0, log)
	events := service.NewEvents(st, log)
	ctx, stopEvents := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { events.Run(ctx); close(done) }()
	s.Metrics.WatchEvents(events.Subscribers, events.Delivered)
	h := httpapi.New(httpapi.Config{PublicURL: PublicURL, MaxBodyBytes: o.MaxBodyBytes, Now: o.Now,
		CORSOrigins: o.CORSOrigins, WriteTokens: o.WriteTokens, Metrics: s.Metrics, Events: events,
		EventHeartbeat: o.EventHeartbeat},
		service.New(st, o.Service, log), log)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { stopEvents(); <-done }) // first: it ends the event streams srv.Close waits for
	s.URL = srv.URL
	return s
}

// Client returns an HTTP client whose every response to t is checked against the spec (see
// Transport).
func Client(t testing.TB) *http.Client {
	return &http.Client{Transport: &Transport{T: t}}
}

// LogWriter writes each line to the test's log.
type LogWriter struct{ T testing.TB }

func (w LogWriter) Write(p []byte) (int, error) {
	w.T.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Package service is the paddles application: it carries out each API operation on PostgreSQL
// through the generated queries, using the rules of package paddles. It knows nothing of HTTP.
package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
)

// Options tune the service.
type Options struct {
	// RunsPageSize is the default number of runs per page.
	RunsPageSize int
	// AssignJobIDs makes the server give an id to a job posted without one, instead of answering
	// 400 (for labs that queue jobs through paddles).
	AssignJobIDs bool
	// Now returns the current time; tests may pin it.
	Now func() time.Time
	// Replica, if set, is a streaming replica of the database for browse-only reads, used while
	// its replay is at most MaxReplicaLag behind.
	Replica       *pgxpool.Pool
	MaxReplicaLag time.Duration
	// StatusChanged, if set, is told of every job status change once it is committed ("" as from
	// for a new job): upstream paddles fed the same signal to statsd.
	StatusChanged func(from, to string)
}

// Service carries out the API's operations.
type Service struct {
	pool    *pgxpool.Pool
	q       *db.Queries
	replica *replica
	opts    Options
	log     *slog.Logger
}

// New returns a Service on pool.
func New(pool *pgxpool.Pool, opts Options, log *slog.Logger) *Service {
	if opts.RunsPageSize <= 0 {
		opts.RunsPageSize = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StatusChanged == nil {
		opts.StatusChanged = func(string, string) {}
	}
	s := &Service{pool: pool, q: db.New(pool), opts: opts, log: log}
	if opts.Replica != nil {
		s.replica = newReplica(opts.Replica, opts.MaxReplicaLag, log)
	}
	return s
}

// now is the time of a write, at the microsecond precision PostgreSQL stores.
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// maxAttempts bounds how often a transaction is retried after a serialization failure or a
// deadlock, which PostgreSQL may report under contention even though each write locks its run
// first.
const maxAttempts = 5

// inTx runs fn in a transaction and commits it, retrying fn from scratch when PostgreSQL asks for
// it. Nothing fn wrote survives an error.
func (s *Service) inTx(ctx context.Context, opts pgx.TxOptions, fn func(q *db.Queries) error) error {
	return s.inTxOn(ctx, s.pool, opts, fn)
}

// inTxOn is inTx on a given pool (the primary's or a replica's).
func (s *Service) inTxOn(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(q *db.Queries) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = pgx.BeginTxFunc(ctx, pool, opts, func(tx pgx.Tx) error { return fn(s.q.WithTx(tx)) })
		if err == nil || !database.IsRetryable(err) {
			break
		}
		s.log.DebugContext(ctx, "retrying transaction", "attempt", attempt, "err", err)
	}
	return s.wrap(err)
}

// readOnly gives multi-query reads one consistent snapshot.
var (
	readOnly  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	readWrite = pgx.TxOptions{}
)

// wrap turns database errors into coded errors: the client learns what it can act on, and
// internal details stay in the logs.
func (s *Service) wrap(err error) error {
	var coded *paddles.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &coded):
		return err
	case database.IsUniqueViolation(err):
		// Writes resolve their conflicts with ON CONFLICT; this is the net under them.
		return paddles.Errorf(paddles.Conflict, "already exists: %s", database.ErrorDetail(err))
	case database.IsDataException(err):
		return paddles.Errorf(paddles.Invalid, "invalid value: %s", database.ErrorDetail(err))
	case database.IsUnavailable(err), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &paddles.Error{Code: paddles.Unavailable, Message: "the database is unavailable; please retry", Err: err}
	}
	return err
}

// storable reports whether PostgreSQL can hold every one of names as text: valid UTF-8 without
// NUL. A name it cannot hold names nothing, so reads and deletes by such a name answer not found,
// as the contract says, instead of PostgreSQL's "invalid byte sequence" (a 400 those operations do
// not have).
func storable(names ...string) bool {
	for _, n := range names {
		if !utf8.ValidString(n) || strings.IndexByte(n, 0) >= 0 {
			return false
		}
	}
	return true
}

func runNotFound(name string) error {
	return paddles.Errorf(paddles.NotFound, "run with name %s not found", name)
}

func notFoundOr(err error, notFound error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
	}
	return err
}

// Page selects one page of a listing.
type Page struct {
	Count *int // nil: the default page size
	Page  *int // 1-based; nil: the first page
}

// limits turns a page into LIMIT and OFFSET. Without a count, a paged listing has the default
// page size and an unpaged one no limit (nil).
func (s *Service) limits(p Page, paged bool) (limit *int64, offset int64, err error) {
	switch {
	case p.Count != nil:
		if *p.Count < 0 {
			return nil, 0, paddles.Errorf(paddles.Invalid, "count must be a non-negative integer")
		}
		n := int64(*p.Count)
		limit = &n
	case paged:
		n := int64(s.opts.RunsPageSize)
		limit = &n
	}
	if p.Page != nil {
		if *p.Page < 1 {
			return nil, 0, paddles.Errorf(paddles.Invalid, "page must be a positive integer")
		}
		if limit != nil {
			offset = *limit * int64(*p.Page-1)
		}
	}
	return limit, offset, nil
}

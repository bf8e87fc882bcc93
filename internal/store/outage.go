package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
)

// Riding out database outages. Every attempt on the primary (a transaction of Read or Write, a
// job write's pipeline, a single query on the pool) runs through attempt: while the database is
// known to be down it waits for it first (database.Availability), and an attempt that lost its
// connection takes the database down and, once it is back, runs again when that is safe:
//
//   - nothing of it reached the database, or its transaction cannot have committed: no
//     connection could be had (database.NothingSent), or it broke before the COMMIT was sent
//     (uncommitted: a BEGIN that failed, a statement of an open transaction, a pipeline's batch
//     that neither commits nor runs outside a BEGIN). Any operation may run again then: nothing
//     of it happened. This is known from where the attempt failed, not from pgx's SafeToRetry:
//     a COMMIT whose answer was lost came back as "conn closed", which pgx calls safe to retry,
//     and it had committed (TestLostAnswers).
//   - its COMMIT (or a pipeline's implicit one) was sent and the answer was lost, so it may have
//     committed: it runs again only if its operation says a second run ends as one does
//     (replayAny): reads, job POSTs (CreateJob) and job PUTs (UpdateJob). Every other write answers
//     503 as before; the package doc of each says why.

// replay says whether an operation may run again after an attempt that may have committed.
type replay int

const (
	// replayUncommitted: only an attempt that cannot have committed runs again.
	replayUncommitted replay = iota
	// replayAny: running the operation again ends as running it once (it reads only, or it is
	// written to be idempotent), so any attempt may run again; the second is told that the first
	// may have committed.
	replayAny
)

// Defaults of the outage settings (Option).
const (
	// DefaultOutageWait is how long a request waits for the database by default.
	DefaultOutageWait = 10 * time.Second
	// DefaultWaitersPerConn times the pool's size is how many requests may wait at a time.
	DefaultWaitersPerConn = 4
)

// retryAfter is the Retry-After of the outage's 503s. The server itself waits up to its outage
// wait for the database, so a client may come back soon: its retry waits again, it is not
// failed at once.
const retryAfter = time.Second

// maxLost bounds the attempts of one operation that lose their connection: a database that
// accepts connections but loses every one is no reason to loop until the request's deadline.
const maxLost = 10

// unavailableMessage is the message of every 503 the database's state causes.
const unavailableMessage = "the database is unavailable; please retry"

// Option tunes a Store.
type Option func(*Store)

// OutageWait makes requests wait at most d for a database that went away (0: they fail at once),
// at most waiting of them at a time (0: none wait).
func OutageWait(d time.Duration, waiting int) Option {
	return func(s *Store) { s.outageWait, s.maxWaiting = d, waiting }
}

// uncommitted marks the error of an attempt that cannot have committed anything.
type uncommitted struct{ err error }

func (e uncommitted) Error() string { return e.err.Error() }
func (e uncommitted) Unwrap() error { return e.err }

// notCommitted wraps err (nil stays nil) as the error of an attempt that cannot have committed.
func notCommitted(err error) error {
	if err == nil {
		return nil
	}
	return uncommitted{err}
}

// plain returns err without the uncommitted mark.
func plain(err error) error {
	if u, ok := err.(uncommitted); ok {
		return u.err
	}
	return err
}

// safeToRetry reports whether an attempt that failed with err can have committed nothing.
func safeToRetry(err error) bool {
	var u uncommitted
	return errors.As(err, &u) || database.NothingSent(err)
}

// attempt runs try until it succeeds or fails for good; the error is the database's, not yet
// interpreted (or a coded Unavailable once the wait for the database is over). a is the
// primary's availability, or nil for a replica (Browse falls back to the primary instead of
// waiting).
//
// While the database is down, it first waits for it, for at most the store's outage wait in all.
// A try that fails with a serialization failure or a deadlock runs again, maxAttempts tries in all
// (PostgreSQL rolled it back). One that loses its connection reports it, and runs again once the
// database is back if it cannot have committed, or if r is replayAny; then maybeDone tells it an
// earlier try may have committed. Otherwise its error is returned (a 503).
func (s *Store) attempt(ctx context.Context, a *database.Availability, r replay, try func(maybeDone bool) error) error {
	var deadline time.Time
	maybeDone := false
	for tries, lost := 1, 0; ; tries++ {
		if a != nil && !a.Up() {
			if deadline.IsZero() {
				deadline = time.Now().Add(s.outageWait)
			}
			if err := a.Wait(ctx, deadline); err != nil {
				return outage(err)
			}
		}
		var gen uint64
		if a != nil {
			gen = a.Generation()
		}
		err := try(maybeDone)
		switch {
		case err == nil:
			return nil
		case database.IsRetryable(err) && tries < maxAttempts:
			s.log.DebugContext(ctx, "retrying transaction", "attempt", tries, "err", err)
			continue
		case a == nil || ctx.Err() != nil || !database.IsConnectionLost(err):
			return plain(err)
		}
		a.Down(gen, err)
		if lost++; lost == maxLost {
			return plain(err)
		}
		if !safeToRetry(err) {
			if r != replayAny {
				return err
			}
			maybeDone = true
		}
		s.log.DebugContext(ctx, "the database connection was lost; trying again once it is back", "err", err)
	}
}

// outage is the error of an attempt that gave up waiting for the database: ctx's error (ended by
// the request's deadline or its client) or the availability's, which has logged the outage.
func outage(err error) error {
	return &paddles.Error{Code: paddles.Unavailable, Message: unavailableMessage, RetryAfter: retryAfter,
		Logged: !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled), Err: err}
}

// poolConn runs the single queries of the Store's own Q on the primary's pool, each an implicit
// transaction of its own, through attempt. A single statement may be a write (CreateRun,
// DeleteRun, DeleteNode, ...), and nothing here tells which: one runs again only when it cannot
// have committed (replayUncommitted).
//
// A query's rows are read after Query returns: a connection lost while reading them fails the
// query (reported to the availability) but is not retried. Query and QueryRow run again only when
// no connection could be had.
type poolConn struct{ s *Store }

func (c poolConn) Exec(ctx context.Context, sql string, args ...any) (tag pgconn.CommandTag, err error) {
	err = c.s.attempt(ctx, c.s.avail, replayUncommitted, func(bool) error {
		conn, err := c.s.pool.Acquire(ctx)
		if err != nil {
			return notCommitted(err)
		}
		defer conn.Release()
		tag, err = conn.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

func (c poolConn) Query(ctx context.Context, sql string, args ...any) (rows pgx.Rows, err error) {
	gen := c.s.avail.Generation()
	err = c.s.attempt(ctx, c.s.avail, replayUncommitted, func(bool) error {
		gen = c.s.avail.Generation()
		rows, err = c.s.pool.Query(ctx, sql, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &watchedRows{Rows: rows, a: c.s.avail, gen: gen}, nil
}

func (c poolConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := c.Query(ctx, sql, args...)
	return &row{rows: rows, err: err}
}

// watchedRows reports a connection lost while its rows are read.
type watchedRows struct {
	pgx.Rows
	a   *database.Availability
	gen uint64
}

func (r *watchedRows) Err() error {
	err := r.Rows.Err()
	if err != nil && database.IsConnectionLost(err) {
		r.a.Down(r.gen, err)
	}
	return err
}

// row is pgx's Row over Query's rows (pgx's own is not exported): the first row, or ErrNoRows.
type row struct {
	rows pgx.Rows
	err  error
}

func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// Package store owns the database: it is the only package of the server that uses the generated
// queries (gen/db). It runs transactions (Read, Write and Browse, which may go to a streaming
// replica), retrying those PostgreSQL asks to retry, and offers the queries as methods on Q that
// take and return the domain types of package paddles, plain Go values or the small structs
// declared here; rows are mapped to domain values field by field (map.go, and for jobs
// job_keys.gen.go, generated from the contract's Job schema), never by conversion.
//
// Database errors are interpreted here, once, by every method and transaction:
//
//	no row (pgx.ErrNoRows), or nothing deleted      ErrNotFound
//	ON CONFLICT DO NOTHING inserted nothing          ErrExists
//	unique violation (23505)                         paddles.Conflict "already exists: ..."
//	data exception (class 22)                        paddles.Invalid "invalid value: ..."
//	unreachable, shut down, cancelled, deadline      paddles.Unavailable "the database is unavailable; please retry"
//	                                                 (with RetryAfter)
//	serialization failure, deadlock                  retried, up to maxAttempts, then as is
//	connection lost                                  waited for and retried where safe (outage.go)
//
// Coded errors (*paddles.Error) pass through unchanged; anything else is returned as is (a 500).
// Callers turn ErrNotFound and ErrExists into the messages of their operations.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
)

// Q runs queries: on the pool, each in a transaction of its own, or in one transaction of Read,
// Write or Browse: the generated ones, and the few built at run time (JobUpdate).
type Q struct {
	queries *db.Queries
	conn    db.DBTX
}

func newQ(conn db.DBTX) *Q { return &Q{queries: db.New(conn), conn: conn} }

func (q *Q) q() *db.Queries { return q.queries }

// Store is the database of the server. Its embedded Q runs single queries on the primary.
type Store struct {
	*Q
	pool    *pgxpool.Pool
	replica *replica
	log     *slog.Logger
	// avail is the primary's availability: requests wait for it while it is down (outage.go), at
	// most outageWait each and maxWaiting at a time.
	avail      *database.Availability
	outageWait time.Duration
	maxWaiting int
}

// New returns a Store on pool. With a replica pool, Browse reads there while its replay is at
// most maxLag behind. Requests wait for a primary that went away as opts say (by default
// DefaultOutageWait, DefaultWaitersPerConn requests per connection of the pool at a time).
func New(pool, replicaPool *pgxpool.Pool, maxLag time.Duration, log *slog.Logger, opts ...Option) *Store {
	s := &Store{pool: pool, log: log, outageWait: DefaultOutageWait, maxWaiting: -1}
	for _, o := range opts {
		o(s)
	}
	if s.maxWaiting < 0 {
		s.maxWaiting = DefaultWaitersPerConn * int(pool.Config().MaxConns)
	}
	s.avail = database.NewAvailability(pool, s.maxWaiting, log)
	s.Q = newQ(poolConn{s})
	if replicaPool != nil {
		s.replica = newReplica(replicaPool, maxLag, log)
	}
	return s
}

// Close stops watching the database (the prober of an outage).
func (s *Store) Close() { s.avail.Close() }

// maxAttempts bounds how often a transaction is retried after a serialization failure or a
// deadlock, which PostgreSQL may report under contention even though each write locks its run
// first.
const maxAttempts = 5

// readOnly gives multi-query reads one consistent snapshot.
var (
	readOnly  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	readWrite = pgx.TxOptions{}
)

// Write runs fn in a read-write transaction and commits it, retrying fn from scratch when
// PostgreSQL asks for it, or when the database went away before the COMMIT was sent. Nothing fn
// wrote survives an error.
//
// A transaction whose COMMIT was sent and not answered is not run again: it may have committed,
// and none of Write's operations would end the same when run twice (a job DELETE would answer
// 404, a run's creation "already exists", lock_many would lock more nodes, popping a queue would
// pop another job, a node's or queue's update could undo a later one). It answers 503.
func (s *Store) Write(ctx context.Context, fn func(q *Q) error) error {
	return s.inTx(ctx, s.pool, readWrite, fn)
}

// Read runs fn in a read-only transaction on the primary, in one snapshot. A read may always run
// again, however its attempt ended.
func (s *Store) Read(ctx context.Context, fn func(q *Q) error) error {
	return s.inTx(ctx, s.pool, readOnly, fn)
}

// Browse runs a browse-only read (listings, filters, search, node history and stats): on the
// replica when one is configured and close enough behind, else, or if the replica fails, on the
// primary. Reads of what a client has just written (a run or job by name, lock state, queues)
// never come here: they stay on the primary, so a writer never reads its own write stale.
func (s *Store) Browse(ctx context.Context, fn func(q *Q) error) error {
	if r := s.replica; r != nil && r.ok(ctx) {
		err := s.inTx(ctx, r.pool, readOnly, fn)
		if !replicaFailed(err) || ctx.Err() != nil {
			return err
		}
		r.down(err)
	}
	return s.Read(ctx, fn)
}

// replicaFailed reports whether a browse read failed for the replica's sake, not with an answer:
// the replica is unavailable, or failed unexpectedly (a standby that has not replayed the latest
// migration yet knows no such table). The primary then answers instead.
func replicaFailed(err error) bool {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) {
		return false
	}
	code := paddles.ErrorCode(err)
	return code == paddles.Unavailable || code == paddles.Internal
}

// inTx runs fn in a transaction on pool (the primary's or a replica's), through attempt.
func (s *Store) inTx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(q *Q) error) error {
	a, r := s.avail, replayUncommitted
	if pool != s.pool {
		a = nil // a replica's failure sends Browse to the primary
	}
	if opts.AccessMode == pgx.ReadOnly {
		r = replayAny
	}
	return interpret(s.attempt(ctx, a, r, func(bool) error { return txOnce(ctx, pool, opts, fn) }))
}

// txOnce runs fn in a transaction, as pgx.BeginTxFunc does, and marks the errors that come
// before the COMMIT is sent: the transaction cannot have committed.
func txOnce(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(q *Q) error) error {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return notCommitted(err)
	}
	if err := fn(newQ(tx)); err != nil {
		_ = tx.Rollback(ctx) // the pool closes a connection it gets back inside a transaction, should this fail
		return notCommitted(err)
	}
	// A COMMIT that fails may have committed, whatever the error says: with its answer lost,
	// pgx reported "conn closed", an error it calls safe to retry (TestLostAnswers).
	return tx.Commit(ctx)
}

// Ready reports whether the database answers and its schema is current (database.CheckReady). A
// database known to be down is reported at once (database.ErrDown).
func (s *Store) Ready(ctx context.Context) error {
	if !s.avail.Up() {
		return fmt.Errorf("%w: %w: %v", database.ErrUnreachable, database.ErrDown, s.avail.Cause())
	}
	gen := s.avail.Generation()
	err := database.CheckReady(ctx, s.pool)
	if errors.Is(err, database.ErrUnreachable) && ctx.Err() == nil && database.IsConnectionLost(err) {
		s.avail.Down(gen, err)
	}
	return err
}

// Counts are the numbers of rows an import verification compares with upstream.
type Counts struct{ Runs, Jobs, Nodes, Links, Queues int64 }

// ImportCounts counts the rows of pool's database that an import verification compares.
func ImportCounts(ctx context.Context, pool *pgxpool.Pool) (Counts, error) {
	r, err := db.New(pool).ImportCounts(ctx)
	return Counts{Runs: r.Runs, Jobs: r.Jobs, Nodes: r.Nodes, Links: r.Links, Queues: r.Queues}, interpret(err)
}

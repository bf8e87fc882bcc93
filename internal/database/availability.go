package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Availability knows whether the primary database is up, so that requests arriving while it is
// away wait for it (bounded) instead of failing at once, and so that an outage is logged once, not
// once a request.
//
// It is up until a caller reports a lost connection (Down). Then one prober pings the database,
// with backoff, until it answers; meanwhile Wait holds the callers, at most MaxWaiting of them at a
// time, each for at most its limit. On the database's return the waiters are woken at once (a
// channel closed), and the outage is logged, with its length. While the database is up, Wait costs
// one atomic load.
type Availability struct {
	ping       func(context.Context) error // the prober's check
	reset      func()                      // drops the pool's connections, dead after an outage
	maxWaiting int64
	log        *slog.Logger

	up      atomic.Bool
	waiting atomic.Int64
	gen     atomic.Uint64 // outages so far; an attempt reports its Down with the generation it began in

	mu    sync.Mutex
	back  chan struct{} // closed when the database is back
	since time.Time     // when it went away
	cause error         // the error that said so

	ctx  context.Context // the prober's lifetime
	stop context.CancelFunc
}

// Why Wait gave up.
var (
	// ErrDown: the database did not come back within the wait.
	ErrDown = errors.New("the database is down")
	// ErrTooManyWaiting: as many requests as allowed wait for the database already.
	ErrTooManyWaiting = errors.New("too many requests are waiting for the database")
)

// Probing backs off from probeFirst to probeMax between pings; each ping gets probeTimeout.
const (
	probeFirst   = 20 * time.Millisecond
	probeMax     = 200 * time.Millisecond
	probeTimeout = 2 * time.Second
)

// NewAvailability watches pool. At most maxWaiting callers wait at a time (0: none; every caller
// fails at once while the database is down).
func NewAvailability(pool *pgxpool.Pool, maxWaiting int, log *slog.Logger) *Availability {
	return newAvailability(pool.Ping, pool.Reset, maxWaiting, log)
}

func newAvailability(ping func(context.Context) error, reset func(), maxWaiting int, log *slog.Logger) *Availability {
	a := &Availability{ping: ping, reset: reset, maxWaiting: int64(maxWaiting), log: log}
	a.ctx, a.stop = context.WithCancel(context.Background())
	a.up.Store(true)
	return a
}

// Close stops the prober, if one runs.
func (a *Availability) Close() { a.stop() }

// Up reports whether the database is thought to be up: no connection was lost since it last
// answered.
func (a *Availability) Up() bool { return a.up.Load() }

// Generation identifies the current stretch of availability; an attempt takes it before it
// starts, and reports it with its failure.
func (a *Availability) Generation() uint64 { return a.gen.Load() }

// Cause returns the error that took the database down, or nil while it is up.
func (a *Availability) Cause() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.up.Load() {
		return nil
	}
	return a.cause
}

// Down reports that an attempt begun in generation gen lost its connection with err. The first
// report of an outage takes the database down: it logs, drops the pool's connections (after a
// restart every one of them is dead, and each would fail a request) and starts the prober. Reports
// from attempts begun before the latest outage, or during it, change nothing.
func (a *Availability) Down(gen uint64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.up.Load() || a.gen.Load() != gen || a.ctx.Err() != nil {
		return
	}
	a.gen.Add(1)
	a.back = make(chan struct{})
	a.since = time.Now()
	a.cause = err
	a.up.Store(false)
	a.log.Warn("the database is unreachable; requests wait for it", "err", err)
	a.reset()
	go a.probe(a.back)
}

// probe pings the database until it answers, then brings it up and wakes the waiters.
func (a *Availability) probe(back chan struct{}) {
	wait := probeFirst
	for {
		ctx, cancel := context.WithTimeout(a.ctx, probeTimeout)
		err := a.ping(ctx)
		cancel()
		if err == nil {
			break
		}
		select {
		case <-a.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, probeMax)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log.Info("the database is back", "down_for", time.Since(a.since).Round(time.Millisecond))
	a.up.Store(true)
	close(back)
}

// Wait returns nil at once while the database is up. While it is down, it waits until the
// database is back (nil), ctx ends (ctx's error) or the deadline passes (ErrDown); it fails at
// once with ErrTooManyWaiting when MaxWaiting callers wait already. Its errors wrap the cause of
// the outage.
func (a *Availability) Wait(ctx context.Context, deadline time.Time) error {
	if a.up.Load() {
		return nil
	}
	a.mu.Lock()
	back, cause := a.back, a.cause
	a.mu.Unlock()
	if back == nil || a.up.Load() {
		return nil
	}
	if a.waiting.Add(1) > a.maxWaiting {
		a.waiting.Add(-1)
		return fmt.Errorf("%w: %w", ErrTooManyWaiting, cause)
	}
	defer a.waiting.Add(-1)
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-back:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("%w: %w", ErrDown, cause)
	}
}

// Waiting returns how many callers wait now.
func (a *Availability) Waiting() int { return int(a.waiting.Load()) }

// IsConnectionLost reports whether err means the database went away: it is unavailable
// (IsUnavailable) for a reason other than a timeout or a cancelled query (a frozen or slow
// database, a statement past statement_timeout, which Down would not fix: the prober's ping would
// answer).
func IsConnectionLost(err error) bool {
	return IsUnavailable(err) && !pgconn.Timeout(err) && sqlState(err) != queryCanceled &&
		!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// NothingSent reports whether an attempt that failed with err sent nothing to the database, so
// that whatever it was doing can run again however it is written: the connection could not be
// made. (pgx's SafeToRetry is not relied on: a COMMIT whose answer was lost came back as "conn
// closed", which it calls safe, and it had committed. Callers know better where their attempt
// failed: before its COMMIT was sent, say.)
func NothingSent(err error) bool {
	var connectErr *pgconn.ConnectError
	return errors.As(err, &connectErr)
}

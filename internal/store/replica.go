package store

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/gen/db"
)

// replica is a streaming replica that browse-only reads may use while its replay is at most
// maxLag behind. Its state is checked at most every replicaCheckEvery, by one caller at a time;
// the others go by the last result.
type replica struct {
	pool   *pgxpool.Pool
	q      *db.Queries
	maxLag time.Duration
	log    *slog.Logger

	mu      sync.Mutex // held while checking
	checked time.Time
	usable  atomic.Bool
}

const replicaCheckEvery = 250 * time.Millisecond

func newReplica(pool *pgxpool.Pool, maxLag time.Duration, log *slog.Logger) *replica {
	return &replica{pool: pool, q: db.New(pool), maxLag: maxLag, log: log}
}

// ok reports whether reads may go to the replica now.
func (r *replica) ok(ctx context.Context) bool {
	if r.mu.TryLock() {
		if time.Since(r.checked) >= replicaCheckEvery {
			r.check(ctx)
		}
		r.mu.Unlock()
	}
	return r.usable.Load()
}

func (r *replica) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	lag, err := r.q.ReplicaLag(ctx)
	usable := err == nil && time.Duration(lag*float64(time.Second)) <= r.maxLag
	if usable != r.usable.Load() {
		r.log.Info("read replica", "in_use", usable, "lag_seconds", lag, "err", err)
	}
	r.usable.Store(usable)
	r.checked = time.Now()
}

// down takes the replica out of use until its next check shows it usable again.
func (r *replica) down(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.usable.Swap(false) {
		r.log.Warn("read replica failed; reading from the primary", "err", err)
	}
	r.checked = time.Now()
}

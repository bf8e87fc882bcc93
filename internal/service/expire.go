package service

import (
	"context"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// Expiry says when jobs are stale: running, waiting or unknown jobs not updated for Active, and
// queued jobs not updated for Queued. Upstream's cron'd expire_jobs used 30 minutes and 14 days.
type Expiry struct {
	Active, Queued time.Duration
}

// expiryBatch bounds the jobs one transaction expires, so that a first pass over a large backlog
// does not hold many runs locked at once.
const expiryBatch = 1000

// ExpireJobs marks stale jobs dead, so that their runs finish; run status and results follow in
// the same transactions. Passes from several replicas take turns on an advisory lock: a pass that
// finds another running reports busy and expires nothing. It returns the number of jobs expired.
func (s *Service) ExpireJobs(ctx context.Context, e Expiry) (expired int64, busy bool, err error) {
	for {
		var old []string
		err := s.st.Write(ctx, func(q *store.Q) error {
			locked, err := q.ExpiryLock(ctx)
			if err != nil || !locked {
				busy = !locked
				return err
			}
			now := s.now()
			old, err = q.ExpireJobs(ctx, now.Add(-e.Active), now.Add(-e.Queued), now, expiryBatch)
			return err
		})
		for _, status := range old {
			s.opts.StatusChanged(status, paddles.StatusDead)
		}
		expired += int64(len(old))
		if err != nil || busy || len(old) < expiryBatch {
			return expired, busy, err
		}
	}
}

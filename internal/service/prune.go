package service

import (
	"context"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// PruneOptions is a prune pass: its policy, whether it only counts, and whom to tell its
// progress.
type PruneOptions struct {
	Policy paddles.PrunePolicy
	// DryRun counts what the pass would delete, batch by batch as a real pass (the same runs,
	// locked and re-checked the same way), and deletes nothing.
	DryRun bool
	// BatchTime is how long one batch's transaction should take (default PruneBatchTime); the
	// batch size follows the measured rate.
	BatchTime time.Duration
	// MaxBatchJobs, if set, bounds the jobs of a batch (a batch still holds at least one run).
	MaxBatchJobs int64
	// Progress, if set, is told after every batch.
	Progress func(PruneProgress)
}

// PruneProgress is how far a prune pass got: what it deleted (or, dry, would delete) so far, and
// what it expected to delete when it started.
type PruneProgress struct {
	Runs, Jobs, Links      int64
	Batches                int
	Elapsed                time.Duration
	ExpectRuns, ExpectJobs int64
	// LongestBatch is the longest batch transaction so far: how long writers may have waited for
	// the counters it held.
	LongestBatch time.Duration
}

// Rows is the rows the pass deleted: runs, jobs, their node links and their test results (one
// per job).
func (p PruneProgress) Rows() int64 { return p.Runs + 2*p.Jobs + p.Links }

// PruneBatchTime is the default duration of a prune batch: short enough that a writer waiting
// for a counter row a batch holds (run_values, test_sha1s) waits well under a second.
const PruneBatchTime = 200 * time.Millisecond

const (
	pruneWalk      = 1000 // runs read per candidate query
	pruneFirstJobs = 200  // jobs of the first batch, before any rate is known
	pruneMinJobs   = 20
	pruneMaxJobs   = 20000
)

// Prune deletes the runs a policy selects, with their jobs, node links and derived rows, in
// batches: each its own short transaction that locks its runs in id order (as expiry), re-checks
// the policy under the lock and deletes them, so that an interrupted pass leaves whole runs
// deleted or kept and a rerun continues where it stopped. Passes from several replicas and the
// command take turns on an advisory lock held for the pass: a pass that finds another running
// reports busy and deletes nothing.
func (s *Service) Prune(ctx context.Context, o PruneOptions) (p PruneProgress, busy bool, err error) {
	pol := o.Policy
	if pol.OlderThan < paddles.PruneMinAge {
		return p, false, paddles.Errorf(paddles.Invalid, "older-than must be at least %v", paddles.PruneMinAge)
	}
	if pol.KeepFailedFor < 0 {
		return p, false, paddles.Errorf(paddles.Invalid, "keep-failed-for must not be negative")
	}
	if o.BatchTime <= 0 {
		o.BatchTime = PruneBatchTime
	}
	now := s.now()
	cuts := store.PruneCuts{Cutoff: now.Add(-pol.OlderThan), FailedCutoff: now.Add(-max(pol.OlderThan, pol.KeepFailedFor)),
		KeepTags: pol.KeepTags}
	ok, err := s.st.Exclusive(ctx, func() error {
		start := time.Now()
		var err error
		if p.ExpectRuns, p.ExpectJobs, err = s.st.PruneCount(ctx, cuts); err != nil {
			return err
		}
		maxJobs := int64(pruneMaxJobs)
		if o.MaxBatchJobs > 0 {
			maxJobs = o.MaxBatchJobs
		}
		budget := min(int64(pruneFirstJobs), maxJobs)
		var cursor store.PruneCursor
		for {
			var cands []store.PruneCandidate
			cands, cursor, err = s.st.PruneCandidates(ctx, cuts, cursor, pruneWalk)
			if err != nil || len(cands) == 0 {
				return err
			}
			for len(cands) > 0 {
				n, jobs := 0, int64(0)
				for n < len(cands) && (n == 0 || jobs+cands[n].Jobs <= budget) {
					jobs += cands[n].Jobs
					n++
				}
				ids := make([]int64, n)
				for i := range ids {
					ids[i] = cands[i].ID
				}
				cands = cands[n:]
				began := time.Now()
				var b store.Pruned
				err := s.st.Write(ctx, func(q *store.Q) (err error) {
					b, err = q.PruneRuns(ctx, cuts, ids, o.DryRun)
					return err
				})
				if err != nil {
					return err
				}
				took := time.Since(began)
				p.Runs, p.Jobs, p.Links, p.Batches = p.Runs+b.Runs, p.Jobs+b.Jobs, p.Links+b.Links, p.Batches+1
				p.LongestBatch = max(p.LongestBatch, took)
				p.Elapsed = time.Since(start)
				if o.Progress != nil {
					o.Progress(p)
				}
				// The next batch's size follows this one's rate, within bounds, and grows at most
				// fourfold at once.
				if jobs > 0 {
					rate := float64(jobs) / max(took.Seconds(), 1e-3)
					budget = min(max(int64(rate*o.BatchTime.Seconds()), min(pruneMinJobs, maxJobs)), maxJobs, 4*budget)
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
	})
	return p, !ok && err == nil, err
}

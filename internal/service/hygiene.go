package service

import (
	"context"
	"errors"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// LockTrailPage is a page of the lock trail; Total is a lower bound unless TotalExact.
type LockTrailPage struct {
	Events     []paddles.LockEvent
	Total      int64
	TotalExact bool
}

// NodeLocks returns a page of a node's lock trail, newest first. A name with no node and no
// trail is not found; a deleted node's trail is still there.
func (s *Service) NodeLocks(ctx context.Context, node string, page Page) (LockTrailPage, error) {
	var result LockTrailPage
	if !storable(node) {
		return result, nodeNotFound()
	}
	limit, offset, err := s.failureLimits(page)
	if err != nil {
		return result, err
	}
	err = s.st.Browse(ctx, func(q *store.Q) (err error) {
		result.Events, result.Total, result.TotalExact, err = q.NodeLockTrail(ctx, node, limit, offset)
		if err != nil || result.Total > 0 {
			return err
		}
		if _, err := q.NodeID(ctx, node); errors.Is(err, store.ErrNotFound) {
			return nodeNotFound()
		} else {
			return err
		}
	})
	return result, err
}

// LockTrailQuery selects lock trail rows; nil fields do not filter.
type LockTrailQuery struct {
	Owner, MachineType, Since *string
}

// Locks returns a page of the lab's lock trail, newest first.
func (s *Service) Locks(ctx context.Context, lq LockTrailQuery, page Page) (LockTrailPage, error) {
	var result LockTrailPage
	f := store.LockTrailFilter{Owner: lq.Owner, MachineType: lq.MachineType}
	if lq.Since != nil {
		t, err := paddles.ParseSince(*lq.Since)
		if err != nil {
			return result, err
		}
		f.Since = &t
	}
	limit, offset, err := s.failureLimits(page)
	if err != nil {
		return result, err
	}
	err = s.st.Browse(ctx, func(q *store.Q) (err error) {
		result.Events, result.Total, result.TotalExact, err = q.LockTrail(ctx, f, limit, offset)
		return err
	})
	return result, err
}

// StaleLockQuery selects stale locks: OlderThan is how long a job must have been finished (or
// gone, by its lock's age), NoJobOlderThan how long a lock for no job must have been held.
type StaleLockQuery struct {
	OlderThan, NoJobOlderThan time.Duration
	LockedBy, MachineType     *string
}

// Defaults of GET /nodes/stale_locks/: teuthology's grace time, and a week for a lock with no job.
const (
	StaleOlderThan      = 5 * time.Minute
	StaleNoJobOlderThan = 7 * 24 * time.Hour
)

// StaleLocks returns the locked nodes whose lock no job needs any more, by name, each with the
// reason (what teuthology's find_stale_locks works out by fetching each job).
func (s *Service) StaleLocks(ctx context.Context, sq StaleLockQuery) ([]paddles.StaleLock, error) {
	var out []paddles.StaleLock
	err := s.st.Read(ctx, func(q *store.Q) error {
		out = out[:0]
		nodes, err := q.LockedNodes(ctx, sq.LockedBy, sq.MachineType)
		if err != nil {
			return err
		}
		var refs []store.JobRef
		for _, n := range nodes {
			if run, job, ok := paddles.LockedJob(n.Node.Description); ok {
				refs = append(refs, store.JobRef{Run: run, JobID: job})
			}
		}
		jobs, err := q.JobStates(ctx, refs)
		if err != nil {
			return err
		}
		now := s.now()
		lockedFor := func(n *paddles.Node, d time.Duration) bool {
			return n.LockedSince != nil && n.LockedSince.Before(now.Add(-d))
		}
		for _, n := range nodes {
			var st *paddles.StaleLock
			if run, job, ok := paddles.LockedJob(n.Node.Description); ok {
				if j, found := jobs[store.JobRef{Run: run, JobID: job}]; found {
					if paddles.Finished(*j.Status) && j.Updated.Before(now.Add(-sq.OlderThan)) {
						st = &paddles.StaleLock{Reason: paddles.StaleJobFinished, StaleSince: j.Updated, Job: &j}
					}
				} else if lockedFor(&n.Node, sq.OlderThan) {
					st = &paddles.StaleLock{Reason: paddles.StaleJobGone, StaleSince: n.Node.LockedSince,
						Job: &paddles.StaleLockJob{Run: run, JobID: job, FoundBy: "description"}}
				}
			} else if j := n.Linked; j != nil {
				if paddles.Finished(*j.Status) && j.Updated.Before(now.Add(-sq.OlderThan)) {
					st = &paddles.StaleLock{Reason: paddles.StaleJobFinished, StaleSince: j.Updated, Job: j}
				}
			} else if lockedFor(&n.Node, sq.NoJobOlderThan) {
				st = &paddles.StaleLock{Reason: paddles.StaleNoJob, StaleSince: n.Node.LockedSince}
			}
			if st != nil {
				st.Node = n.Node
				out = append(out, *st)
			}
		}
		return nil
	})
	return out, err
}

// UnhealthyNodes returns the nodes whose last streak finished jobs all failed alike (one failure
// signature, or, without one, one status), by name, with those jobs newest first.
func (s *Service) UnhealthyNodes(ctx context.Context, streak int, machineType *string) ([]paddles.UnhealthyNode, error) {
	if streak < paddles.StreakMin || streak > paddles.StreakMax {
		return nil, paddles.Errorf(paddles.Invalid, "streak must be an integer from %d to %d", paddles.StreakMin, paddles.StreakMax)
	}
	var out []paddles.UnhealthyNode
	err := s.st.Browse(ctx, func(q *store.Q) error {
		out = out[:0]
		streaks, err := q.NodeStreaks(ctx, streak, machineType)
		if err != nil {
			return err
		}
		var ids []int64
		var sigIDs []string
		for _, ns := range streaks {
			u, ok := failingAlike(ns.Jobs, streak)
			if !ok {
				continue
			}
			u.Node = ns.Node
			out = append(out, u)
			for _, j := range u.Jobs {
				ids = append(ids, j.ID)
			}
			if u.SignatureID != nil {
				sigIDs = append(sigIDs, *u.SignatureID)
			}
		}
		if len(out) == 0 {
			return nil
		}
		reasons, err := q.JobFailureReasons(ctx, ids)
		if err != nil {
			return err
		}
		sigs, err := q.Signatures(ctx, sigIDs)
		if err != nil {
			return err
		}
		for i := range out {
			u := &out[i]
			for k := range u.Jobs {
				u.Jobs[k].FailureReason = reasons[u.Jobs[k].ID]
			}
			if u.SignatureID != nil {
				if sig, ok := sigs[*u.SignatureID]; ok {
					u.Signature, u.TrackerURL = &sig.Text, sig.TrackerURL
				}
			}
		}
		return nil
	})
	return out, err
}

// failingAlike says whether jobs (a node's last finished ones) are streak failures alike: all
// failed or dead, with one signature, or with none and one status.
func failingAlike(jobs []paddles.UnhealthyJob, streak int) (paddles.UnhealthyNode, bool) {
	if len(jobs) < streak {
		return paddles.UnhealthyNode{}, false
	}
	first := jobs[0]
	u := paddles.UnhealthyNode{Status: first.Status, SignatureID: first.SignatureID, Jobs: jobs}
	for _, j := range jobs {
		if j.Status != paddles.StatusFail && j.Status != paddles.StatusDead {
			return u, false
		}
		switch {
		case (j.SignatureID == nil) != (first.SignatureID == nil):
			return u, false
		case j.SignatureID != nil && *j.SignatureID != *first.SignatureID:
			return u, false
		case j.SignatureID == nil && j.Status != first.Status:
			return u, false
		}
		if j.Status == paddles.StatusFail {
			u.Status = paddles.StatusFail
		}
	}
	return u, true
}

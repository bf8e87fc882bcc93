package paddles

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Lab hygiene (issue 20): the lock audit trail, stale locks, failing nodes and retention.

// Lock trail actions: how a node's lock changed.
const (
	LockActionLock       = "lock"
	LockActionUnlock     = "unlock"
	LockActionLockMany   = "lock_many"
	LockActionUnlockMany = "unlock_many"
	LockActionUpdate     = "update"
)

// LockEvent is one committed change of a node's lock, as the trail keeps it.
type LockEvent struct {
	ID                                  int64
	Node                                string
	MachineType                         *string
	Action                              string
	LockedBefore, LockedAfter           bool
	OwnerBefore, OwnerAfter             *string
	DescriptionBefore, DescriptionAfter *string
	At                                  time.Time
	RequestID                           *string
}

// LockChange is the trail's row for a write that took a node from before to after, and whether
// there is one: a write that changes neither the lock, its owner nor, on a locked node, its
// description changes no lock. many is the action of a lock_many or unlock_many; "" for one node.
func LockChange(before, after *Node, many string, at time.Time, requestID RequestID) (LockEvent, bool) {
	lockDesc := func(n *Node) *string {
		if n.Locked {
			return n.Description
		}
		return nil
	}
	if before.Locked == after.Locked && eqText(before.LockedBy, after.LockedBy) &&
		eqText(lockDesc(before), lockDesc(after)) {
		return LockEvent{}, false
	}
	action := many
	switch {
	case action != "":
	case !before.Locked && after.Locked:
		action = LockActionLock
	case before.Locked && !after.Locked:
		action = LockActionUnlock
	default:
		action = LockActionUpdate
	}
	ev := LockEvent{Node: after.Name, MachineType: after.MachineType, Action: action,
		LockedBefore: before.Locked, LockedAfter: after.Locked, OwnerBefore: before.LockedBy, OwnerAfter: after.LockedBy,
		DescriptionBefore: before.Description, DescriptionAfter: after.Description, At: at}
	if requestID != "" {
		s := string(requestID)
		ev.RequestID = &s
	}
	return ev, true
}

func eqText(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// RequestID is the id of the request a write serves (its X-Request-Id), recorded with what it
// changes; "" when there is none (a command, a test).
type RequestID string

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request's id.
func WithRequestID(ctx context.Context, id RequestID) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id ctx carries, or "".
func RequestIDFrom(ctx context.Context) RequestID {
	id, _ := ctx.Value(requestIDKey{}).(RequestID)
	return id
}

// LockedJob reads the job a lock is for from its description, as teuthology's node_active_job
// does: a description that starts with '/' and has at least two '/' (the job's archive path,
// /home/teuthworker/archive/<run>/<job_id>) names the run and job of its last two parts. One
// trailing '/' is allowed.
func LockedJob(description *string) (run, jobID string, ok bool) {
	if description == nil {
		return "", "", false
	}
	d := strings.TrimSuffix(*description, "/")
	if !strings.HasPrefix(d, "/") || strings.Count(d, "/") < 2 {
		return "", "", false
	}
	i := strings.LastIndexByte(d, '/')
	jobID = d[i+1:]
	run = d[strings.LastIndexByte(d[:i], '/')+1 : i]
	if run == "" || jobID == "" {
		return "", "", false
	}
	return run, jobID, true
}

// Stale lock reasons.
const (
	StaleJobFinished = "job_finished"
	StaleJobGone     = "job_gone"
	StaleNoJob       = "no_job"
)

// StaleLock is a locked node whose lock no job needs, and why.
type StaleLock struct {
	Node       Node
	Reason     string
	StaleSince *time.Time
	// Job is the job the lock is for (nil for StaleNoJob); FoundBy says how it was found.
	Job *StaleLockJob
}

// StaleLockJob is the job of a stale lock; Status and Updated are nil for a job that is gone.
type StaleLockJob struct {
	Run, JobID string
	Status     *string
	Updated    *time.Time
	FoundBy    string // "description" or "targets"
}

// Finished says whether a job status is final: only then is a lock for it stale.
func Finished(status string) bool {
	return status == StatusPass || status == StatusFail || status == StatusDead
}

// UnhealthyNode is a node whose last finished jobs failed alike.
type UnhealthyNode struct {
	Node        Node
	Status      string
	SignatureID *string
	Signature   *string
	TrackerURL  *string
	Jobs        []UnhealthyJob
}

// UnhealthyJob is one job of a failing streak.
type UnhealthyJob struct {
	ID            int64
	Run, JobID    string
	Status        string
	Posted        time.Time
	SignatureID   *string
	FailureReason *string
}

// Streak bounds for GET /nodes/unhealthy/.
const (
	StreakDefault = 3
	StreakMin     = 2
	StreakMax     = 50
)

// ParseAge reads a duration parameter or flag: Go's syntax (5m, 2h, 1h30m) or a number of days
// (7d); 0 or more.
func ParseAge(name, s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.ParseFloat(days, 64); err == nil && n >= 0 && n < 1e5 {
			return time.Duration(n * 24 * float64(time.Hour)), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, Errorf(Invalid, "%s must be a duration such as 5m, 2h, 1h30m or 7d: %q", name, s)
}

// PrunePolicy says which runs a prune deletes: those scheduled more than OlderThan ago, but not
// one carrying a tag of KeepTags, nor one with failed or dead jobs scheduled less than
// KeepFailedFor ago.
type PrunePolicy struct {
	OlderThan     time.Duration
	KeepTags      []string
	KeepFailedFor time.Duration
}

// PruneMinAge is the least OlderThan a prune accepts: it deletes finished history, never the
// day's work.
const PruneMinAge = time.Hour

package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// RecordLocks writes lock trail rows in the caller's transaction.
func (q *Q) RecordLocks(ctx context.Context, events []paddles.LockEvent) error {
	if len(events) == 0 {
		return nil
	}
	type row struct {
		Node              string    `json:"node"`
		MachineType       *string   `json:"machine_type"`
		Action            string    `json:"action"`
		LockedBefore      bool      `json:"locked_before"`
		LockedAfter       bool      `json:"locked_after"`
		OwnerBefore       *string   `json:"owner_before"`
		OwnerAfter        *string   `json:"owner_after"`
		DescriptionBefore *string   `json:"description_before"`
		DescriptionAfter  *string   `json:"description_after"`
		At                time.Time `json:"at"`
		RequestID         *string   `json:"request_id"`
	}
	rows := make([]row, len(events))
	for i, e := range events {
		rows[i] = row{Node: e.Node, MachineType: e.MachineType, Action: e.Action, LockedBefore: e.LockedBefore,
			LockedAfter: e.LockedAfter, OwnerBefore: e.OwnerBefore, OwnerAfter: e.OwnerAfter,
			DescriptionBefore: e.DescriptionBefore, DescriptionAfter: e.DescriptionAfter, At: e.At, RequestID: e.RequestID}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	return interpret(q.q().RecordNodeLocks(ctx, b))
}

func toLockEvents(rows []db.NodeLock) []paddles.LockEvent {
	out := make([]paddles.LockEvent, len(rows))
	for i, r := range rows {
		out[i] = paddles.LockEvent{ID: r.ID, Node: r.Node, MachineType: r.MachineType, Action: r.Action,
			LockedBefore: r.LockedBefore, LockedAfter: r.LockedAfter, OwnerBefore: r.OwnerBefore, OwnerAfter: r.OwnerAfter,
			DescriptionBefore: r.DescriptionBefore, DescriptionAfter: r.DescriptionAfter, At: r.At, RequestID: r.RequestID}
	}
	return out
}

// NodeLockTrail returns a page of a node's trail, newest first, and its size: exactly when
// exact, else at least that (SearchCountBeyond past the page).
func (q *Q) NodeLockTrail(ctx context.Context, node string, limit, offset int64) ([]paddles.LockEvent, int64, bool, error) {
	rows, err := q.q().NodeLockTrail(ctx, db.NodeLockTrailParams{Node: node, Max: limit, Skip: offset})
	if err != nil {
		return nil, 0, false, interpret(err)
	}
	upTo := offset + limit + SearchCountBeyond
	total, err := q.q().CountNodeLockTrail(ctx, db.CountNodeLockTrailParams{Node: node, UpTo: upTo})
	return toLockEvents(rows), total, total < upTo, interpret(err)
}

// LockTrailFilter selects trail rows; nil fields do not filter.
type LockTrailFilter struct {
	Owner, MachineType *string
	Since              *time.Time
}

// LockTrail returns a page of the lab's trail, newest first, and its size, as NodeLockTrail.
func (q *Q) LockTrail(ctx context.Context, f LockTrailFilter, limit, offset int64) ([]paddles.LockEvent, int64, bool, error) {
	rows, err := q.q().LockTrail(ctx, db.LockTrailParams{Owner: f.Owner, MachineType: f.MachineType, Since: f.Since,
		Max: limit, Skip: offset})
	if err != nil {
		return nil, 0, false, interpret(err)
	}
	upTo := offset + limit + SearchCountBeyond
	total, err := q.q().CountLockTrail(ctx, db.CountLockTrailParams{Owner: f.Owner, MachineType: f.MachineType,
		Since: f.Since, UpTo: upTo})
	return toLockEvents(rows), total, total < upTo, interpret(err)
}

// LockedNode is a locked node, with the newest job its targets linked to it since it was locked,
// if any.
type LockedNode struct {
	Node   paddles.Node
	Linked *paddles.StaleLockJob
}

// LockedNodes returns the locked nodes, optionally of one owner and machine type, by name.
func (q *Q) LockedNodes(ctx context.Context, owner, machineType *string) ([]LockedNode, error) {
	rows, err := q.q().LockedNodes(ctx, db.LockedNodesParams{Owner: owner, MachineType: machineType})
	if err != nil {
		return nil, interpret(err)
	}
	out := make([]LockedNode, len(rows))
	var ids []int64
	var since []time.Time
	byID := map[int64]*LockedNode{}
	for i, r := range rows {
		out[i].Node = paddles.Node{ID: r.ID, Name: r.Name, MachineType: r.MachineType, Locked: true, LockedBy: r.LockedBy,
			LockedSince: r.LockedSince, Description: r.Description}
		byID[r.ID] = &out[i]
		if r.LockedSince != nil {
			ids = append(ids, r.ID)
			since = append(since, *r.LockedSince)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	linked, err := q.q().LinkedJobsSince(ctx, db.LinkedJobsSinceParams{NodeIds: ids, Since: since})
	if err != nil {
		return nil, interpret(err)
	}
	for _, l := range linked {
		status, updated := l.Status, l.Updated
		byID[l.NodeID].Linked = &paddles.StaleLockJob{Run: l.RunName, JobID: l.JobID, Status: &status, Updated: &updated,
			FoundBy: "targets"}
	}
	return out, nil
}

// JobRef names a job by its run's name and job_id.
type JobRef struct{ Run, JobID string }

// JobStates reads the status and update time of the named jobs that exist.
func (q *Q) JobStates(ctx context.Context, refs []JobRef) (map[JobRef]paddles.StaleLockJob, error) {
	out := map[JobRef]paddles.StaleLockJob{}
	if len(refs) == 0 {
		return out, nil
	}
	runs, jobs := make([]string, len(refs)), make([]string, len(refs))
	for i, r := range refs {
		runs[i], jobs[i] = r.Run, r.JobID
	}
	rows, err := q.q().JobsByName(ctx, db.JobsByNameParams{RunNames: runs, JobIds: jobs})
	if err != nil {
		return nil, interpret(err)
	}
	for _, r := range rows {
		status, updated := r.Status, r.Updated
		out[JobRef{r.RunName, r.JobID}] = paddles.StaleLockJob{Run: r.RunName, JobID: r.JobID, Status: &status,
			Updated: &updated, FoundBy: "description"}
	}
	return out, nil
}

// NodeStreak is a node and its last finished jobs, newest first.
type NodeStreak struct {
	Node paddles.Node
	Jobs []paddles.UnhealthyJob
}

// NodeStreaks returns every node (optionally of one machine type) with its last streak finished
// jobs, by name; nodes without finished jobs are left out.
func (q *Q) NodeStreaks(ctx context.Context, streak int, machineType *string) ([]NodeStreak, error) {
	rows, err := q.q().NodeStreaks(ctx, db.NodeStreaksParams{Streak: int32(streak), MachineType: machineType})
	if err != nil {
		return nil, interpret(err)
	}
	var out []NodeStreak
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Node.Name != r.Name {
			out = append(out, NodeStreak{Node: paddles.Node{Name: r.Name, MachineType: r.MachineType, Up: r.Up,
				Locked: r.Locked, LockedBy: r.LockedBy, Description: r.Description}})
		}
		j := paddles.UnhealthyJob{ID: r.ID, Run: r.RunName, JobID: r.JobID, Status: r.Status, Posted: r.Posted}
		if r.SignatureID != "" {
			sig := r.SignatureID
			j.SignatureID = &sig
		}
		last := &out[len(out)-1]
		last.Jobs = append(last.Jobs, j)
	}
	return out, nil
}

// JobFailureReasons reads the failure reasons of jobs by id.
func (q *Q) JobFailureReasons(ctx context.Context, ids []int64) (map[int64]*string, error) {
	rows, err := q.q().JobFailures(ctx, ids)
	out := make(map[int64]*string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.FailureReason
	}
	return out, interpret(err)
}

// Signature is a failure signature's text and tracker link.
type Signature struct {
	Text       string
	TrackerURL *string
}

// Signatures reads failure signatures by id.
func (q *Q) Signatures(ctx context.Context, ids []string) (map[string]Signature, error) {
	out := map[string]Signature{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.q().SignaturesByID(ctx, ids)
	for _, r := range rows {
		out[r.ID] = Signature{Text: r.Signature, TrackerURL: r.TrackerUrl}
	}
	return out, interpret(err)
}

// PruneCursor is where a walk of the runs a prune deletes got to: the last run seen, in
// (scheduled, id) order. Its zero value starts from the oldest.
type PruneCursor struct {
	Scheduled time.Time
	ID        int64
}

// PruneCandidate is a run a prune would delete, and its number of jobs.
type PruneCandidate struct {
	ID   int64
	Jobs int64
}

// PruneCuts are a policy's times: runs scheduled before Cutoff go, those with failures only if
// scheduled before FailedCutoff too.
type PruneCuts struct {
	Cutoff, FailedCutoff time.Time
	KeepTags             []string
}

// PruneCandidates returns up to max runs the cuts delete after the cursor, and the cursor past
// them.
func (q *Q) PruneCandidates(ctx context.Context, c PruneCuts, after PruneCursor, max int) ([]PruneCandidate, PruneCursor, error) {
	if after.Scheduled.IsZero() {
		after.Scheduled = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := q.q().PruneCandidates(ctx, db.PruneCandidatesParams{Cutoff: c.Cutoff, FailedCutoff: c.FailedCutoff,
		KeepTags: keepTags(c.KeepTags), AfterScheduled: after.Scheduled, AfterID: after.ID, Max: int32(max)})
	if err != nil {
		return nil, after, interpret(err)
	}
	out := make([]PruneCandidate, len(rows))
	for i, r := range rows {
		out[i] = PruneCandidate{ID: r.ID, Jobs: r.Jobs}
		after = PruneCursor{Scheduled: r.Scheduled, ID: r.ID}
	}
	return out, after, nil
}

func keepTags(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

// Pruned is what one batch of a prune deleted.
type Pruned struct{ Runs, Jobs, Links int64 }

// PruneRuns deletes, in the caller's transaction, those of the runs the cuts still select
// (locked in id order first; a run tagged or failed since it was picked stays), with their jobs,
// links and derived rows, and says how many went.
func (q *Q) PruneRuns(ctx context.Context, c PruneCuts, ids []int64, dryRun bool) (Pruned, error) {
	rows, err := q.q().LockPrunedRuns(ctx, db.LockPrunedRunsParams{Ids: ids, Cutoff: c.Cutoff,
		FailedCutoff: c.FailedCutoff, KeepTags: keepTags(c.KeepTags)})
	if err != nil {
		return Pruned{}, interpret(err)
	}
	var p Pruned
	locked := make([]int64, len(rows))
	for i, r := range rows {
		locked[i] = r.ID
		p.Jobs += r.Jobs
	}
	if len(locked) == 0 {
		return p, nil
	}
	if p.Links, err = q.q().CountRunLinks(ctx, locked); err != nil {
		return Pruned{}, interpret(err)
	}
	if dryRun {
		p.Runs = int64(len(locked))
		return p, nil
	}
	p.Runs, err = q.q().DeleteRuns(ctx, locked)
	return p, interpret(err)
}

// Exclusive runs fn holding the session advisory lock of the prune (on a connection of its own,
// for fn's whole run, across the transactions fn makes), if no other session holds it; ok is
// false, and fn is not run, when one does.
func (s *Store) Exclusive(ctx context.Context, fn func() error) (ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, interpret(err)
	}
	defer conn.Release()
	qs := db.New(conn)
	if ok, err = qs.PruneLock(ctx); err != nil || !ok {
		return false, interpret(err)
	}
	defer func() {
		// A cancelled ctx must not keep the lock on a pooled connection.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if uerr := qs.PruneUnlock(uctx); uerr != nil {
			conn.Hijack().Close(uctx)
		}
	}()
	return true, fn()
}

// PruneCount counts the runs the cuts delete and their jobs.
func (q *Q) PruneCount(ctx context.Context, c PruneCuts) (runs, jobs int64, err error) {
	r, err := q.q().PruneCount(ctx, db.PruneCountParams{Cutoff: c.Cutoff, FailedCutoff: c.FailedCutoff, KeepTags: keepTags(c.KeepTags)})
	return r.Runs, r.Jobs, interpret(err)
}

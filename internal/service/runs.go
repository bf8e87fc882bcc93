package service

import (
	"context"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// CreateRun creates an empty run from a request body {"name": ...}.
func (s *Service) CreateRun(ctx context.Context, body []byte) error {
	name, err := paddles.ParseRunBody(body)
	if err != nil {
		return err
	}
	_, err = s.q.CreateRun(ctx, db.CreateRunParams(s.newRun(name)))
	if err != nil {
		return s.wrap(notFoundOr(err, paddles.Errorf(paddles.Conflict, "run with name %s already exists", name)))
	}
	return nil
}

// newRun describes a run about to be created: what its name says, posted now.
func (s *Service) newRun(name string) db.LockOrCreateRunParams {
	info := paddles.ParseRunName(name)
	now := s.now()
	scheduled := info.Scheduled
	if scheduled.IsZero() {
		scheduled = now
	}
	return db.LockOrCreateRunParams{
		Name:        name,
		UserName:    info.User,
		Scheduled:   scheduled,
		Suite:       &info.Suite,
		Branch:      &info.Branch,
		MachineType: &info.MachineType,
		Posted:      now,
	}
}

// GetRun returns a run and its jobs, ordered by job_id, from one snapshot.
func (s *Service) GetRun(ctx context.Context, name string) (paddles.Run, []paddles.Job, error) {
	var (
		run  paddles.Run
		jobs []paddles.Job
	)
	if !storable(name) {
		return run, nil, runNotFound(name)
	}
	err := s.inTx(ctx, readOnly, func(q *db.Queries) error {
		id, err := q.RunID(ctx, name)
		if err != nil {
			return notFoundOr(err, runNotFound(name))
		}
		runs, err := q.RunsByID(ctx, []int64{id})
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			return runNotFound(name)
		}
		r := runs[0]
		run = toRun(r.Run, r.FirstSha1, r.FirstFlavor, r.FirstPriority)
		rows, err := q.ListRunJobsByJobID(ctx, id)
		jobs = toJobs(rows)
		return err
	})
	return run, jobs, err
}

// RunExists reports whether a run exists.
func (s *Service) RunExists(ctx context.Context, name string) (bool, error) {
	if !storable(name) {
		return false, nil
	}
	ok, err := s.q.RunExists(ctx, name)
	return ok, s.wrap(err)
}

// DeleteRun deletes a run and its jobs.
func (s *Service) DeleteRun(ctx context.Context, name string) error {
	if !storable(name) {
		return paddles.Errorf(paddles.NotFound, "attempted to delete a non-existent run")
	}
	n, err := s.q.DeleteRun(ctx, name)
	if err != nil {
		return s.wrap(err)
	}
	if n == 0 {
		return paddles.Errorf(paddles.NotFound, "attempted to delete a non-existent run")
	}
	return nil
}

func toRun(r db.Run, sha1, flavor *string, priority *int64) paddles.Run {
	return paddles.Run{
		Name:   r.Name,
		User:   r.User,
		Status: r.Status,
		Results: paddles.Results{
			Queued: int64(r.QueuedCount), Pass: int64(r.PassCount), Running: int64(r.RunningCount),
			Waiting: int64(r.WaitingCount), Fail: int64(r.FailCount), Dead: int64(r.DeadCount),
			Unknown: int64(r.UnknownCount), Sha1: sha1, Flavor: flavor,
		},
		Posted:      r.Posted,
		Scheduled:   r.Scheduled,
		Started:     r.Started,
		Updated:     r.Updated,
		Branch:      r.Branch,
		Suite:       r.Suite,
		MachineType: r.MachineType,
		Priority:    priority,
	}
}

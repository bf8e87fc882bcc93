package service

import (
	"context"
	"errors"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// CreateRun creates an empty run (POST /runs/ {"name": ..., "tags": [...]}).
func (s *Service) CreateRun(ctx context.Context, c paddles.RunCreate) error {
	if err := paddles.ValidateRunName(c.Name); err != nil {
		return err
	}
	r := s.newRun(c.Name)
	r.Tags = c.Tags
	err := s.st.CreateRun(ctx, r)
	if errors.Is(err, store.ErrExists) {
		return paddles.Errorf(paddles.Conflict, "run with name %s already exists", c.Name)
	}
	return err
}

// SetRunTags replaces a run's tags and returns the run.
func (s *Service) SetRunTags(ctx context.Context, name string, tags []string) (paddles.Run, error) {
	var run paddles.Run
	if !storable(name) {
		return run, runNotFound(name)
	}
	err := s.st.Write(ctx, func(q *store.Q) error {
		id, err := q.SetRunTags(ctx, name, tags)
		if err != nil {
			return err
		}
		runs, err := q.RunsByID(ctx, []int64{id})
		if err == nil {
			run = runs[0]
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return run, runNotFound(name)
	}
	return run, err
}

// newRun describes a run about to be created: what its name says, posted now.
func (s *Service) newRun(name string) store.NewRun {
	info := paddles.ParseRunName(name)
	now := s.now()
	scheduled := info.Scheduled
	if scheduled.IsZero() {
		scheduled = now
	}
	return store.NewRun{
		Name:        name,
		User:        info.User,
		Scheduled:   scheduled,
		Suite:       &info.Suite,
		Branch:      &info.Branch,
		MachineType: &info.MachineType,
		Posted:      now,
	}
}

// GetRun returns a run and, with withJobs, its jobs, ordered by job_id, from one snapshot.
func (s *Service) GetRun(ctx context.Context, name string, withJobs bool) (paddles.Run, []paddles.Job, error) {
	var (
		run  paddles.Run
		jobs []paddles.Job
	)
	if !storable(name) {
		return run, nil, runNotFound(name)
	}
	err := s.st.Read(ctx, func(q *store.Q) error {
		id, err := q.RunID(ctx, name)
		if err != nil {
			return err
		}
		runs, err := q.RunsByID(ctx, []int64{id})
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			return store.ErrNotFound
		}
		run = runs[0]
		if !withJobs {
			return nil
		}
		jobs, err = q.ListRunJobsByJobID(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return run, jobs, runNotFound(name)
	}
	return run, jobs, err
}

// RunExists reports whether a run exists.
func (s *Service) RunExists(ctx context.Context, name string) (bool, error) {
	if !storable(name) {
		return false, nil
	}
	return s.st.RunExists(ctx, name)
}

// DeleteRun deletes a run and its jobs.
func (s *Service) DeleteRun(ctx context.Context, name string) error {
	if !storable(name) {
		return paddles.Errorf(paddles.NotFound, "attempted to delete a non-existent run")
	}
	err := s.st.DeleteRun(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return paddles.Errorf(paddles.NotFound, "attempted to delete a non-existent run")
	}
	return err
}

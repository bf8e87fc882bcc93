package service

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// CreateJob creates a job from a teuthology job body, creating its run first if needed, and
// returns the job as stored. The run's row stays locked until the transaction ends, so concurrent
// writers of one run take turns and its results never miss a job.
func (s *Service) CreateJob(ctx context.Context, runName string, patch paddles.JobPatch) (paddles.Job, error) {
	if err := paddles.ValidateRunName(runName); err != nil {
		return paddles.Job{}, err
	}
	jobID, posted := patch.JobID()
	switch {
	case posted:
	case !s.opts.AssignJobIDs:
		return paddles.Job{}, paddles.Errorf(paddles.Invalid, "could not find required key: 'job_id'")
	case patch.Empty():
		// Upstream, which assigns every id, answers {} so; it would create an empty job here.
		return paddles.Job{}, paddles.Errorf(paddles.Invalid, "could not decode JSON body")
	}
	now := s.now()
	job := paddles.Job{JobID: jobID}
	patch.Apply(&job, true, now)
	write := store.JobWrite{Job: &job, Hosts: linkedHosts(&patch, nil, &job), StartsRunning: job.Status == paddles.StatusRunning}
	var err error
	for tries := 0; ; tries++ {
		if !posted {
			if job.JobID, err = s.st.NextJobID(ctx); err != nil {
				return paddles.Job{}, err
			}
		}
		err = s.st.CreateJob(ctx, s.newRun(runName), write)
		// An assigned id the run has already (posted with the job) is skipped: assigned ids
		// never collide.
		if posted || !errors.Is(err, store.ErrExists) || tries == maxAssignTries {
			break
		}
	}
	if errors.Is(err, store.ErrExists) {
		return paddles.Job{}, paddles.Errorf(paddles.Conflict, "job with job_id %s already exists", job.JobID)
	}
	if err != nil {
		return paddles.Job{}, err
	}
	s.opts.StatusChanged("", job.Status)
	return job, nil
}

// maxAssignTries bounds how many assigned ids a job POST skips because its run has them already.
const maxAssignTries = 100

// UpdateJob applies a job body to an existing job. The job_id can never change.
func (s *Service) UpdateJob(ctx context.Context, runName, jobID string, patch paddles.JobPatch) error {
	if id, ok := patch.JobID(); ok && id != jobID {
		return paddles.Errorf(paddles.Invalid, "job_id cannot be changed (from %s to %s)", jobID, id)
	}
	now := s.now()
	var from, to string
	err := s.st.UpdateJob(ctx, runUpdate(runName, &patch, patch.Updated(now)), jobID, func(stored paddles.Job) store.JobWrite {
		job := stored
		from = patch.Apply(&job, false, now)
		to = job.Status
		return store.JobWrite{
			Job: &job, Hosts: linkedHosts(&patch, &stored, &job),
			StartsRunning: from != paddles.StatusRunning && to == paddles.StatusRunning,
		}
	})
	if errors.Is(err, store.ErrNotFound) {
		return paddles.Errorf(paddles.NotFound, "attempted to update a non-existent job")
	}
	if err == nil && from != to {
		s.opts.StatusChanged(from, to)
	}
	return err
}

// runUpdate is what a job write of patch records on its run: the job's write time, and the suite,
// branch and machine type it reported.
func runUpdate(runName string, patch *paddles.JobPatch, updated time.Time) store.RunUpdate {
	suite, branch, machineType := patch.RunFields()
	return store.RunUpdate{Name: runName, Updated: updated, Suite: suite, Branch: branch, MachineType: machineType}
}

// linkedHosts returns the nodes a job write links the job to: those its targets name ("user@host"
// keys), when the body sets targets other than those stored (stored is nil for a new job), so that
// node job history works. Links are never removed, so unchanged targets are linked already.
func linkedHosts(patch *paddles.JobPatch, stored, job *paddles.Job) []string {
	if !patch.Has("targets") || stored != nil && bytes.Equal(stored.Targets, job.Targets) {
		return nil
	}
	return paddles.TargetHosts(job.Targets)
}

func jobNotFound(runName, jobID string) error {
	return paddles.Errorf(paddles.NotFound, "job with job_id %s not found in run %s", jobID, runName)
}

// GetJob returns one job.
func (s *Service) GetJob(ctx context.Context, runName, jobID string) (paddles.Job, error) {
	if !storable(runName, jobID) {
		return paddles.Job{}, jobNotFound(runName, jobID)
	}
	job, err := s.st.GetJob(ctx, runName, jobID)
	if errors.Is(err, store.ErrNotFound) {
		return job, jobNotFound(runName, jobID)
	}
	return job, err
}

// JobExists reports whether a job exists.
func (s *Service) JobExists(ctx context.Context, runName, jobID string) (bool, error) {
	if !storable(runName, jobID) {
		return false, nil
	}
	return s.st.JobExists(ctx, runName, jobID)
}

// ListRunJobs returns the jobs of a run that f selects, most recently posted first.
func (s *Service) ListRunJobs(ctx context.Context, runName string, f paddles.RunJobFilter) ([]paddles.Job, error) {
	var jobs []paddles.Job
	err := s.st.Read(ctx, func(q *store.Q) error {
		runID, err := q.RunID(ctx, runName)
		if err != nil {
			return err
		}
		jobs, err = q.ListRunJobs(ctx, runID, f)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, runNotFound(runName)
	}
	return jobs, err
}

// DeleteJob deletes one job; the run's results follow through the trigger. Like every job write
// it locks the run's row first: deleting the job row first and then (in the trigger) updating the
// run took the two locks in the opposite order to UpdateJob and DeleteRun, and deadlocked with
// them under concurrency.
func (s *Service) DeleteJob(ctx context.Context, runName, jobID string) error {
	notFound := paddles.Errorf(paddles.NotFound, "attempted to delete a non-existent job")
	if !storable(runName, jobID) {
		return notFound
	}
	err := s.st.Write(ctx, func(q *store.Q) error {
		if err := q.LockRun(ctx, runName); err != nil {
			return err
		}
		return q.DeleteJob(ctx, runName, jobID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	return err
}

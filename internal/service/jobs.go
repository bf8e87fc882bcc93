package service

import (
	"context"
	"errors"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// CreateJob creates a job from a teuthology job body, creating its run first if needed, and
// returns the job's id. The run's row stays locked until the transaction ends, so concurrent
// writers of one run take turns and its results never miss a job.
func (s *Service) CreateJob(ctx context.Context, runName string, patch paddles.JobPatch) (string, error) {
	if err := paddles.ValidateRunName(runName); err != nil {
		return "", err
	}
	jobID, ok := patch.JobID()
	if !ok && !s.opts.AssignJobIDs {
		return "", paddles.Errorf(paddles.Invalid, "could not find required key: 'job_id'")
	}
	var status string
	err := s.st.Write(ctx, func(q *store.Q) error {
		run, err := q.LockOrCreateRun(ctx, s.newRun(runName))
		if err != nil {
			return err
		}
		if !ok {
			if jobID, err = q.NextJobID(ctx); err != nil {
				return err
			}
		}
		job := paddles.Job{RunID: run.ID, JobID: jobID}
		patch.Apply(&job, true, s.now())
		status = job.Status
		if job.ID, err = q.InsertJob(ctx, &job); err != nil {
			return err
		}
		if err := linkTargets(ctx, q, &patch, &job); err != nil {
			return err
		}
		return s.finishRunWrite(ctx, q, run, &patch, &job)
	})
	if errors.Is(err, store.ErrExists) {
		return jobID, paddles.Errorf(paddles.Conflict, "job with job_id %s already exists", jobID)
	}
	if err == nil {
		s.opts.StatusChanged("", status)
	}
	return jobID, err
}

// UpdateJob applies a job body to an existing job. The job_id can never change.
func (s *Service) UpdateJob(ctx context.Context, runName, jobID string, patch paddles.JobPatch) error {
	if id, ok := patch.JobID(); ok && id != jobID {
		return paddles.Errorf(paddles.Invalid, "job_id cannot be changed (from %s to %s)", jobID, id)
	}
	var from, to string
	err := s.st.Write(ctx, func(q *store.Q) error {
		run, err := q.LockRun(ctx, runName)
		if err != nil {
			return err
		}
		job, err := q.LockJob(ctx, run.ID, jobID)
		if err != nil {
			return err
		}
		stored := job
		from = patch.Apply(&job, false, s.now())
		to = job.Status
		if err := q.UpdateJob(ctx, &stored, &job); err != nil {
			return err
		}
		if err := linkTargets(ctx, q, &patch, &job); err != nil {
			return err
		}
		return s.finishRunWrite(ctx, q, run, &patch, &job)
	})
	if errors.Is(err, store.ErrNotFound) {
		return paddles.Errorf(paddles.NotFound, "attempted to update a non-existent job")
	}
	if err == nil && from != to {
		s.opts.StatusChanged(from, to)
	}
	return err
}

// linkTargets records the nodes a job's targets name ("user@host" keys), creating unknown nodes
// with the job's machine type, so that node job history works. Links are never removed.
func linkTargets(ctx context.Context, q *store.Q, patch *paddles.JobPatch, job *paddles.Job) error {
	if !patch.Has("targets") {
		return nil
	}
	hosts := paddles.TargetHosts(job.Targets)
	if len(hosts) == 0 {
		return nil
	}
	return q.LinkJobNodes(ctx, job.ID, hosts, job.MachineType)
}

// finishRunWrite brings the run up to date after one of its jobs was written: the trigger has
// already counted the job's status; the run also takes the job's write time, the suite, branch
// and machine type it reported, and its start time when the run has just begun running.
func (s *Service) finishRunWrite(ctx context.Context, q *store.Q, run store.LockedRun, patch *paddles.JobPatch, job *paddles.Job) error {
	suite, branch, machineType := patch.RunFields()
	return q.FinishRunWrite(ctx, store.RunWrite{
		RunID:       run.ID,
		Updated:     &job.Updated,
		Suite:       suite,
		Branch:      branch,
		MachineType: machineType,
		WasRunning:  run.Status == paddles.StatusRunning,
		Started:     job.Started,
	})
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

// ListRunJobs returns the jobs of a run, most recently posted first, optionally only those with
// one status.
func (s *Service) ListRunJobs(ctx context.Context, runName string, status *string) ([]paddles.Job, error) {
	if status != nil && !paddles.ValidJobStatus(*status) {
		return nil, paddles.Errorf(paddles.Invalid, "invalid status %q", *status)
	}
	var jobs []paddles.Job
	err := s.st.Read(ctx, func(q *store.Q) error {
		runID, err := q.RunID(ctx, runName)
		if err != nil {
			return err
		}
		jobs, err = q.ListRunJobs(ctx, runID, status)
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
		if _, err := q.LockRun(ctx, runName); err != nil {
			return err
		}
		return q.DeleteJob(ctx, runName, jobID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	return err
}

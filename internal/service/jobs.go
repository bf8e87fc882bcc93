package service

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// CreateJob creates a job from a teuthology job body, creating its run first if needed, and
// returns the job's id. The run's row stays locked until the transaction ends, so concurrent
// writers of one run take turns and its results never miss a job.
func (s *Service) CreateJob(ctx context.Context, runName string, body []byte) (string, error) {
	if err := paddles.ValidateRunName(runName); err != nil {
		return "", err
	}
	patch, err := paddles.ParseJobPatch(body)
	if err != nil {
		return "", err
	}
	jobID, ok := patch.JobID()
	if !ok && !s.opts.AssignJobIDs {
		return "", paddles.Errorf(paddles.Invalid, "could not find required key: 'job_id'")
	}
	var status string
	err = s.inTx(ctx, readWrite, func(q *db.Queries) error {
		run, err := lockOrCreateRun(ctx, q, s.newRun(runName))
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
		id, err := q.InsertJob(ctx, store.JobParams(&job))
		if err != nil {
			return notFoundOr(err, paddles.Errorf(paddles.Conflict, "job with job_id %s already exists", jobID))
		}
		job.ID = id
		if err := linkTargets(ctx, q, &patch, &job); err != nil {
			return err
		}
		return s.finishRunWrite(ctx, q, run.ID, run.Status, &patch, &job)
	})
	if err == nil {
		s.opts.StatusChanged("", status)
	}
	return jobID, err
}

// lockOrCreateRun locks the run's row, creating the run first if needed. A run usually exists
// already (it has tens to hundreds of jobs), so it is locked with SELECT ... FOR UPDATE, and the
// upsert, which locks too but writes a new version of the row every time, is left for the
// first job.
func lockOrCreateRun(ctx context.Context, q *db.Queries, run db.LockOrCreateRunParams) (db.LockRunRow, error) {
	locked, err := q.LockRun(ctx, run.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		var created db.LockOrCreateRunRow
		created, err = q.LockOrCreateRun(ctx, run)
		locked = db.LockRunRow(created)
	}
	return locked, err
}

// UpdateJob applies a job body to an existing job. The job_id can never change.
func (s *Service) UpdateJob(ctx context.Context, runName, jobID string, body []byte) error {
	patch, err := paddles.ParseJobPatch(body)
	if err != nil {
		return err
	}
	if id, ok := patch.JobID(); ok && id != jobID {
		return paddles.Errorf(paddles.Invalid, "job_id cannot be changed (from %s to %s)", jobID, id)
	}
	notFound := paddles.Errorf(paddles.NotFound, "attempted to update a non-existent job")
	var from, to string
	err = s.inTx(ctx, readWrite, func(q *db.Queries) error {
		run, err := q.LockRun(ctx, runName)
		if err != nil {
			return notFoundOr(err, notFound)
		}
		row, err := q.LockJob(ctx, db.LockJobParams{RunID: run.ID, JobID: jobID})
		if err != nil {
			return notFoundOr(err, notFound)
		}
		job := paddles.Job(row)
		from = patch.Apply(&job, false, s.now())
		to = job.Status
		if err := q.UpdateJob(ctx, db.UpdateJobParams(store.JobParams(&job))); err != nil {
			return err
		}
		if err := linkTargets(ctx, q, &patch, &job); err != nil {
			return err
		}
		return s.finishRunWrite(ctx, q, run.ID, run.Status, &patch, &job)
	})
	if err == nil && from != to {
		s.opts.StatusChanged(from, to)
	}
	return err
}

// linkTargets records the nodes a job's targets name ("user@host" keys), creating unknown nodes
// with the job's machine type, so that node job history works. Links are never removed.
func linkTargets(ctx context.Context, q *db.Queries, patch *paddles.JobPatch, job *paddles.Job) error {
	if !patch.Has("targets") {
		return nil
	}
	hosts := paddles.TargetHosts(job.Targets)
	if len(hosts) == 0 {
		return nil
	}
	if err := q.CreateNodesByName(ctx, db.CreateNodesByNameParams{Names: hosts, MachineType: job.MachineType}); err != nil {
		return err
	}
	return q.LinkJobNodes(ctx, db.LinkJobNodesParams{JobID: job.ID, Names: hosts})
}

// finishRunWrite brings the run up to date after one of its jobs was written: the trigger has
// already counted the job's status; the run also takes the job's write time, the suite, branch
// and machine type it reported, and its start time when the run has just begun running.
func (s *Service) finishRunWrite(ctx context.Context, q *db.Queries, runID int64, runStatus string, patch *paddles.JobPatch, job *paddles.Job) error {
	suite, branch, machineType := patch.RunFields()
	return q.FinishRunWrite(ctx, db.FinishRunWriteParams{
		ID:          runID,
		Updated:     &job.Updated,
		Suite:       suite,
		Branch:      branch,
		MachineType: machineType,
		WasRunning:  runStatus == paddles.StatusRunning,
		Started:     job.Started,
	})
}

// GetJob returns one job.
func (s *Service) GetJob(ctx context.Context, runName, jobID string) (paddles.Job, error) {
	if !storable(runName, jobID) {
		return paddles.Job{}, paddles.Errorf(paddles.NotFound, "job with job_id %s not found in run %s", jobID, runName)
	}
	row, err := s.q.GetJob(ctx, db.GetJobParams{RunName: runName, JobID: jobID})
	if err != nil {
		return paddles.Job{}, s.wrap(notFoundOr(err, paddles.Errorf(paddles.NotFound, "job with job_id %s not found in run %s", jobID, runName)))
	}
	return paddles.Job(row), nil
}

// JobExists reports whether a job exists.
func (s *Service) JobExists(ctx context.Context, runName, jobID string) (bool, error) {
	if !storable(runName, jobID) {
		return false, nil
	}
	ok, err := s.q.JobExists(ctx, db.JobExistsParams{RunName: runName, JobID: jobID})
	return ok, s.wrap(err)
}

// ListRunJobs returns the jobs of a run, most recently posted first, optionally only those with
// one status.
func (s *Service) ListRunJobs(ctx context.Context, runName string, status *string) ([]paddles.Job, error) {
	if status != nil && !paddles.ValidJobStatus(*status) {
		return nil, paddles.Errorf(paddles.Invalid, "invalid status %q", *status)
	}
	var jobs []paddles.Job
	err := s.inTx(ctx, readOnly, func(q *db.Queries) error {
		runID, err := q.RunID(ctx, runName)
		if err != nil {
			return notFoundOr(err, runNotFound(runName))
		}
		rows, err := q.ListRunJobs(ctx, db.ListRunJobsParams{RunID: runID, Status: status})
		jobs = toJobs(rows)
		return err
	})
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
	return s.inTx(ctx, readWrite, func(q *db.Queries) error {
		if _, err := q.LockRun(ctx, runName); err != nil {
			return notFoundOr(err, notFound)
		}
		n, err := q.DeleteJob(ctx, db.DeleteJobParams{RunName: runName, JobID: jobID})
		if err == nil && n == 0 {
			return notFound
		}
		return err
	})
}

func toJobs(rows []db.Job) []paddles.Job {
	jobs := make([]paddles.Job, len(rows))
	for i, r := range rows {
		jobs[i] = paddles.Job(r)
	}
	return jobs
}

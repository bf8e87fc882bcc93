package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
)

// Job writes lock the job's run first, as every writer of a job does (updates, deletes, expiry,
// imports): writers of one run take turns, its counts never miss a job, and the job's row needs no
// lock of its own. As a rule they hold the run's lock only while PostgreSQL runs their
// statements: the lock and the writes are one pipeline in an implicit transaction (no BEGIN or
// COMMIT to send), so that no round trip to the server, nor its scheduling, falls inside the lock.
// The exceptions take a transaction of two round trips: a POST with links or a running status,
// and a PUT whose job changed between its read and the lock.

// RunUpdate is what a job write records on its run, known before the write: the write time and
// the suite, branch and machine type the job reported (nil: unchanged).
type RunUpdate struct {
	Name                       string
	Updated                    time.Time
	Suite, Branch, MachineType *string
}

// JobWrite is what a job write stores.
type JobWrite struct {
	Job   *paddles.Job // the job to store
	Hosts []string     // the nodes to link it to; unknown ones are created with its machine type
	// StartsRunning: the write makes the job running. If no other job of the run is running, the
	// run has just begun running, and takes the job's start time.
	StartsRunning bool
}

// jobsJobIDKey is the unique constraint on a run's job_ids.
const jobsJobIDKey = "jobs_run_id_job_id_key"

// CreateJob inserts a job into the run r names, creating the run from r first if there is none;
// ErrExists if the run has a job by that job_id. The run's lock, its update and the job's insert
// are one statement (InsertJob); a job with nothing to follow it (no links, not running: what
// teuthology's scheduler posts) takes one round trip, in an implicit transaction. One that has
// links or starts the run takes a transaction of two: the links follow only a job that was
// inserted into the run this transaction locked.
//
// A POST may run again whatever happened to an earlier attempt (replayAny): one that lost its
// connection after its commit was sent may have inserted the job, and then the retry finds it
// there. The unique (run, job_id) makes that the evidence: a job by that id whose posted time is
// this POST's (the server's clock, to the microsecond, taken once before the first attempt) is
// the one this POST inserted, and the POST succeeds, as the attempt that committed would have.
// A job by that id posted at another time is another POST's: ErrExists, as ever.
func (s *Store) CreateJob(ctx context.Context, r NewRun, w JobWrite) error {
	return interpret(s.attempt(ctx, s.avail, replayAny, func(maybeDone bool) error {
		err := s.pipelineOnce(ctx, func(p *pipeline) error { return p.createJob(ctx, r, w) })
		if !errors.Is(err, ErrExists) || !maybeDone {
			return err
		}
		stored, gerr := s.Q.GetJob(ctx, r.Name, w.Job.JobID)
		switch {
		case gerr != nil:
			return gerr
		case stored.Posted.Equal(w.Job.Posted):
			s.log.DebugContext(ctx, "a job POST whose commit was not answered had committed", "run", r.Name, "job_id", w.Job.JobID)
			return nil
		}
		return err
	}))
}

// createJob inserts the job (CreateJob).
func (p *pipeline) createJob(ctx context.Context, r NewRun, w JobWrite) error {
	follows := len(w.Hosts) > 0 || w.StartsRunning
	if follows {
		p.begin()
	}
	inserted := p.insertJob(ctx, r.Name, w)
	err := p.send(ctx)
	// The run's first job (or its run was deleted just now): nothing was written. Create the
	// run and insert the job in one transaction; a run another writer creates meanwhile is
	// used as it is.
	for tries := 0; err == nil && !*inserted && tries < maxAttempts; tries++ {
		p.queue(func(q *db.Queries) {
			q.CreateRun(ctx, db.CreateRunParams{Name: r.Name, UserName: r.User, Scheduled: r.Scheduled,
				Suite: r.Suite, Branch: r.Branch, MachineType: r.MachineType, Posted: r.Posted})
		})
		inserted = p.insertJob(ctx, r.Name, w)
		err = p.send(ctx)
	}
	switch {
	case database.ViolatedConstraint(err) == jobsJobIDKey:
		return ErrExists
	case err != nil || !follows:
		return err
	case !*inserted:
		return errors.New("store: the job's run was deleted on every try")
	}
	p.jobWritten(ctx, r.Name, w)
	p.commit()
	return p.send(ctx)
}

// insertJob queues InsertJob; the flag it returns tells, once the batch is sent, whether the job
// was inserted (its run was there).
func (p *pipeline) insertJob(ctx context.Context, runName string, w JobWrite) (inserted *bool) {
	inserted = new(bool)
	p.queue(func(q *db.Queries) { q.InsertJob(ctx, JobParams(runName, w.Job)) }).Exec(func(tag pgconn.CommandTag) error {
		*inserted = tag.RowsAffected() > 0
		return nil
	})
	return inserted
}

// UpdateJob changes a stored job of the run u names; change works out the new job from the stored
// one. ErrNotFound if there is no such run or job.
//
// The job is read first, without any lock, and the change is written in one pipeline that locks
// the run, checks that the job is still the version read (JobUnchanged) and writes: two round
// trips, the run locked in the second only. When the check fails (another writer changed the job
// in between) the pipeline rolls back, and the write is done again with the job read under the
// run's lock, in a transaction of two round trips.
//
// A PUT may run again whatever happened to an earlier attempt (replayAny): change applies the same
// body with the same time (u.Updated and the time change uses are fixed by the caller before the
// first attempt), and applying a job body to the job it made gives that job again (the status
// rules are idempotent: pass and fail are sticky, started is set only from queued, priority
// changes only while queued; links and the run's start follow only a change of targets or a new
// running status, which the committed attempt made already). A retry after an attempt that did
// commit reads the job that attempt wrote and writes nothing new; change then sees no status
// change.
func (s *Store) UpdateJob(ctx context.Context, u RunUpdate, jobID string, change func(stored paddles.Job) JobWrite) error {
	return interpret(s.attempt(ctx, s.avail, replayAny, func(bool) error { return s.updateJobOnce(ctx, u, jobID, change) }))
}

// updateJobOnce is one attempt of UpdateJob; its error is not yet interpreted.
func (s *Store) updateJobOnce(ctx context.Context, u RunUpdate, jobID string, change func(stored paddles.Job) JobWrite) error {
	var row jobVersion
	err := s.pipelineOnce(ctx, func(p *pipeline) error {
		p.queue(func(q *db.Queries) { q.ReadJobForWrite(ctx, db.ReadJobForWriteParams{RunName: u.Name, JobID: jobID}) }).
			Query(func(rows pgx.Rows) (err error) {
				row, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[jobVersion])
				return err
			})
		return p.send(ctx)
	})
	if err != nil {
		return err
	}
	stored := jobFromRow(&row.Job)
	err = s.pipelineOnce(ctx, func(p *pipeline) error {
		p.lockRun(ctx, u)
		p.queue(func(q *db.Queries) { q.JobUnchanged(ctx, db.JobUnchangedParams{ID: stored.ID, Version: row.Version}) })
		p.updateJob(ctx, u.Name, &stored, change(stored))
		return p.send(ctx)
	})
	if !database.IsRetryable(err) {
		return err
	}
	s.log.DebugContext(ctx, "job changed since it was read; writing it under its run's lock", "run", u.Name, "job_id", jobID)
	// A serialization failure or deadlock of this one makes attempt start over.
	return s.pipelineOnce(ctx, func(p *pipeline) error {
		p.begin()
		p.lockRun(ctx, u)
		var row db.Job
		p.queue(func(q *db.Queries) { q.GetJob(ctx, db.GetJobParams{RunName: u.Name, JobID: jobID}) }).
			Query(func(rows pgx.Rows) (err error) {
				row, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[db.Job])
				return err
			})
		if err := p.send(ctx); err != nil {
			return err
		}
		stored := jobFromRow(&row)
		p.updateJob(ctx, u.Name, &stored, change(stored))
		p.commit()
		return p.send(ctx)
	})
}

// jobVersion is a row of ReadJobForWrite.
type jobVersion struct {
	db.Job
	Version string
}

func (p *pipeline) updateJob(ctx context.Context, runName string, stored *paddles.Job, w JobWrite) {
	if sql, args := JobUpdate(stored, w.Job); sql != "" {
		p.queueSQL(sql, args...)
	}
	p.jobWritten(ctx, runName, w)
}

// lockRun queues LockRunForJob, which locks the run and records the write on it.
func (p *pipeline) lockRun(ctx context.Context, u RunUpdate) {
	p.queue(func(q *db.Queries) {
		q.LockRunForJob(ctx, db.LockRunForJobParams{Name: u.Name, Updated: &u.Updated, Suite: u.Suite,
			Branch: u.Branch, MachineType: u.MachineType})
	})
}

// jobWritten queues what follows a job's insert or update: its links and its run's start.
func (p *pipeline) jobWritten(ctx context.Context, runName string, w JobWrite) {
	if len(w.Hosts) > 0 {
		p.queue(func(q *db.Queries) {
			q.CreateNodesByName(ctx, db.CreateNodesByNameParams{RunName: runName, JobID: w.Job.JobID,
				Names: w.Hosts, MachineType: w.Job.MachineType})
		})
		p.queue(func(q *db.Queries) {
			q.LinkJobNodes(ctx, db.LinkJobNodesParams{RunName: runName, JobID: w.Job.JobID, Names: w.Hosts})
		})
	}
	if w.StartsRunning {
		p.queue(func(q *db.Queries) { q.StartRun(ctx, db.StartRunParams{Name: runName, Started: w.Job.Started}) })
	}
}

package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
)

// RunUpdate is what a job write records on its run, known before the write: the write time and
// the suite, branch and machine type the job reported (nil: unchanged).
type RunUpdate struct {
	Name                       string
	Updated                    time.Time
	Suite, Branch, MachineType *string
}

// JobRun is the run of a job write, which the write holds locked: its id and how many of its jobs
// were running before the write.
type JobRun struct {
	ID      int64
	Running int32
}

// JobWrite is what a job write stores, worked out from its run and, for an update, the stored job.
type JobWrite struct {
	Job       *paddles.Job // the job to store
	Hosts     []string     // the nodes to link it to; unknown ones are created with its machine type
	StartsRun bool         // the run begins running with this job and takes its start time
}

// jobsJobIDKey is the unique constraint on a run's job_ids.
const jobsJobIDKey = "jobs_run_id_job_id_key"

// CreateJob inserts a job into the run u names, creating the run from r first if there is none.
// write works out the job from the locked run; ErrExists if the run has a job by its job_id. Two
// round trips: the run's lock and update, then the job, its links and the commit.
func (s *Store) CreateJob(ctx context.Context, r NewRun, u RunUpdate, write func(run JobRun) JobWrite) error {
	return s.pipelined(ctx, func(p *pipeline) error {
		p.batch.Queue("BEGIN")
		var run JobRun
		p.lockRun(ctx, u, &run)
		err := p.send(ctx)
		// The first job of a run (or its run was deleted just now): the transaction is still open,
		// and has written nothing. A run another writer creates meanwhile is locked as it is.
		for tries := 0; errors.Is(err, pgx.ErrNoRows) && tries < maxAttempts; tries++ {
			p.queue(func(q *db.Queries) {
				q.CreateRun(ctx, db.CreateRunParams{Name: r.Name, UserName: r.User, Scheduled: r.Scheduled,
					Suite: r.Suite, Branch: r.Branch, MachineType: r.MachineType, Posted: r.Posted})
			})
			p.lockRun(ctx, u, &run)
			err = p.send(ctx)
		}
		if err != nil {
			return err
		}
		w := write(run)
		w.Job.RunID = run.ID
		p.queue(func(q *db.Queries) { q.InsertJob(ctx, JobParams(w.Job)) })
		err = p.finishJobWrite(ctx, run, w)
		if database.ViolatedConstraint(err) == jobsJobIDKey {
			return ErrExists
		}
		return err
	})
}

// UpdateJob changes a stored job of the run u names: change works out the new job from the
// locked run and the stored job. ErrNotFound if there is no such run or job. Two round trips: the
// run's lock and update with the job's read, then the job's update, its links and the commit.
// The job's row is read without a lock of its own: every writer of a job (these writes, deletes,
// expiry, imports) holds its run's row lock first, and the read, which follows the lock in the
// batch, sees what the run's previous writer committed.
func (s *Store) UpdateJob(ctx context.Context, u RunUpdate, jobID string, change func(run JobRun, stored paddles.Job) JobWrite) error {
	return s.pipelined(ctx, func(p *pipeline) error {
		p.batch.Queue("BEGIN")
		var run JobRun
		p.lockRun(ctx, u, &run)
		var stored db.Job
		p.queue(func(q *db.Queries) { q.GetJob(ctx, db.GetJobParams{RunName: u.Name, JobID: jobID}) }).
			Query(func(rows pgx.Rows) (err error) {
				stored, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[db.Job])
				return err
			})
		err := p.send(ctx)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		old := jobFromRow(&stored)
		w := change(run, old)
		if sql, args := JobUpdate(&old, w.Job); sql != "" {
			p.batch.Queue(sql, args...)
		}
		return p.finishJobWrite(ctx, run, w)
	})
}

// lockRun queues LockRunForJob, which reads the run into run; the batch fails with pgx.ErrNoRows
// if there is no such run.
func (p *pipeline) lockRun(ctx context.Context, u RunUpdate, run *JobRun) {
	p.queue(func(q *db.Queries) {
		q.LockRunForJob(ctx, db.LockRunForJobParams{Name: u.Name, Updated: &u.Updated, Suite: u.Suite,
			Branch: u.Branch, MachineType: u.MachineType})
	}).QueryRow(func(row pgx.Row) error { return row.Scan(&run.ID, &run.Running) })
}

// finishJobWrite queues what follows a job's insert or update, and the commit, and sends them.
func (p *pipeline) finishJobWrite(ctx context.Context, run JobRun, w JobWrite) error {
	if len(w.Hosts) > 0 {
		p.queue(func(q *db.Queries) {
			q.CreateNodesByName(ctx, db.CreateNodesByNameParams{Names: w.Hosts, MachineType: w.Job.MachineType})
		})
		p.queue(func(q *db.Queries) {
			q.LinkJobNodes(ctx, db.LinkJobNodesParams{RunID: run.ID, JobID: w.Job.JobID, Names: w.Hosts})
		})
	}
	if w.StartsRun {
		p.queue(func(q *db.Queries) { q.StartRun(ctx, db.StartRunParams{ID: run.ID, Started: w.Job.Started}) })
	}
	p.batch.Queue("COMMIT")
	return p.send(ctx)
}

package main

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// The floor: each API operation's SQL, run straight from Go through the generated queries that
// the server runs, in the same transactions and with the same arguments, without HTTP, JSON or
// the server's own code around it. Request bodies are parsed before the clock starts. What the
// API takes beyond the floor is the server's cost. Listings whose SQL depends on what the
// arguments are (which total is read off run_values, how a description is searched) run the
// server's store layer itself, in its read transaction.

type floor struct {
	pool *pgxpool.Pool
	q    *db.Queries
	st   *store.Store
}

var (
	readOnly  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	readWrite = pgx.TxOptions{}
)

func (f *floor) tx(ctx context.Context, opts pgx.TxOptions, fn func(q *db.Queries) error) error {
	return pgx.BeginTxFunc(ctx, f.pool, opts, func(tx pgx.Tx) error { return fn(f.q.WithTx(tx)) })
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// createJob is service.CreateJob's SQL.
func (f *floor) createJob(ctx context.Context, bj *benchJob, patch *paddles.JobPatch) error {
	return f.tx(ctx, readWrite, func(q *db.Queries) error {
		run, err := q.LockRun(ctx, bj.run.name)
		if errors.Is(err, pgx.ErrNoRows) {
			params := bj.runParams
			params.Posted = now()
			var created db.LockOrCreateRunRow
			created, err = q.LockOrCreateRun(ctx, params)
			run = db.LockRunRow(created)
		}
		if err != nil {
			return err
		}
		job := paddles.Job{RunID: run.ID, JobID: bj.spec.jobID}
		patch.Apply(&job, true, now())
		id, err := q.InsertJob(ctx, store.JobParams(&job))
		if err != nil {
			return err
		}
		job.ID = id
		if err := linkTargets(ctx, q, patch, &job); err != nil {
			return err
		}
		return finishRunWrite(ctx, q, run.ID, run.Status, patch, &job)
	})
}

// updateJob is service.UpdateJob's SQL.
func (f *floor) updateJob(ctx context.Context, bj *benchJob, patch *paddles.JobPatch) error {
	return pgx.BeginTxFunc(ctx, f.pool, readWrite, func(tx pgx.Tx) error {
		q := f.q.WithTx(tx)
		run, err := q.LockRun(ctx, bj.run.name)
		if err != nil {
			return err
		}
		row, err := q.LockJob(ctx, db.LockJobParams{RunID: run.ID, JobID: bj.spec.jobID})
		if err != nil {
			return err
		}
		stored := paddles.Job(row)
		job := stored
		patch.Apply(&job, false, now())
		if sql, args := store.JobUpdate(&stored, &job); sql != "" {
			if _, err := tx.Exec(ctx, sql, args...); err != nil {
				return err
			}
		}
		if err := linkTargets(ctx, q, patch, &job); err != nil {
			return err
		}
		return finishRunWrite(ctx, q, run.ID, run.Status, patch, &job)
	})
}

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

func finishRunWrite(ctx context.Context, q *db.Queries, runID int64, runStatus string, patch *paddles.JobPatch, job *paddles.Job) error {
	suite, branch, machineType := patch.RunFields()
	return q.FinishRunWrite(ctx, db.FinishRunWriteParams{
		ID: runID, Updated: &job.Updated, Suite: suite, Branch: branch, MachineType: machineType,
		WasRunning: runStatus == paddles.StatusRunning, Started: job.Started,
	})
}

// newRunParams is service.newRun: what a run's name says, posted at the time of the write.
func newRunParams(name string) db.LockOrCreateRunParams {
	info := paddles.ParseRunName(name)
	scheduled := info.Scheduled
	if scheduled.IsZero() {
		scheduled = now()
	}
	return db.LockOrCreateRunParams{
		Name: name, UserName: info.User, Scheduled: scheduled,
		Suite: &info.Suite, Branch: &info.Branch, MachineType: &info.MachineType,
	}
}

// listRuns is service.ListRuns' SQL.
func (f *floor) listRuns(ctx context.Context, limit int64) error {
	return f.st.Read(ctx, func(q *store.Q) error {
		ids, _, err := q.LatestRunIDs(ctx, &limit, 0)
		if err != nil {
			return err
		}
		_, err = q.RunsByID(ctx, ids)
		return err
	})
}

// getRun is service.GetRun's SQL.
func (f *floor) getRun(ctx context.Context, name string) error {
	return f.tx(ctx, readOnly, func(q *db.Queries) error {
		id, err := q.RunID(ctx, name)
		if err != nil {
			return err
		}
		if _, err := q.RunsByID(ctx, []int64{id}); err != nil {
			return err
		}
		_, err = q.ListRunJobsByJobID(ctx, id)
		return err
	})
}

// runJobs is service.ListRunJobs' SQL.
func (f *floor) runJobs(ctx context.Context, name string) error {
	return f.tx(ctx, readOnly, func(q *db.Queries) error {
		id, err := q.RunID(ctx, name)
		if err != nil {
			return err
		}
		_, err = q.ListRunJobs(ctx, db.ListRunJobsParams{RunID: id})
		return err
	})
}

// getJob is service.GetJob's SQL.
func (f *floor) getJob(ctx context.Context, run, jobID string) error {
	_, err := f.q.GetJob(ctx, db.GetJobParams{RunName: run, JobID: jobID})
	return err
}

// runQuery is service.FilterRuns' or service.RunValues' SQL for a filter path, as the server
// parses it.
func (f *floor) runQuery(ctx context.Context, segments []string, pageSize int64) error {
	rq, err := paddles.ParseRunQuery(segments, time.Now())
	if err != nil {
		return err
	}
	return f.st.Read(ctx, func(q *store.Q) error {
		if rq.Values != "" {
			_, err := q.FilteredRunValues(ctx, rq.Filter, rq.Values, nil, 0)
			return err
		}
		ids, _, err := q.FilteredRunIDs(ctx, rq.Filter, &pageSize, 0)
		if err != nil {
			return err
		}
		_, err = q.RunsByID(ctx, ids)
		return err
	})
}

// runValues is service.RunValues' SQL for a page of an unfiltered value list.
func (f *floor) runValues(ctx context.Context, key string, limit, offset int64) error {
	return f.st.Read(ctx, func(q *store.Q) error {
		_, err := q.FilteredRunValues(ctx, paddles.RunFilter{}, key, &limit, offset)
		return err
	})
}

// searchJobs is service.SearchJobs' SQL.
func (f *floor) searchJobs(ctx context.Context, search paddles.JobSearch, limit int64) error {
	return f.st.Read(ctx, func(q *store.Q) error {
		ids, _, _, err := q.SearchJobIDs(ctx, search, &limit, 0)
		if err != nil {
			return err
		}
		_, _, err = q.JobsByID(ctx, ids)
		return err
	})
}

// nodeJobs is service.NodeJobs' SQL.
func (f *floor) nodeJobs(ctx context.Context, node string, limit int64) error {
	return f.tx(ctx, readOnly, func(q *db.Queries) error {
		id, err := q.NodeID(ctx, node)
		if err != nil {
			return err
		}
		ids, err := q.NodeJobIDs(ctx, db.NodeJobIDsParams{NodeID: id, Max: &limit})
		if err != nil {
			return err
		}
		if _, err := q.CountNodeJobs(ctx, db.CountNodeJobsParams{NodeID: id}); err != nil {
			return err
		}
		_, err = q.JobsByID(ctx, ids)
		return err
	})
}

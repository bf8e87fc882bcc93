package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
	"github.com/ceph/paddles-go/internal/store"
)

// The floor: each API operation's SQL, run straight from Go through the generated queries that
// the server runs, in the same transactions and with the same arguments, without HTTP, JSON or
// the server's own code around it. Request bodies are parsed before the clock starts. What the
// API takes beyond the floor is the server's cost. Job writes, whose statements depend on the
// stored job and travel in pipelines, run the server's service layer itself (its Go is a few
// comparisons around the store's pipelines); listings whose SQL depends on what the arguments are
// (which total is read off run_values, how a description is searched) run the server's store
// layer, in its read transaction.

type floor struct {
	pool *pgxpool.Pool
	q    *db.Queries
	st   *store.Store
	svc  *service.Service
}

func newFloor(pool *pgxpool.Pool, log *slog.Logger) *floor {
	st := store.New(pool, nil, 0, log)
	return &floor{pool: pool, q: db.New(pool), st: st, svc: service.New(st, service.Options{}, log)}
}

var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

func (f *floor) tx(ctx context.Context, opts pgx.TxOptions, fn func(q *db.Queries) error) error {
	return pgx.BeginTxFunc(ctx, f.pool, opts, func(tx pgx.Tx) error { return fn(f.q.WithTx(tx)) })
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// createJob is the API's job POST without HTTP and JSON.
func (f *floor) createJob(ctx context.Context, bj *benchJob, patch *paddles.JobPatch) error {
	_, err := f.svc.CreateJob(ctx, bj.run.name, *patch)
	return err
}

// updateJob is the API's job PUT without HTTP and JSON.
func (f *floor) updateJob(ctx context.Context, bj *benchJob, patch *paddles.JobPatch) error {
	return f.svc.UpdateJob(ctx, bj.run.name, bj.spec.jobID, *patch)
}

// newRunParams is service.newRun: what a run's name says, posted at the time of the write.
func newRunParams(name string) db.CreateRunParams {
	info := paddles.ParseRunName(name)
	scheduled := info.Scheduled
	if scheduled.IsZero() {
		scheduled = now()
	}
	return db.CreateRunParams{
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
		ids, _, err := q.FilteredRunIDs(ctx, rq.Filter, &pageSize, 0, false)
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

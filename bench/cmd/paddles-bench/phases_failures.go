package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// The failure signature phases (issue 15): the lab's failures of the last 14 days, unfiltered or
// by branch or suite, and a page of one signature's jobs.

// failureFilters are the listings failures_list picks from, as pulpito would offer them.
var failureFilters = []struct {
	query  string
	filter paddles.FailureFilter
}{
	{"", paddles.FailureFilter{}},
	{"?branch=main", paddles.FailureFilter{Branch: ptr("main")}},
	{"?suite=rados", paddles.FailureFilter{Suite: ptr("rados")}},
}

func ptr(s string) *string { return &s }

func (b *bench) failuresListPhase() *Phase {
	return b.readPhase("failures_list", "GET /failures/ (14 days; unfiltered, ?branch=main or ?suite=rados)", 50,
		func(r *rand.Rand) (string, func(context.Context) error) {
			f := failureFilters[r.IntN(len(failureFilters))]
			return "/failures/" + f.query, func(ctx context.Context) error { return b.floor.failures(ctx, f.filter) }
		})
}

func (b *bench) failureJobsPhase() *Phase {
	var ids []string
	ph := b.readPhase("failure_jobs", "GET /failures/{id}/jobs/?count=25 (a signature of the data set)", 50,
		func(r *rand.Rand) (string, func(context.Context) error) {
			id := ids[r.IntN(len(ids))]
			return "/failures/" + id + "/jobs/?count=25", func(ctx context.Context) error { return b.floor.failureJobs(ctx, id, 25) }
		})
	prepare := ph.prepare
	ph.prepare = func(ctx context.Context) (int, op, op, error) {
		rows, err := b.floor.pool.Query(ctx, "SELECT id::text FROM failure_signatures ORDER BY id")
		if err == nil {
			ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err == nil && len(ids) == 0 {
			err = fmt.Errorf("the data set has no failure signatures (seeded before test_results?)")
		}
		if err != nil {
			return 0, nil, nil, err
		}
		return prepare(ctx)
	}
	return ph
}

// failures is service.ListFailures' SQL: the window's page of signatures, then their top tests.
func (f *floor) failures(ctx context.Context, filter paddles.FailureFilter) error {
	since := time.Now().Add(-time.Duration(paddles.FailureDefaultDays) * 24 * time.Hour)
	return f.st.Read(ctx, func(q *store.Q) error {
		_, _, err := q.WindowFailures(ctx, since, filter, 100, 0, paddles.FailureTopTests)
		return err
	})
}

// failureJobs is service.FailureJobs' SQL.
func (f *floor) failureJobs(ctx context.Context, id string, limit int64) error {
	return f.tx(ctx, readOnly, func(q *db.Queries) error {
		if _, err := q.FailureSignatureExists(ctx, id); err != nil {
			return err
		}
		ids, err := q.FailureJobIDs(ctx, db.FailureJobIDsParams{ID: id, Max: limit})
		if err != nil {
			return err
		}
		if _, err := q.CountFailureJobs(ctx, db.CountFailureJobsParams{ID: id, UpTo: limit + store.SearchCountBeyond}); err != nil {
			return err
		}
		_, err = q.FailureJobs(ctx, ids)
		return err
	})
}

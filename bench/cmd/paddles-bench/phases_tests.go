package main

import (
	"context"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// The test history and flaky tests phases (issue 15). Their floors run the server's queries in
// its read transaction: a test's summary, its newest pass and failure and a page of its results
// off test_results, then the page's jobs by id; a window's flaky tests off test_sha1s (the
// least SQL for that answer: one query for the page, with the total), then their newest pass and
// failure.

// testsHistoryPhase reads the history of a random job's test, as a job page would.
func (b *bench) testsHistoryPhase() *Phase {
	w := b.w
	return b.readPhase("tests_history", "GET /tests/history/?description={a job's description}", 50, func(r *rand.Rand) (string, func(context.Context) error) {
		s := w.runs[r.IntN(len(w.runs))]
		j := w.job(s, r.IntN(s.njobs))
		d := w.description(&j)
		return "/tests/history/?description=" + url.QueryEscape(d), func(ctx context.Context) error {
			return b.floor.testHistory(ctx, d, 25)
		}
	})
}

// testsFlakyPhase reads the flaky tests of the last 14 days.
func (b *bench) testsFlakyPhase() *Phase {
	return b.readPhase("tests_flaky", "GET /tests/flaky/ (the last 14 days, 100 per page)", 50, func(r *rand.Rand) (string, func(context.Context) error) {
		return "/tests/flaky/", func(ctx context.Context) error {
			return b.floor.flakyTests(ctx, time.Now().Add(-14*24*time.Hour), 100)
		}
	})
}

// testHistory is service.TestHistory's SQL.
func (f *floor) testHistory(ctx context.Context, description string, limit int64) error {
	return f.tx(ctx, readOnly, func(q *db.Queries) error {
		summary, err := q.TestHistorySummary(ctx, db.TestHistorySummaryParams{Description: description})
		if err != nil || summary.Total == 0 {
			return err
		}
		if _, err := q.TestHistoryLatest(ctx, db.TestHistoryLatestParams{Description: description}); err != nil {
			return err
		}
		page, err := q.TestHistoryPage(ctx, db.TestHistoryPageParams{Description: description, Max: limit})
		if err != nil {
			return err
		}
		ids := make([]int64, len(page))
		for i, p := range page {
			ids[i] = p.ID
		}
		_, err = q.JobsByID(ctx, ids)
		return err
	})
}

// flakyTests is service.FlakyTests' SQL.
func (f *floor) flakyTests(ctx context.Context, since time.Time, limit int64) error {
	return f.st.Read(ctx, func(q *store.Q) error {
		_, _, err := q.FlakyTests(ctx, since, paddles.TestFilter{}, limit, 0)
		return err
	})
}

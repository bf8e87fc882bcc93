package service

import (
	"context"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// Page sizes of the test listings, and the most a page may hold.
const (
	testHistoryPageSize = 25 // pulpito-ng's "Past 25 jobs with same description"
	flakyPageSize       = 100
	maxTestPageSize     = 1000
	defaultFlakyDays    = 14 // as /nodes/job_stats/
	maxFlakyDays        = 90
)

// TestHistory is a test's summary and one page of its jobs.
type TestHistory struct {
	Summary paddles.TestSummary
	Jobs    []TestJob
}

// TestJob is a job of a test's history, with its run's name and its failure signature.
type TestJob struct {
	Job         paddles.Job
	Run         string
	SignatureID *[16]byte
	TrackerURL  *string
}

// testPage turns a page of a test listing into LIMIT and OFFSET, bounded.
func testPage(p Page, size int) (limit, offset int64, err error) {
	limit = int64(size)
	if p.Count != nil {
		if *p.Count < 0 || *p.Count > maxTestPageSize {
			return 0, 0, paddles.Errorf(paddles.Invalid, "count must be an integer from 0 to %d", maxTestPageSize)
		}
		limit = int64(*p.Count)
	}
	if p.Page != nil {
		if *p.Page < 1 {
			return 0, 0, paddles.Errorf(paddles.Invalid, "page must be a positive integer")
		}
		offset = limit * int64(*p.Page-1)
	}
	return limit, offset, nil
}

// TestHistory summarises a test's jobs matching a filter and returns a page of them, newest
// first. Everything is read off test_results but the page's jobs, read by id.
func (s *Service) TestHistory(ctx context.Context, description string, f paddles.TestFilter, page Page) (TestHistory, error) {
	var h TestHistory
	limit, offset, err := testPage(page, testHistoryPageSize)
	if err != nil {
		return h, err
	}
	if !storable(description) {
		return h, paddles.Errorf(paddles.Invalid, "description must be UTF-8 text without NUL")
	}
	err = s.st.Browse(ctx, func(q *store.Q) error {
		var err error
		if h.Summary, err = q.TestSummary(ctx, description, f); err != nil {
			return err
		}
		h.Jobs = []TestJob{}
		if limit == 0 || offset >= h.Summary.Total {
			return nil
		}
		results, err := q.TestHistoryPage(ctx, description, f, limit, offset)
		if err != nil {
			return err
		}
		ids := make([]int64, len(results))
		byID := make(map[int64]store.TestResult, len(results))
		for i, r := range results {
			ids[i], byID[r.ID] = r.ID, r
		}
		jobs, runs, err := q.JobsByID(ctx, ids)
		if err != nil {
			return err
		}
		for i := range jobs {
			r := byID[jobs[i].ID]
			h.Jobs = append(h.Jobs, TestJob{Job: jobs[i], Run: runs[i], SignatureID: r.SignatureID, TrackerURL: r.TrackerURL})
		}
		return nil
	})
	return h, err
}

// FlakyPage is a page of flaky tests and how many tests are flaky in the window.
type FlakyPage struct {
	Tests []paddles.FlakyTest
	Total int64
}

// FlakyTests returns a page of the tests that passed and failed (or died) on the same sha1 among
// the jobs posted in the last days (nil: 14), most flaky first.
func (s *Service) FlakyTests(ctx context.Context, f paddles.TestFilter, days *int, page Page) (FlakyPage, error) {
	var p FlakyPage
	d := defaultFlakyDays
	if days != nil {
		d = *days
	}
	if d < 1 || d > maxFlakyDays {
		return p, paddles.Errorf(paddles.Invalid, "since_days must be an integer from 1 to %d", maxFlakyDays)
	}
	limit, offset, err := testPage(page, flakyPageSize)
	if err != nil {
		return p, err
	}
	since := s.now().Add(-time.Duration(d) * 24 * time.Hour)
	err = s.st.Browse(ctx, func(q *store.Q) (err error) {
		p.Tests, p.Total, err = q.FlakyTests(ctx, since, f, limit, offset)
		return err
	})
	return p, err
}

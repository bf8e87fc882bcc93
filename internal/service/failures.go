package service

import (
	"context"
	"errors"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// FailurePage is one page of the failure signatures of a window and how many the window holds.
type FailurePage struct {
	Failures []paddles.Failure
	Total    int64
}

// ListFailures returns a page of the signatures of the failed and dead jobs posted in the last
// days (nil: the default window) that f selects, most jobs first.
func (s *Service) ListFailures(ctx context.Context, f paddles.FailureFilter, days *int, page Page) (FailurePage, error) {
	n, err := paddles.FailureDays(days)
	if err != nil {
		return FailurePage{}, err
	}
	limit, offset, err := s.failureLimits(page)
	if err != nil {
		return FailurePage{}, err
	}
	var result FailurePage
	err = s.st.Browse(ctx, func(q *store.Q) (err error) {
		result.Failures, result.Total, err = q.WindowFailures(ctx, s.daysAgo(n), f, limit, offset, paddles.FailureTopTests)
		return err
	})
	return result, err
}

// GetFailure returns one signature with its counts over the last days (nil: the default window).
func (s *Service) GetFailure(ctx context.Context, id string, days *int) (paddles.Failure, int, error) {
	id, err := paddles.ParseSignatureID(id)
	if err != nil {
		return paddles.Failure{}, 0, err
	}
	n, err := paddles.FailureDays(days)
	if err != nil {
		return paddles.Failure{}, 0, err
	}
	var fl paddles.Failure
	err = s.st.Browse(ctx, func(q *store.Q) (err error) {
		fl, err = q.Failure(ctx, id, s.daysAgo(n), paddles.FailureHitTests)
		return err
	})
	return fl, n, failureNotFound(id, err)
}

// LinkFailure sets a signature's tracker link and note and returns it as GetFailure does with the
// default window, in one transaction.
func (s *Service) LinkFailure(ctx context.Context, id string, l paddles.FailureLink) (paddles.Failure, error) {
	id, err := paddles.ParseSignatureID(id)
	if err != nil {
		return paddles.Failure{}, err
	}
	var fl paddles.Failure
	err = s.st.Write(ctx, func(q *store.Q) error {
		if err := q.LinkFailure(ctx, id, l, s.now()); err != nil {
			return err
		}
		fl, err = q.Failure(ctx, id, s.daysAgo(paddles.FailureDefaultDays), paddles.FailureHitTests)
		return err
	})
	return fl, failureNotFound(id, err)
}

// FailureJobPage is one page of a signature's jobs; Total is a lower bound unless TotalExact.
type FailureJobPage struct {
	Jobs       []paddles.FailureJob
	Total      int64
	TotalExact bool
}

// FailureJobs returns a page of a signature's jobs, most recently posted first.
func (s *Service) FailureJobs(ctx context.Context, id string, page Page) (FailureJobPage, error) {
	id, err := paddles.ParseSignatureID(id)
	if err != nil {
		return FailureJobPage{}, err
	}
	limit, offset, err := s.failureLimits(page)
	if err != nil {
		return FailureJobPage{}, err
	}
	var result FailureJobPage
	err = s.st.Browse(ctx, func(q *store.Q) (err error) {
		result.Jobs, result.Total, result.TotalExact, err = q.FailureJobs(ctx, id, limit, offset)
		return err
	})
	return result, failureNotFound(id, err)
}

func (s *Service) daysAgo(n int) time.Time { return s.now().Add(-time.Duration(n) * 24 * time.Hour) }

// failureLimits is limits for the failure listings: 100 a page by default, at most
// paddles.FailureMaxCount.
func (s *Service) failureLimits(page Page) (limit, offset int64, err error) {
	if page.Count == nil {
		n := 100
		page.Count = &n
	}
	if *page.Count > paddles.FailureMaxCount {
		return 0, 0, paddles.Errorf(paddles.Invalid, "count must be at most %d", paddles.FailureMaxCount)
	}
	l, offset, err := s.limits(page, true)
	if err != nil {
		return 0, 0, err
	}
	return *l, offset, nil
}

func failureNotFound(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return paddles.Errorf(paddles.NotFound, "failure signature %s not found", id)
	}
	return err
}

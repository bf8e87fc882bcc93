package service

import (
	"context"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// RunPage is one page of a run listing and the number of runs in the whole listing.
type RunPage struct {
	Runs  []paddles.Run
	Total int64
}

// ListRuns returns a page of runs, most recently posted first.
func (s *Service) ListRuns(ctx context.Context, page Page) (RunPage, error) {
	limit, offset, err := s.limits(page, true)
	if err != nil {
		return RunPage{}, err
	}
	return s.runPage(ctx, func(q *store.Q) ([]int64, int64, error) {
		return q.LatestRunIDs(ctx, limit, offset)
	})
}

// FilterRuns returns a page of the runs a filter selects, most recently scheduled first.
// Unpaged is for listings upstream did not paginate (date ranges): all runs unless a count is given.
func (s *Service) FilterRuns(ctx context.Context, f paddles.RunFilter, page Page, unpaged bool) (RunPage, error) {
	return s.filterRuns(ctx, f, page, unpaged, ByScheduled)
}

// RunOrder orders a listing of runs, newest first.
type RunOrder int

const (
	// ByScheduled: most recently scheduled first, the order of the filters.
	ByScheduled RunOrder = iota
	// ByPosted: most recently posted first, the order of the latest runs.
	ByPosted
)

// SortRuns is FilterRuns in the given order (GET /runs/?sort=).
func (s *Service) SortRuns(ctx context.Context, f paddles.RunFilter, page Page, order RunOrder) (RunPage, error) {
	return s.filterRuns(ctx, f, page, false, order)
}

func (s *Service) filterRuns(ctx context.Context, f paddles.RunFilter, page Page, unpaged bool, order RunOrder) (RunPage, error) {
	limit, offset, err := s.limits(page, !unpaged)
	if err != nil || f.Never {
		return RunPage{Runs: []paddles.Run{}}, err
	}
	return s.runPage(ctx, func(q *store.Q) ([]int64, int64, error) {
		return q.FilteredRunIDs(ctx, f, limit, offset, order == ByPosted)
	})
}

// QueuedRuns returns the runs with queued jobs, scheduled earliest first; all of them unless a
// count is given, as upstream.
func (s *Service) QueuedRuns(ctx context.Context, page Page) (RunPage, error) {
	limit, offset, err := s.limits(page, false)
	if err != nil {
		return RunPage{}, err
	}
	return s.runPage(ctx, func(q *store.Q) ([]int64, int64, error) {
		return q.QueuedRunIDs(ctx, limit, offset)
	})
}

// RunValues lists the distinct non-empty values of a run key (branch, suite, machine_type,
// status, user, sha1, flavor or date) among the runs a filter selects, sorted; all of them
// unless the page has a count (unlike the listings, a value list has no default page size:
// upstream's lists are whole).
func (s *Service) RunValues(ctx context.Context, f paddles.RunFilter, key string, p Page) ([]string, error) {
	limit, offset, err := s.limits(p, false)
	if err != nil {
		return nil, err
	}
	if f.Never {
		return []string{}, nil
	}
	var values []string
	err = s.st.Browse(ctx, func(q *store.Q) (err error) {
		values, err = q.FilteredRunValues(ctx, f, key, limit, offset)
		return err
	})
	return values, err
}

// runPage reads a page of run ids and the listing's total with list, then the runs, all in one
// snapshot, keeping the order of the ids.
func (s *Service) runPage(ctx context.Context, list func(q *store.Q) ([]int64, int64, error)) (RunPage, error) {
	var page RunPage
	err := s.st.Browse(ctx, func(q *store.Q) error {
		ids, total, err := list(q)
		if err != nil {
			return err
		}
		page.Runs, err = q.RunsByID(ctx, ids)
		page.Total = total
		return err
	})
	return page, err
}

// JobPage is one page of a job listing across runs, with each job's run name.
type JobPage struct {
	Jobs     []paddles.Job
	RunNames []string
	Total    int64
	// TotalExact is false when more jobs match than were counted: Total is then a lower bound.
	TotalExact bool
}

// SearchJobs returns a page of the jobs a search selects, most recently posted first.
func (s *Service) SearchJobs(ctx context.Context, search paddles.JobSearch, page Page) (JobPage, error) {
	if page.Count == nil {
		ten := 10 // upstream's page size for this listing
		page.Count = &ten
	}
	limit, offset, err := s.limits(page, true)
	if err != nil {
		return JobPage{}, err
	}
	for _, st := range search.Statuses {
		if !paddles.ValidJobStatus(st) {
			return JobPage{}, paddles.Errorf(paddles.Invalid, "invalid status %q", st)
		}
	}
	var result JobPage
	err = s.st.Browse(ctx, func(q *store.Q) error {
		ids, total, exact, err := q.SearchJobIDs(ctx, search, limit, offset)
		if err != nil {
			return err
		}
		result.Total, result.TotalExact = total, exact
		return readJobs(ctx, q, ids, &result)
	})
	return result, err
}

// readJobs reads the jobs of ids, in that order, with their run names, into page.
func readJobs(ctx context.Context, q *store.Q, ids []int64, page *JobPage) (err error) {
	page.Jobs, page.RunNames, err = q.JobsByID(ctx, ids)
	return err
}

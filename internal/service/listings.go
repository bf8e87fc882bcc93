package service

import (
	"context"
	"strings"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
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
	return s.runPage(ctx, func(q *db.Queries) ([]int64, int64, error) {
		ids, err := q.LatestRunIDs(ctx, db.LatestRunIDsParams{Max: limit, Skip: offset})
		if err != nil {
			return nil, 0, err
		}
		total, err := q.CountRuns(ctx)
		return ids, total, err
	})
}

// FilterRuns returns a page of the runs a filter selects, most recently scheduled first.
// Unpaged is for listings upstream did not paginate (date ranges): all runs unless a count is given.
func (s *Service) FilterRuns(ctx context.Context, f paddles.RunFilter, page Page, unpaged bool) (RunPage, error) {
	limit, offset, err := s.limits(page, !unpaged)
	if err != nil || f.Never {
		return RunPage{Runs: []paddles.Run{}}, err
	}
	return s.runPage(ctx, func(q *db.Queries) ([]int64, int64, error) {
		args, err := filterArgs(ctx, q, f)
		if err != nil {
			return nil, 0, err
		}
		ids, err := q.FilteredRunIDs(ctx, db.FilteredRunIDsParams{
			Branch: args.Branch, Suite: args.Suite, MachineType: args.MachineType, Status: args.Status,
			UserName: args.UserName, RunIds: args.RunIds, Flavor: args.Flavor,
			ScheduledFrom: args.ScheduledFrom, ScheduledBefore: args.ScheduledBefore, Max: limit, Skip: offset,
		})
		if err != nil {
			return nil, 0, err
		}
		total, err := q.CountFilteredRuns(ctx, args)
		return ids, total, err
	})
}

// QueuedRuns returns the runs with queued jobs, scheduled earliest first; all of them unless a
// count is given, as upstream.
func (s *Service) QueuedRuns(ctx context.Context, page Page) (RunPage, error) {
	limit, offset, err := s.limits(page, false)
	if err != nil {
		return RunPage{}, err
	}
	return s.runPage(ctx, func(q *db.Queries) ([]int64, int64, error) {
		ids, err := q.QueuedRunIDs(ctx, db.QueuedRunIDsParams{Max: limit, Skip: offset})
		if err != nil {
			return nil, 0, err
		}
		total, err := q.CountQueuedRuns(ctx)
		return ids, total, err
	})
}

// RunValues lists the distinct non-empty values of a run key (branch, suite, machine_type,
// status, user, sha1, flavor or date) among the runs a filter selects, sorted.
func (s *Service) RunValues(ctx context.Context, f paddles.RunFilter, key string) ([]string, error) {
	if f.Never {
		return []string{}, nil
	}
	var values []string
	err := s.browse(ctx, func(q *db.Queries) error {
		args, err := filterArgs(ctx, q, f)
		if err != nil {
			return err
		}
		values, err = q.FilteredRunValues(ctx, db.FilteredRunValuesParams{
			Field: key, Branch: args.Branch, Suite: args.Suite, MachineType: args.MachineType, Status: args.Status,
			UserName: args.UserName, RunIds: args.RunIds, Flavor: args.Flavor,
			ScheduledFrom: args.ScheduledFrom, ScheduledBefore: args.ScheduledBefore,
		})
		return err
	})
	return values, err
}

// runPage reads a page of run ids and the listing's total with list, then the runs, all in one
// snapshot, keeping the order of the ids.
func (s *Service) runPage(ctx context.Context, list func(q *db.Queries) ([]int64, int64, error)) (RunPage, error) {
	var page RunPage
	err := s.browse(ctx, func(q *db.Queries) error {
		ids, total, err := list(q)
		if err != nil {
			return err
		}
		rows, err := q.RunsByID(ctx, ids)
		if err != nil {
			return err
		}
		byID := make(map[int64]paddles.Run, len(rows))
		for _, r := range rows {
			byID[r.Run.ID] = toRun(r.Run, r.FirstSha1, r.FirstFlavor, r.FirstPriority)
		}
		page.Runs = make([]paddles.Run, 0, len(ids))
		for _, id := range ids {
			if r, ok := byID[id]; ok {
				page.Runs = append(page.Runs, r)
			}
		}
		page.Total = total
		return nil
	})
	return page, err
}

// filterArgs lays a filter out as the arguments of filtered_runs. A sha1 prefix is looked up
// first: it names few runs, which the listing then reads by id.
func filterArgs(ctx context.Context, q *db.Queries, f paddles.RunFilter) (db.CountFilteredRunsParams, error) {
	args := db.CountFilteredRunsParams{
		Branch: f.Branch, Suite: f.Suite, MachineType: f.MachineType, Status: f.Status, UserName: f.User,
		Flavor: f.Flavor, ScheduledFrom: f.From, ScheduledBefore: f.Before,
	}
	if f.Sha1Prefix != nil {
		ids, err := q.Sha1RunIDs(ctx, escapeLike(*f.Sha1Prefix))
		if err != nil {
			return args, err
		}
		args.RunIds = append([]int64{}, ids...) // never nil: no run matches nothing
	}
	return args, nil
}

// escapeLike quotes LIKE's wildcards so that a value matches only itself.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// JobPage is one page of a job listing across runs, with each job's run name.
type JobPage struct {
	Jobs     []paddles.Job
	RunNames []string
	Total    int64
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
	if search.Status != nil && !paddles.ValidJobStatus(*search.Status) {
		return JobPage{}, paddles.Errorf(paddles.Invalid, "invalid status %q", *search.Status)
	}
	var like *string
	if search.Description != nil {
		l := "%" + escapeLike(*search.Description) + "%"
		like = &l
	}
	args := db.CountSearchedJobsParams{
		DescriptionLike: like, Status: search.Status, Sha1: search.Sha1, Branch: search.Branch,
		UserName: search.User, PostedAfter: search.PostedAfter, PostedBefore: search.PostedBefore,
	}
	var result JobPage
	err = s.browse(ctx, func(q *db.Queries) error {
		ids, err := q.SearchJobIDs(ctx, db.SearchJobIDsParams{
			DescriptionLike: args.DescriptionLike, Status: args.Status, Sha1: args.Sha1, Branch: args.Branch,
			UserName: args.UserName, PostedAfter: args.PostedAfter, PostedBefore: args.PostedBefore,
			Max: limit, Skip: offset,
		})
		if err != nil {
			return err
		}
		if result.Total, err = q.CountSearchedJobs(ctx, args); err != nil {
			return err
		}
		return readJobs(ctx, q, ids, &result)
	})
	return result, err
}

// readJobs reads the jobs of ids, in that order, with their run names, into page.
func readJobs(ctx context.Context, q *db.Queries, ids []int64, page *JobPage) error {
	rows, err := q.JobsByID(ctx, ids)
	if err != nil {
		return err
	}
	byID := make(map[int64]db.JobsByIDRow, len(rows))
	for _, r := range rows {
		byID[r.Job.ID] = r
	}
	page.Jobs = make([]paddles.Job, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			page.Jobs = append(page.Jobs, paddles.Job(r.Job))
			page.RunNames = append(page.RunNames, r.RunName)
		}
	}
	return nil
}

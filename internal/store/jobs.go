package store

import (
	"context"
	"time"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// NextJobID returns a fresh job id, for a job posted without one.
func (q *Q) NextJobID(ctx context.Context) (string, error) {
	id, err := q.q().NextJobID(ctx)
	return id, interpret(err)
}

// GetJob returns one job of a run.
func (q *Q) GetJob(ctx context.Context, runName, jobID string) (paddles.Job, error) {
	row, err := q.q().GetJob(ctx, db.GetJobParams{RunName: runName, JobID: jobID})
	if err != nil {
		return paddles.Job{}, interpret(err)
	}
	return jobFromRow(&row), nil
}

// JobExists reports whether a run has a job.
func (q *Q) JobExists(ctx context.Context, runName, jobID string) (bool, error) {
	ok, err := q.q().JobExists(ctx, db.JobExistsParams{RunName: runName, JobID: jobID})
	return ok, interpret(err)
}

// ListRunJobs returns the jobs of a run that f selects, most recently posted first.
func (q *Q) ListRunJobs(ctx context.Context, runID int64, f paddles.RunJobFilter) ([]paddles.Job, error) {
	rows, err := q.q().ListRunJobs(ctx, db.ListRunJobsParams{RunID: runID, Statuses: f.Statuses,
		DescriptionContains: f.DescriptionContains, FailureReasonContains: f.FailureReasonContains, UpdatedSince: f.UpdatedSince})
	return toJobs(rows), interpret(err)
}

// ListRunJobsByJobID returns the jobs of a run by job_id.
func (q *Q) ListRunJobsByJobID(ctx context.Context, runID int64) ([]paddles.Job, error) {
	rows, err := q.q().ListRunJobsByJobID(ctx, runID)
	return toJobs(rows), interpret(err)
}

// DeleteJob deletes one job of a run; ErrNotFound if there is none.
func (q *Q) DeleteJob(ctx context.Context, runName, jobID string) error {
	return deleted(q.q().DeleteJob(ctx, db.DeleteJobParams{RunName: runName, JobID: jobID}))
}

// JobsByID returns the jobs of ids, in that order, with their run names, leaving out those that
// do not exist.
func (q *Q) JobsByID(ctx context.Context, ids []int64) (jobs []paddles.Job, runNames []string, err error) {
	rows, err := q.q().JobsByID(ctx, ids)
	if err != nil {
		return nil, nil, interpret(err)
	}
	byID := make(map[int64]*db.JobsByIDRow, len(rows))
	for i := range rows {
		byID[rows[i].Job.ID] = &rows[i]
	}
	jobs = make([]paddles.Job, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			jobs = append(jobs, jobFromRow(&r.Job))
			runNames = append(runNames, r.RunName)
		}
	}
	return jobs, runNames, nil
}

// SearchCountBeyond is how far past the end of its page a job search counts: the total is exact
// when fewer jobs match, and a lower bound otherwise. At the lab's size a broad search selects
// millions of jobs, which counting would read for nothing, since nobody pages that far.
const SearchCountBeyond = 1000

// describedMax is how many distinct descriptions a description search reads one by one, off their
// own index; a broader one reads the newest jobs and tests each description, which is as fast
// when matches are that common.
const describedMax = 500

// longDescription is the length from which a description search looks for the text with strpos
// rather than LIKE (DescriptionsContaining): a short text may be served by pg_trgm's index, a
// long one is read faster by a sequential scan with strpos.
const longDescription = 32

// SearchJobIDs returns a page of the ids of the jobs a search selects, most recently posted
// first, and how many jobs it selects: exactly when exact, else at least that many.
func (q *Q) SearchJobIDs(ctx context.Context, s paddles.JobSearch, limit *int64, offset int64) (ids []int64, total int64, exact bool, err error) {
	var upTo *int64
	if limit != nil {
		n := offset + *limit + SearchCountBeyond
		upTo = &n
	}
	var like *string
	if s.Description != nil {
		l := "%" + escapeLike(*s.Description) + "%"
		like = &l
		var descriptions []string
		var err error
		if len(*s.Description) >= longDescription {
			descriptions, err = q.q().DescriptionsContaining(ctx, db.DescriptionsContainingParams{Text: *s.Description, Max: describedMax + 1})
		} else {
			descriptions, err = q.q().MatchingDescriptions(ctx, db.MatchingDescriptionsParams{DescriptionLike: l, Max: describedMax + 1})
		}
		if err != nil {
			return nil, 0, false, interpret(err)
		}
		if len(descriptions) <= describedMax {
			return q.describedJobIDs(ctx, s, descriptions, limit, offset, upTo)
		}
	}
	ids, err = q.q().SearchJobIDs(ctx, db.SearchJobIDsParams{
		DescriptionLike: like, Statuses: s.Statuses, Sha1: s.Sha1, Branch: s.Branch,
		UserName: s.User, PostedAfter: s.PostedAfter, PostedBefore: s.PostedBefore, UpdatedSince: s.UpdatedSince,
		Max: limit, Skip: offset,
	})
	if err != nil {
		return nil, 0, false, interpret(err)
	}
	total, err = q.q().CountSearchedJobs(ctx, db.CountSearchedJobsParams{
		DescriptionLike: like, Statuses: s.Statuses, Sha1: s.Sha1, Branch: s.Branch,
		UserName: s.User, PostedAfter: s.PostedAfter, PostedBefore: s.PostedBefore, UpdatedSince: s.UpdatedSince, UpTo: upTo,
	})
	return ids, total, upTo == nil || total < *upTo, interpret(err)
}

// describedJobIDs is SearchJobIDs for the jobs of a few descriptions.
func (q *Q) describedJobIDs(ctx context.Context, s paddles.JobSearch, descriptions []string, limit *int64, offset int64, upTo *int64) ([]int64, int64, bool, error) {
	var depth *int64
	if limit != nil {
		n := offset + *limit
		depth = &n
	}
	ids, err := q.q().DescribedJobIDs(ctx, db.DescribedJobIDsParams{
		Descriptions: descriptions, Statuses: s.Statuses, Sha1: s.Sha1, Branch: s.Branch,
		UserName: s.User, PostedAfter: s.PostedAfter, PostedBefore: s.PostedBefore, UpdatedSince: s.UpdatedSince,
		Depth: depth, Max: limit, Skip: offset,
	})
	if err != nil {
		return nil, 0, false, interpret(err)
	}
	total, err := q.q().CountDescribedJobs(ctx, db.CountDescribedJobsParams{
		Descriptions: descriptions, Statuses: s.Statuses, Sha1: s.Sha1, Branch: s.Branch,
		UserName: s.User, PostedAfter: s.PostedAfter, PostedBefore: s.PostedBefore, UpdatedSince: s.UpdatedSince, UpTo: upTo,
	})
	return ids, total, upTo == nil || total < *upTo, interpret(err)
}

// ExpiryLock takes the advisory lock of job expiry for the transaction, if free.
func (q *Q) ExpiryLock(ctx context.Context) (bool, error) {
	ok, err := q.q().ExpiryLock(ctx)
	return ok, interpret(err)
}

// ExpireJobs marks dead at most batch stale jobs: active ones not updated since activeBefore,
// queued ones not since queuedBefore. It returns the statuses they had.
func (q *Q) ExpireJobs(ctx context.Context, activeBefore, queuedBefore, now time.Time, batch int32) ([]string, error) {
	old, err := q.q().ExpireJobs(ctx, db.ExpireJobsParams{ActiveBefore: activeBefore, QueuedBefore: queuedBefore,
		Batch: batch, Now: now})
	return old, interpret(err)
}

package store

import (
	"context"
	"time"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// WindowFailures returns a page of the signatures of the failed and dead jobs posted since since
// that f selects, most jobs first, each with its perSignature most hit tests, and how many
// signatures the window holds.
func (q *Q) WindowFailures(ctx context.Context, since time.Time, f paddles.FailureFilter, limit, offset int64, perSignature int64) ([]paddles.Failure, int64, error) {
	rows, err := q.q().WindowFailures(ctx, db.WindowFailuresParams{Since: since, Branch: f.Branch, Suite: f.Suite,
		MachineType: f.MachineType, Max: limit, Skip: offset, PerSignature: perSignature})
	if err != nil {
		return nil, 0, interpret(err)
	}
	if len(rows) == 0 {
		total, err := q.q().CountWindowFailures(ctx, db.CountWindowFailuresParams{Since: since, Branch: f.Branch,
			Suite: f.Suite, MachineType: f.MachineType})
		return []paddles.Failure{}, total, interpret(err)
	}
	failures := make([]paddles.Failure, len(rows))
	for i, r := range rows {
		failures[i] = paddles.Failure{ID: r.ID, Signature: r.Signature, Example: r.Example, TrackerURL: r.TrackerUrl,
			Note: r.Note, Updated: r.Updated, Jobs: r.Jobs, Runs: r.Runs, Tests: r.Tests,
			LastSeen: &r.LastSeen, FirstSeen: &r.FirstSeen}
		for k := range r.TestDescriptions {
			failures[i].HitTests = append(failures[i].HitTests,
				paddles.FailureTest{Description: r.TestDescriptions[k], Jobs: r.TestJobs[k], LastSeen: r.TestLastSeen[k]})
		}
	}
	return failures, rows[0].Total, nil
}

// Failure returns one signature with its counts and tests since since, and its first and last
// jobs ever; ErrNotFound if there is no such signature.
func (q *Q) Failure(ctx context.Context, id string, since time.Time, tests int64) (paddles.Failure, error) {
	r, err := q.q().FailureSignature(ctx, db.FailureSignatureParams{ID: id, Since: since})
	if err != nil {
		return paddles.Failure{}, interpret(err)
	}
	fl := paddles.Failure{ID: r.ID, Signature: r.Signature, Example: r.Example, TrackerURL: r.TrackerUrl, Note: r.Note,
		Updated: r.Updated, Jobs: r.Jobs, Runs: r.Runs, Tests: r.Tests}
	span, err := q.q().FailureSpan(ctx, id)
	if err != nil {
		return fl, interpret(err)
	}
	for i := range span {
		if fl.FirstSeen == nil || span[i].Before(*fl.FirstSeen) {
			fl.FirstSeen = &span[i]
		}
		if fl.LastSeen == nil || span[i].After(*fl.LastSeen) {
			fl.LastSeen = &span[i]
		}
	}
	hit, err := q.q().FailureTests(ctx, db.FailureTestsParams{ID: id, Since: since, Max: tests})
	for _, r := range hit {
		fl.HitTests = append(fl.HitTests, paddles.FailureTest{Description: r.Description, Jobs: r.Jobs, LastSeen: r.LastSeen})
	}
	return fl, interpret(err)
}

// LinkFailure sets a signature's tracker link and note as l says; ErrNotFound if there is no such
// signature.
func (q *Q) LinkFailure(ctx context.Context, id string, l paddles.FailureLink, now time.Time) error {
	return deleted(q.q().LinkFailure(ctx, db.LinkFailureParams{ID: id, SetTrackerUrl: l.SetTrackerURL, TrackerUrl: l.TrackerURL,
		SetNote: l.SetNote, Note: l.Note, Updated: &now}))
}

// FailureJobs returns a page of a signature's jobs, newest first, and how many it has: exactly
// when exact, else at least that many (SearchCountBeyond past the page); ErrNotFound if there is
// no such signature.
func (q *Q) FailureJobs(ctx context.Context, id string, limit, offset int64) (jobs []paddles.FailureJob, total int64, exact bool, err error) {
	ok, err := q.q().FailureSignatureExists(ctx, id)
	if err == nil && !ok {
		err = ErrNotFound
	}
	if err != nil {
		return nil, 0, false, interpret(err)
	}
	ids, err := q.q().FailureJobIDs(ctx, db.FailureJobIDsParams{ID: id, Max: limit, Skip: offset})
	if err != nil {
		return nil, 0, false, interpret(err)
	}
	upTo := offset + limit + SearchCountBeyond
	if total, err = q.q().CountFailureJobs(ctx, db.CountFailureJobsParams{ID: id, UpTo: upTo}); err != nil {
		return nil, 0, false, interpret(err)
	}
	rows, err := q.q().FailureJobs(ctx, ids)
	if err != nil {
		return nil, 0, false, interpret(err)
	}
	byID := make(map[int64]*db.FailureJobsRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	jobs = make([]paddles.FailureJob, 0, len(ids))
	for _, id := range ids {
		// The snapshot's jobs match their test_results rows: a job with a signature has a reason.
		if r, ok := byID[id]; ok && r.FailureReason != nil {
			jobs = append(jobs, paddles.FailureJob{ID: r.ID, RunName: r.RunName, JobID: r.JobID, Status: r.Status,
				Description: r.Description, Sha1: r.Sha1, Branch: r.Branch, Suite: r.Suite, MachineType: r.MachineType,
				Posted: r.Posted, FailureReason: *r.FailureReason})
		}
	}
	return jobs, total, total < upTo, nil
}

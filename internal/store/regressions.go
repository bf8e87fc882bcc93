package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// ComparedRun is what a regressions answer needs of a run: its id, and what finds its previous
// run.
type ComparedRun struct {
	ID                         int64
	Name                       string
	Suite, Branch, MachineType *string
	Posted                     time.Time
}

// ComparedRun returns the run named name; ErrNotFound if there is none.
func (q *Q) ComparedRun(ctx context.Context, name string) (ComparedRun, error) {
	r, err := q.q().RegressionRun(ctx, name)
	return ComparedRun{ID: r.ID, Name: r.Name, Suite: r.Suite, Branch: r.Branch, MachineType: r.MachineType,
		Posted: r.Posted}, interpret(err)
}

// PreviousRun returns the name of the newest run posted before r with r's suite, branch and
// machine type; ErrNotFound if there is none, or if one of the three is unknown (null, or empty
// as a run whose name does not say is created): runs that share no key are no series.
func (q *Q) PreviousRun(ctx context.Context, r ComparedRun) (string, error) {
	for _, key := range []*string{r.Suite, r.Branch, r.MachineType} {
		if key == nil || *key == "" {
			return "", ErrNotFound
		}
	}
	name, err := q.q().PreviousRun(ctx, db.PreviousRunParams{Suite: *r.Suite, Branch: *r.Branch,
		MachineType: *r.MachineType, Posted: r.Posted, ID: r.ID})
	return name, interpret(err)
}

// CompareRuns returns each test of run this and run that (nil: no run) with its newest job in
// each, by description.
func (q *Q) CompareRuns(ctx context.Context, this int64, that *int64) ([]paddles.TestPair, error) {
	rows, err := q.q().CompareRuns(ctx, db.CompareRunsParams{ThisRun: this, ThatRun: that})
	if err != nil {
		return nil, interpret(err)
	}
	pairs := make([]paddles.TestPair, len(rows))
	for i, r := range rows {
		pairs[i] = paddles.TestPair{TestID: r.TestID.Bytes, Description: r.Description,
			This: testJob(r.ThisJobID, r.ThisStatus, r.ThisSignatureID, r.ThisTrackerUrl),
			That: testJob(r.ThatJobID, r.ThatStatus, r.ThatSignatureID, r.ThatTrackerUrl)}
	}
	return pairs, nil
}

// testJob is one side of a CompareRuns row: nil when the run has no job of the test.
func testJob(jobID, status *string, signature pgtype.UUID, trackerURL *string) *paddles.TestJob {
	if jobID == nil || status == nil {
		return nil
	}
	j := &paddles.TestJob{JobID: *jobID, Status: *status, TrackerURL: trackerURL}
	if signature.Valid {
		j.SignatureID = &signature.Bytes
	}
	return j
}

package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// TestSummary summarises a test's jobs matching a filter, off test_results alone.
func (q *Q) TestSummary(ctx context.Context, description string, f paddles.TestFilter) (paddles.TestSummary, error) {
	var s paddles.TestSummary
	row, err := q.q().TestHistorySummary(ctx, db.TestHistorySummaryParams{Description: description, Sha1: f.Sha1,
		Since: f.Since, Branch: f.Branch, Suite: f.Suite, MachineType: f.MachineType})
	if err != nil {
		return s, interpret(err)
	}
	s.Counts = map[string]int64{
		paddles.StatusPass: row.Pass, paddles.StatusFail: row.Fail, paddles.StatusDead: row.Dead,
		paddles.StatusRunning: row.Running, paddles.StatusWaiting: row.Waiting, paddles.StatusQueued: row.Queued,
		paddles.StatusUnknown: row.Unknown,
	}
	s.Total, s.FlakySha1s = row.Total, row.FlakySha1s
	if row.Total == 0 {
		return s, nil
	}
	s.FirstSeen, s.LastSeen = &row.FirstSeen, &row.LastSeen
	latest, err := q.q().TestHistoryLatest(ctx, db.TestHistoryLatestParams{Description: description, Sha1: f.Sha1,
		Since: f.Since, Branch: f.Branch, Suite: f.Suite, MachineType: f.MachineType})
	for _, l := range latest {
		ref := &paddles.TestJobRef{Run: l.RunName, JobID: l.JobID, Sha1: l.Sha1, Posted: l.Posted}
		if l.Kind == paddles.StatusPass {
			s.LastPass = ref
		} else {
			s.LastFail = ref
		}
	}
	return s, interpret(err)
}

// TestResult is a job of a test's history as test_results has it: the job's row id, and its
// failure signature with the tracker issue that signature is linked to.
type TestResult struct {
	ID          int64
	SignatureID *[16]byte
	TrackerURL  *string
}

// TestHistoryPage returns a page of a test's jobs matching a filter, newest first.
func (q *Q) TestHistoryPage(ctx context.Context, description string, f paddles.TestFilter, limit, offset int64) ([]TestResult, error) {
	rows, err := q.q().TestHistoryPage(ctx, db.TestHistoryPageParams{Description: description, Sha1: f.Sha1,
		Since: f.Since, Branch: f.Branch, Suite: f.Suite, MachineType: f.MachineType, Max: limit, Skip: offset})
	results := make([]TestResult, len(rows))
	for i, r := range rows {
		results[i] = TestResult{ID: r.ID, SignatureID: uuidOf(r.SignatureID), TrackerURL: r.TrackerUrl}
	}
	return results, interpret(err)
}

func uuidOf(u pgtype.UUID) *[16]byte {
	if !u.Valid {
		return nil
	}
	return &u.Bytes
}

// FlakyTests returns a page of the tests that passed and failed on one sha1 (and run branch, suite
// and machine type) whose newest result was posted since (f.Sha1 does not apply), most flaky
// first, and how many there are; each with its newest pass and failure.
func (q *Q) FlakyTests(ctx context.Context, since time.Time, f paddles.TestFilter, limit, offset int64) ([]paddles.FlakyTest, int64, error) {
	rows, err := q.q().FlakyTests(ctx, db.FlakyTestsParams{Since: since, Branch: f.Branch, Suite: f.Suite,
		MachineType: f.MachineType, Max: limit, Skip: offset})
	if err != nil {
		return nil, 0, interpret(err)
	}
	if len(rows) == 0 {
		// Past the last page (or an empty page): the page's query gave no total.
		total, err := q.q().CountFlakyTests(ctx, db.CountFlakyTestsParams{Since: since, Branch: f.Branch,
			Suite: f.Suite, MachineType: f.MachineType})
		return []paddles.FlakyTest{}, total, interpret(err)
	}
	tests := make([]paddles.FlakyTest, len(rows))
	ids := make([]pgtype.UUID, len(rows))
	at := make(map[[16]byte]*paddles.FlakyTest, len(rows))
	for i, r := range rows {
		tests[i] = paddles.FlakyTest{TestID: r.TestID.Bytes, Description: r.Description, Pass: r.Pass, Fail: r.Fail,
			FlakySha1s: r.FlakySha1s, FlakeRate: r.FlakeRate}
		ids[i] = r.TestID
		at[r.TestID.Bytes] = &tests[i]
	}
	latest, err := q.q().FlakyTestsLatest(ctx, db.FlakyTestsLatestParams{TestIds: ids, Branch: f.Branch,
		Suite: f.Suite, MachineType: f.MachineType})
	for _, l := range latest {
		ref := paddles.TestJobRef{Run: l.RunName, JobID: l.JobID, Sha1: l.Sha1, Posted: l.Posted}
		if l.Kind == paddles.StatusPass {
			at[l.TestID.Bytes].LastPass = ref
		} else {
			at[l.TestID.Bytes].LastFail = ref
		}
	}
	return tests, rows[0].Total, interpret(err)
}

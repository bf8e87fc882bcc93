package paddles

import "time"

// A test is a job description: teuthology gives the same test configuration the same description
// in every run of its suite.

// TestFilter narrows a test's jobs (GET /tests/history/) or a window's (GET /tests/flaky/); nil
// fields do not filter. Branch, Suite and MachineType are the run's; Sha1 is the job's, whole.
type TestFilter struct {
	Branch, Suite, MachineType, Sha1 *string
	// Since keeps the jobs posted at or after it.
	Since *time.Time
}

// TestJobRef names one job of a test: its run, id, sha1 and when it was posted.
type TestJobRef struct {
	Run, JobID string
	Sha1       *string
	Posted     time.Time
}

// TestSummary is what all of a test's jobs matching a filter say.
type TestSummary struct {
	Counts              map[string]int64 // every status, zeros included
	Total               int64
	FirstSeen, LastSeen *time.Time // nil when no job matches
	LastPass, LastFail  *TestJobRef
	// FlakySha1s are the sha1s with both a passed and a failed or dead job, newest first, at most
	// MaxFlakySha1s.
	FlakySha1s []string
}

// MaxFlakySha1s bounds a summary's flaky sha1s.
const MaxFlakySha1s = 100

// FlakyTest is a test that passed and failed (or died) on the same sha1 in a window.
type FlakyTest struct {
	TestID      [16]byte // md5 of the description
	Description string
	// Pass and Fail count its passed and its failed or dead jobs in the window, on any sha1.
	Pass, Fail int64
	// FlakySha1s is how many sha1s have both; FlakeRate is, over the jobs on those sha1s, the
	// failed and dead ones over all the finished ones.
	FlakySha1s         int64
	FlakeRate          float64
	LastPass, LastFail TestJobRef
}

// ParseSince reads the since parameter: a day (its midnight, UTC) or a date-time, with a space or
// a T, naive (UTC) or with a zone.
func ParseSince(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, Errorf(Invalid, "since must be a day (YYYY-MM-DD) or a date-time (YYYY-MM-DD HH:MM:SS, optional fraction and zone): %q", s)
}

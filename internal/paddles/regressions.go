package paddles

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
)

// A run's regressions: the run compared with another, test by test (issue 15). A test is a job
// description; a run's result for a test is its newest job with that description.

// TestJob is a test's newest job in one run.
type TestJob struct {
	JobID, Status string
	SignatureID   *[16]byte // the failure signature of a failed or dead job with a reason
	TrackerURL    *string   // the tracker issue that signature is linked to
}

// TestPair is a test and its newest job in each of two runs; This or That is nil when that run
// has no job of the test.
type TestPair struct {
	TestID      [16]byte
	Description string
	This, That  *TestJob
}

// Regressions sorts the tests of two runs into the lists of the contract (getRunRegressions);
// the tests passed in both, and those without a verdict on either side, are only counted.
type Regressions struct {
	NewFailures, Fixed, StillFailing, NewTests, MissingTests []TestPair
	StillPassing, NotCompared                                int
}

// verdict is what a status says of a test: passed, failed, or nothing yet (queued, running,
// waiting, and unknown, which teuthology reports when it could not tell).
type verdict int

const (
	noVerdict verdict = iota
	passed
	failed
)

func verdictOf(status string) verdict {
	switch status {
	case StatusPass:
		return passed
	case StatusFail, StatusDead:
		return failed
	}
	return noVerdict
}

// CompareTests sorts pairs into their lists, each ordered by description (byte order).
func CompareTests(pairs []TestPair) Regressions {
	slices.SortFunc(pairs, func(a, b TestPair) int {
		return cmp.Or(strings.Compare(a.Description, b.Description), bytes.Compare(a.TestID[:], b.TestID[:]))
	})
	var r Regressions
	for _, p := range pairs {
		switch {
		case p.That == nil:
			r.NewTests = append(r.NewTests, p)
		case p.This == nil:
			r.MissingTests = append(r.MissingTests, p)
		default:
			switch this, that := verdictOf(p.This.Status), verdictOf(p.That.Status); {
			case this == noVerdict || that == noVerdict:
				r.NotCompared++
			case this == failed && that == passed:
				r.NewFailures = append(r.NewFailures, p)
			case this == passed && that == failed:
				r.Fixed = append(r.Fixed, p)
			case this == failed:
				r.StillFailing = append(r.StillFailing, p)
			default:
				r.StillPassing++
			}
		}
	}
	return r
}

package paddles

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Failure is a failure signature (migration 00010's failure_signature of a failed or dead job's
// reason) with its tracker link and its counts over a window.
type Failure struct {
	ID         string // the md5 of Signature as a UUID, lower case
	Signature  string
	Example    string // the first failure_reason seen with it
	TrackerURL *string
	Note       *string
	Updated    *time.Time // when TrackerURL or Note last changed
	// Jobs, Runs and Tests count the window's jobs with the signature, the runs and the distinct
	// tests (descriptions) they belong to; LastSeen is the newest of them.
	Jobs, Runs, Tests int64
	LastSeen          *time.Time
	FirstSeen         *time.Time // all time
	// HitTests are the tests hit in the window, most hit first: FailureTopTests of them in a
	// listing, FailureHitTests for one signature.
	HitTests []FailureTest
}

// FailureTest is a test a signature hit in a window.
type FailureTest struct {
	Description string
	Jobs        int64
	LastSeen    time.Time
}

// FailureJob is a job with a failure signature, with its run's values.
type FailureJob struct {
	ID                         int64
	RunName, JobID, Status     string
	Description, Sha1          *string
	Branch, Suite, MachineType *string
	Posted                     time.Time
	FailureReason              string
}

// FailureFilter narrows failures to the jobs of some runs; nil fields match any run.
type FailureFilter struct {
	Branch, Suite, MachineType *string
}

// The bounds of the failure answers.
const (
	FailureDefaultDays = 14
	FailureMaxDays     = 90
	FailureTopTests    = 5   // top_tests of a signature
	FailureHitTests    = 100 // hit_tests of one signature
	FailureMaxCount    = 500 // page size
	FailureLinkMax     = 2000
)

var signatureID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ParseSignatureID checks a signature id from a path and returns it in lower case.
func ParseSignatureID(s string) (string, error) {
	if !signatureID.MatchString(s) {
		return "", Errorf(Invalid, "invalid failure signature id %q: want a UUID such as 0d9de8f5-3c0e-6ef3-4a2b-d64c0bb1f1a4", s)
	}
	return strings.ToLower(s), nil
}

// FailureDays checks a since_days parameter; nil is the default window.
func FailureDays(days *int) (int, error) {
	if days == nil {
		return FailureDefaultDays, nil
	}
	if *days < 1 || *days > FailureMaxDays {
		return 0, Errorf(Invalid, "since_days must be an integer from 1 to %d", FailureMaxDays)
	}
	return *days, nil
}

// FailureLink is a PUT /failures/{id}/ body: the keys it sets, a nil value clearing one.
type FailureLink struct {
	SetTrackerURL, SetNote bool
	TrackerURL, Note       *string
}

// ParseFailureLink reads a failure link body: tracker_url an absolute http(s) URL, note at most
// FailureLinkMax characters; null or "" clears either; no other key.
func ParseFailureLink(body []byte) (FailureLink, error) {
	var keys map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&keys); err != nil || keys == nil {
		return FailureLink{}, Errorf(Invalid, "could not decode JSON body: want an object with tracker_url and note")
	}
	var l FailureLink
	for k, raw := range keys {
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			return FailureLink{}, Errorf(Invalid, "%s must be a string or null", k)
		}
		if v != nil && *v == "" {
			v = nil
		}
		if v != nil && (utf8.RuneCountInString(*v) > FailureLinkMax || strings.IndexByte(*v, 0) >= 0) {
			return FailureLink{}, Errorf(Invalid, "%s must be at most %d characters, without NUL", k, FailureLinkMax)
		}
		switch k {
		case "tracker_url":
			if v != nil && !webURL(*v) {
				return FailureLink{}, Errorf(Invalid, "tracker_url must be an absolute http or https URL, such as https://tracker.ceph.com/issues/12345: %q", *v)
			}
			l.SetTrackerURL, l.TrackerURL = true, v
		case "note":
			l.SetNote, l.Note = true, v
		default:
			return FailureLink{}, Errorf(Invalid, "unknown key %q: a failure link takes tracker_url and note", k)
		}
	}
	return l, nil
}

// webURL reports whether s is an absolute http or https URL with a host, as written (no spaces
// or control characters to be escaped).
func webURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

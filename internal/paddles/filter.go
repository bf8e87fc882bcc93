package paddles

import (
	"slices"
	"strings"
	"time"
)

// RunFilter selects runs; nil fields do not filter. Runs are scheduled in [From, Before).
type RunFilter struct {
	Branch, Suite, MachineType, Status, User *string
	// Sha1Prefix matches runs with a job whose sha1 starts with it.
	Sha1Prefix *string
	// Flavor matches runs with a job of that flavor.
	Flavor *string
	// Tags matches runs carrying every one of them.
	Tags         []string
	From, Before *time.Time
	// UpdatedSince matches runs updated at or after it (GET /runs/?updated_since=).
	UpdatedSince *time.Time
	// Never is set when the conditions contradict each other (branch/a/branch/b): nothing matches.
	Never bool
}

// RunQuery is a parsed run filter path: the filter, and the key whose distinct values are asked
// for ("" when the runs themselves are).
type RunQuery struct {
	Filter RunFilter
	Values string
	// Range is set when the path holds a date range, which upstream did not paginate.
	Range bool
}

// runFilterKeys maps the names of filter path segments to the run key they filter on. Upstream
// spells flavor "flavors" at the top level and "flavor" when nested; both work everywhere here.
var runFilterKeys = map[string]string{
	"branch": "branch", "suite": "suite", "machine_type": "machine_type", "status": "status",
	"user": "user", "sha1": "sha1", "flavor": "flavor", "flavors": "flavor", "date": "date", "tag": "tag",
}

// IsZero reports whether the filter selects every run.
func (f *RunFilter) IsZero() bool {
	return f.Branch == nil && f.Suite == nil && f.MachineType == nil && f.Status == nil && f.User == nil &&
		f.Sha1Prefix == nil && f.Flavor == nil && f.Tags == nil && f.From == nil && f.Before == nil && f.UpdatedSince == nil && !f.Never
}

// IsRunFilter reports whether name is the name of a run filter.
func IsRunFilter(name string) bool {
	_, ok := runFilterKeys[name]
	return ok
}

// ParseRunQuery reads the segments of a filter path after /runs/, e.g.
// ["branch", "main", "suite", "rados"] (runs) or ["branch", "main", "suite"] (the suites of the
// main branch's runs). Filters nest to any depth in any order, and date takes a day
// (YYYY-MM-DD, today or yesterday) or a range: date/from/{day}/to/{day}. today is the current UTC
// date.
func ParseRunQuery(segments []string, today time.Time) (RunQuery, error) {
	var q RunQuery
	for i := 0; i < len(segments); {
		key, ok := runFilterKeys[segments[i]]
		if !ok {
			return RunQuery{}, Errorf(NotFound, "unknown run filter %q: filters are branch, suite, machine_type, status, user, sha1, flavor, date, tag", segments[i])
		}
		if i+1 == len(segments) {
			q.Values = key
			return q, nil
		}
		value := segments[i+1]
		i += 2
		if key == "date" && value == "from" {
			if i+3 > len(segments) || segments[i+1] != "to" {
				return RunQuery{}, Errorf(Invalid, "a date range reads date/from/{YYYY-MM-DD}/to/{YYYY-MM-DD}/")
			}
			from, err := ParseDay(segments[i], today)
			if err != nil {
				return RunQuery{}, err
			}
			to, err := ParseDay(segments[i+2], today)
			if err != nil {
				return RunQuery{}, err
			}
			q.Filter.During(from, to.AddDate(0, 0, 1))
			q.Range = true
			i += 3
			continue
		}
		if err := q.Filter.add(key, value, today); err != nil {
			return RunQuery{}, err
		}
	}
	return q, nil
}

func (f *RunFilter) add(key, value string, today time.Time) error {
	switch key {
	case "date":
		day, err := ParseDay(value, today)
		if err != nil {
			return err
		}
		f.During(day, day.AddDate(0, 0, 1))
	case "tag":
		// Unlike the other keys, tags add up: tag/a/tag/b/ holds the runs carrying both.
		if !slices.Contains(f.Tags, value) {
			f.Tags = append(f.Tags, value)
		}
	case "sha1":
		switch {
		case f.Sha1Prefix == nil || strings.HasPrefix(value, *f.Sha1Prefix):
			f.Sha1Prefix = &value
		case !strings.HasPrefix(*f.Sha1Prefix, value):
			f.Never = true
		}
	default:
		p := map[string]**string{"branch": &f.Branch, "suite": &f.Suite, "machine_type": &f.MachineType,
			"status": &f.Status, "user": &f.User, "flavor": &f.Flavor}[key]
		if *p != nil && **p != value {
			f.Never = true
		}
		*p = &value
	}
	return nil
}

// During narrows the filter to runs scheduled in [from, before).
func (f *RunFilter) During(from, before time.Time) {
	if f.From == nil || from.After(*f.From) {
		f.From = &from
	}
	if f.Before == nil || before.Before(*f.Before) {
		f.Before = &before
	}
}

// Since narrows the filter to runs scheduled on day or later (upstream excluded runs scheduled at
// exactly midnight).
func (f *RunFilter) Since(day time.Time) {
	if f.From == nil || day.After(*f.From) {
		f.From = &day
	}
}

// Until narrows the filter to runs scheduled on day or earlier.
func (f *RunFilter) Until(day time.Time) {
	before := day.AddDate(0, 0, 1)
	if f.Before == nil || before.Before(*f.Before) {
		f.Before = &before
	}
}

// ParseDay reads a day as the API takes it: YYYY-MM-DD, "today" or "yesterday" (UTC), and returns
// its first instant.
func ParseDay(s string, today time.Time) (time.Time, error) {
	today = today.UTC()
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	switch s {
	case "today":
		return midnight, nil
	case "yesterday":
		return midnight.AddDate(0, 0, -1), nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, Errorf(Invalid, "date format must match %%Y-%%m-%%d (or be today or yesterday): %q", s)
	}
	return d, nil
}

// JobSearch selects jobs across runs (GET /jobs/); nil fields do not filter.
type JobSearch struct {
	// Description matches jobs whose description contains it.
	Description *string
	// Statuses matches jobs with one of them (none: any status).
	Statuses           []string
	Sha1, Branch, User *string
	// Jobs posted after PostedAfter and before PostedBefore.
	PostedAfter, PostedBefore *time.Time
	// UpdatedSince matches jobs updated at or after it.
	UpdatedSince *time.Time
}

// ParseUpdatedSince reads the updated_since parameter of the incremental reads: a time as the API
// prints timestamps, naive UTC "YYYY-MM-DD HH:MM:SS[.ffffff]" (or with a "T"), or RFC 3339 with
// its zone ("2026-01-15T10:20:30.5Z", "2026-01-15T12:20:30+02:00"). A zone's "+" sent unescaped in
// a query string reads as a space, which is taken back as the "+" it was. Timestamps are stored to
// the microsecond: a finer time is rounded up, so that "at or after" keeps its meaning.
func ParseUpdatedSince(s string) (time.Time, error) {
	v := s
	if n := len(v); n > 19 && v[10] == 'T' && v[n-6] == ' ' && v[n-3] == ':' {
		v = v[:n-6] + "+" + v[n-5:]
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			t = t.UTC()
			if r := t.Truncate(time.Microsecond); !r.Equal(t) {
				t = r.Add(time.Microsecond)
			}
			return t, nil
		}
	}
	return time.Time{}, Errorf(Invalid, "updated_since must be a time as the API prints them, YYYY-MM-DD HH:MM:SS[.ffffff] (UTC), "+
		"or RFC 3339 with a zone, e.g. 2026-01-15T10:20:30.5Z: %q", s)
}

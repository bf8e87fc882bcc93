package paddles

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Run is a test run and what its jobs add up to.
type Run struct {
	Name        string
	User        string
	Status      string
	Results     Results
	Posted      time.Time
	Scheduled   time.Time
	Started     *time.Time
	Updated     *time.Time
	Branch      *string
	Suite       *string
	MachineType *string
	// Priority is the priority of the run's first job (by job_id).
	Priority *int64
	// Tags label the run (upstream's ceph/paddles#140), in the order they were given.
	Tags []string
}

// Results counts a run's jobs by status. Sha1 and Flavor are those of the run's first job (by
// job_id); upstream writes "none" for both when the run has no jobs.
type Results struct {
	Queued, Pass, Running, Waiting, Fail, Dead, Unknown int64
	Sha1, Flavor                                        *string
}

// Total is the number of jobs.
func (r Results) Total() int64 {
	return r.Queued + r.Pass + r.Running + r.Waiting + r.Fail + r.Dead + r.Unknown
}

func (r Results) firstJobValue(v *string) *string {
	if r.Total() == 0 {
		none := "none"
		return &none
	}
	return v
}

// ValidateRunName checks a run name taken from a request. Names end up in URL paths, so a "/"
// would make the run unreachable.
func ValidateRunName(name string) error {
	switch {
	case name == "":
		return Errorf(Invalid, "could not find required key: 'name'")
	case strings.ContainsRune(name, '/'):
		return Errorf(Invalid, "invalid run name %q: it may not contain '/'", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Errorf(Invalid, "invalid run name %q: it may not contain control characters", name)
	case len(name) > 512:
		return Errorf(Invalid, "invalid run name: longer than 512 bytes")
	}
	return nil
}

// RunCreate is the body of a run creation.
type RunCreate struct {
	Name string
	Tags []string
}

// ParseRunBody reads the body of a run creation: an object with a string "name" and, optionally,
// "tags"; other keys are ignored.
func ParseRunBody(body []byte) (RunCreate, error) {
	obj, err := parseObject(body)
	if err != nil {
		return RunCreate{}, err
	}
	raw, ok := obj["name"]
	if !ok || string(raw) == "null" {
		return RunCreate{}, Errorf(Invalid, "could not find required key: 'name'")
	}
	name, msg := decodeText(raw)
	if msg != "" || raw[0] != '"' {
		return RunCreate{}, Errorf(Invalid, "invalid value for 'name': must be a string")
	}
	if err := ValidateRunName(*name); err != nil {
		return RunCreate{}, err
	}
	tags, err := parseTags(obj["tags"])
	return RunCreate{Name: *name, Tags: tags}, err
}

// ParseRunUpdate reads the body of a run update (PUT /runs/{name}/): an object with "tags", the
// run's new tags; other keys are ignored.
func ParseRunUpdate(body []byte) ([]string, error) {
	obj, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	raw, ok := obj["tags"]
	if !ok {
		return nil, Errorf(Invalid, "could not find required key: 'tags'")
	}
	return parseTags(raw)
}

// Bounds of a run's tags: labels to filter on, not a place to store data.
const (
	MaxTags   = 50
	MaxTagLen = 100
)

// parseTags reads a run's tags: an array of strings (null or absent: none), duplicates dropped,
// in the order given. A tag is what a path segment and a comma-separated filter can name.
func parseTags(raw json.RawMessage) ([]string, error) {
	tags := []string{}
	if raw == nil || string(raw) == "null" {
		return tags, nil
	}
	var sent []*string
	if err := json.Unmarshal(raw, &sent); err != nil {
		return nil, Errorf(Invalid, "invalid value for 'tags': must be an array of strings")
	}
	for _, t := range sent {
		if t == nil {
			return nil, Errorf(Invalid, "invalid value for 'tags': must be an array of strings")
		}
		if err := ValidateTag(*t); err != nil {
			return nil, err
		}
		if !slices.Contains(tags, *t) {
			tags = append(tags, *t)
		}
	}
	if len(tags) > MaxTags {
		return nil, Errorf(Invalid, "invalid value for 'tags': more than %d tags", MaxTags)
	}
	return tags, nil
}

// ValidateTag says why t cannot be a tag: what a path segment and a comma-separated filter can
// name.
func ValidateTag(t string) error {
	switch {
	case t == "":
		return Errorf(Invalid, "invalid tag \"\": a tag may not be empty")
	case strings.ContainsAny(t, ",/"):
		return Errorf(Invalid, "invalid tag %q: it may not contain ',' or '/'", t)
	case strings.IndexFunc(t, unicode.IsControl) >= 0:
		return Errorf(Invalid, "invalid tag %q: it may not contain control characters", t)
	case len(t) > MaxTagLen:
		return Errorf(Invalid, "invalid tag %q: longer than %d bytes", t, MaxTagLen)
	}
	return nil
}

// runKeys lists the keys of the run object in upstream's order.
var runKeys = []string{"name", "href", "user", "status", "results", "jobs_count", "posted", "scheduled",
	"started", "updated", "branch", "suite", "machine_type", "sha1", "priority", "flavor", "tags"}

// RunFields is a parsed fields= projection of runs: nil means every key.
type RunFields map[string]bool

// ParseRunFields reads a comma-separated list of run keys.
func ParseRunFields(list string) (RunFields, error) {
	names := splitFields(list)
	if names == nil {
		return nil, nil
	}
	sel := make(RunFields, len(names))
	for _, n := range names {
		if !contains(runKeys, n) {
			return nil, Errorf(Invalid, "an invalid field was specified: %s", n)
		}
		sel[n] = true
	}
	return sel, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// AppendRun writes r as a JSON object with the keys of sel (all when nil), in upstream's order,
// leaving the object open when open is true so that the caller can add "jobs". href is the run's
// absolute URL.
func AppendRun(b []byte, r *Run, sel RunFields, href string, open bool) []byte {
	b = append(b, '{')
	n := 0
	for _, k := range runKeys {
		if sel != nil && !sel[k] {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendString(b, k)
		b = append(b, ':')
		switch k {
		case "name":
			b = appendString(b, r.Name)
		case "href":
			b = appendString(b, href)
		case "user":
			b = appendString(b, r.User)
		case "status":
			b = appendString(b, r.Status)
		case "results":
			b = appendResults(b, r.Results)
		case "jobs_count":
			total := r.Results.Total()
			b = appendInt(b, &total)
		case "posted":
			b = appendTime(b, &r.Posted)
		case "scheduled":
			b = appendTime(b, &r.Scheduled)
		case "started":
			b = appendTime(b, r.Started)
		case "updated":
			b = appendTime(b, r.Updated)
		case "branch":
			b = appendText(b, r.Branch)
		case "suite":
			b = appendText(b, r.Suite)
		case "machine_type":
			b = appendText(b, r.MachineType)
		case "sha1":
			b = appendText(b, r.Results.firstJobValue(r.Results.Sha1))
		case "priority":
			b = appendInt(b, r.Priority)
		case "flavor":
			b = appendText(b, r.Results.firstJobValue(r.Results.Flavor))
		case "tags":
			b = append(b, '[')
			for i, t := range r.Tags {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, t)
			}
			b = append(b, ']')
		}
	}
	if open {
		return b
	}
	return append(b, '}')
}

func appendResults(b []byte, r Results) []byte {
	counts := []struct {
		key string
		n   int64
	}{{"queued", r.Queued}, {"pass", r.Pass}, {"running", r.Running}, {"waiting", r.Waiting},
		{"fail", r.Fail}, {"dead", r.Dead}, {"unknown", r.Unknown}, {"total", r.Total()}}
	b = append(b, '{')
	for _, c := range counts {
		b = appendString(b, c.key)
		b = append(b, ':')
		b = appendInt(b, &c.n)
		b = append(b, ',')
	}
	b = append(b, `"sha1":`...)
	b = appendText(b, r.firstJobValue(r.Sha1))
	b = append(b, `,"flavor":`...)
	b = appendText(b, r.firstJobValue(r.Flavor))
	return append(b, '}')
}

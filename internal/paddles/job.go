package paddles

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Job statuses, as teuthology reports them.
const (
	StatusPass    = "pass"
	StatusFail    = "fail"
	StatusQueued  = "queued"
	StatusRunning = "running"
	StatusDead    = "dead"
	StatusUnknown = "unknown"
	StatusWaiting = "waiting"
)

// JobStatuses lists every valid job status.
var JobStatuses = []string{StatusPass, StatusFail, StatusQueued, StatusRunning, StatusDead, StatusUnknown, StatusWaiting}

// RunJobFilter narrows the jobs of a run: to those with one of Statuses (none: any status), and
// whose description and failure reason contain the texts given.
type RunJobFilter struct {
	Statuses                                   []string
	DescriptionContains, FailureReasonContains *string
	// UpdatedSince matches jobs updated at or after it.
	UpdatedSince *time.Time
}

// ParseStatuses reads a comma-separated list of job statuses; "" is none.
func ParseStatuses(list string) ([]string, error) {
	if list == "" {
		return nil, nil
	}
	statuses := strings.Split(list, ",")
	for _, s := range statuses {
		if !ValidJobStatus(s) {
			return nil, Errorf(Invalid, "invalid status %q", s)
		}
	}
	return statuses, nil
}

// ValidJobStatus reports whether s is a job status.
func ValidJobStatus(s string) bool {
	for _, v := range JobStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// jobField is one key of the job object: how a request value is read into a Job, copied from a
// patch, and written on the wire. jobFields (job_keys.gen.go, generated from the spec's Job schema)
// holds one per key, in upstream's output order.
type jobField struct {
	name   string
	input  bool // settable from a request body
	decode func(j *Job, raw json.RawMessage) string
	copy   func(dst, src *Job)
	encode func(b []byte, j *Job, logHref func(*Job) string) []byte
}

// field builds a jobField for a value of type T reached through at; dec is nil for the keys the
// server sets.
func field[T any](name string, at func(*Job) *T, dec func(json.RawMessage) (T, string), enc func([]byte, T) []byte) jobField {
	return jobField{
		name:  name,
		input: dec != nil,
		decode: func(j *Job, raw json.RawMessage) string {
			v, msg := dec(raw)
			if msg == "" {
				*at(j) = v
			}
			return msg
		},
		copy:   func(dst, src *Job) { *at(dst) = *at(src) },
		encode: func(b []byte, j *Job, _ func(*Job) string) []byte { return enc(b, *at(j)) },
	}
}

// computedField is a key that is written but not stored: log_href, from the server's template.
func computedField(name string) jobField {
	return jobField{name: name, encode: func(b []byte, j *Job, logHref func(*Job) string) []byte {
		return appendString(b, logHref(j))
	}}
}

func decodeStatus(raw json.RawMessage) (string, string) {
	var s string
	if json.Unmarshal(raw, &s) != nil || !ValidJobStatus(s) {
		return "", "must be one of " + strings.Join(JobStatuses, ", ")
	}
	return s, ""
}

// decodeJobID reads a job id; null and "" read as no id, which ParseJobPatch drops.
func decodeJobID(raw json.RawMessage) (string, string) {
	s, msg := decodeID(raw)
	if s == nil {
		return "", msg
	}
	if err := ValidateJobID(*s); err != nil {
		return "", "may not contain '/' or control characters"
	}
	return *s, ""
}

// ValidateJobID checks a job id: ids end up in URL paths, like run names.
func ValidateJobID(id string) error {
	if strings.ContainsRune(id, '/') || strings.IndexFunc(id, unicode.IsControl) >= 0 {
		return Errorf(Invalid, "invalid job_id %q: it may not contain '/' or control characters", id)
	}
	return nil
}

func decodeUpdated(raw json.RawMessage) (time.Time, string) {
	t, msg := decodeTime(raw)
	if t == nil {
		return time.Time{}, msg
	}
	return *t, ""
}

func appendWireTime(b []byte, t time.Time) []byte { return appendTime(b, &t) }

var jobFieldIndex = func() map[string]int {
	m := make(map[string]int, len(jobFields))
	for i, f := range jobFields {
		m[f.name] = i
	}
	return m
}()

// NormalizeKey maps a request key to the job schema's spelling: teuthology sends
// "nuke-on-error" and "mon.a_kernel_sha1" for nuke_on_error and mon_a_kernel_sha1.
func NormalizeKey(k string) string {
	if !strings.ContainsAny(k, "-.") {
		return k
	}
	return keySeparators.Replace(k)
}

var keySeparators = strings.NewReplacer("-", "_", ".", "_")

// JobPatch is a job request body, read and type-checked: the job keys it sets, and their values.
// Keys outside the job schema have been dropped.
type JobPatch struct {
	values Job
	set    map[string]bool
	empty  bool // the body was {}
}

// Has reports whether the body set the key.
func (p *JobPatch) Has(key string) bool { return p.set[key] }

// Empty reports whether the body was an empty object.
func (p *JobPatch) Empty() bool { return p.empty }

// JobID returns the body's job_id, if it had one.
func (p *JobPatch) JobID() (string, bool) { return p.values.JobID, p.set["job_id"] }

// Updated returns the time a write of the body at now gives the job: the body's updated if it
// has one, else now.
func (p *JobPatch) Updated(now time.Time) time.Time {
	if p.set["updated"] {
		return p.values.Updated
	}
	return now
}

// RunFields returns the suite, branch and machine type the body reported (nil when absent or
// null): a run follows its jobs' values.
func (p *JobPatch) RunFields() (suite, branch, machineType *string) {
	return p.values.Suite, p.values.Branch, p.values.MachineType
}

// ParseJobPatch reads a job body. It fails with an Invalid error, naming the key, when the body is
// not a JSON object or a value cannot be coerced to its key's type.
func ParseJobPatch(body []byte) (JobPatch, error) {
	obj, err := parseObject(body)
	if err != nil {
		return JobPatch{}, err
	}
	p := JobPatch{set: make(map[string]bool, len(obj)), empty: len(obj) == 0}
	for _, k := range normalizedKeys(obj) {
		i, ok := jobFieldIndex[k.normal]
		if !ok || !jobFields[i].input || p.set[k.normal] {
			continue
		}
		if msg := jobFields[i].decode(&p.values, obj[k.raw]); msg != "" {
			return JobPatch{}, Errorf(Invalid, "invalid value for '%s': %s", k.raw, msg)
		}
		p.set[k.normal] = true
	}
	if p.values.JobID == "" {
		delete(p.set, "job_id")
	}
	if p.values.Updated.IsZero() {
		delete(p.set, "updated")
	}
	return p, nil
}

type objectKey struct{ raw, normal string }

// normalizedKeys orders a body's keys so that, when two spell the same job key ("nuke-on-error"
// and "nuke_on_error"), the one already in canonical form wins, whatever the body's order.
func normalizedKeys(obj map[string]json.RawMessage) []objectKey {
	keys := make([]objectKey, 0, len(obj))
	for k := range obj {
		keys = append(keys, objectKey{raw: k, normal: NormalizeKey(k)})
	}
	sort.Slice(keys, func(a, b int) bool {
		ka, kb := keys[a], keys[b]
		if ka.normal != kb.normal {
			return ka.normal < kb.normal
		}
		if (ka.raw == ka.normal) != (kb.raw == kb.normal) {
			return ka.raw == ka.normal
		}
		return ka.raw < kb.raw
	})
	return keys
}

// parseObject decodes a request body that must be a JSON object.
func parseObject(body []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&obj); err != nil || obj == nil {
		return nil, Errorf(Invalid, "could not decode JSON body")
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, Errorf(Invalid, "could not decode JSON body")
	}
	return obj, nil
}

// Apply merges the patch into j, following upstream paddles' rules:
//   - status wins over success; success true/false/null gives pass/fail/unknown; a new job with
//     neither is unknown;
//   - once a job is pass or fail, a status key no longer changes it (success still does);
//   - priority changes only while the job is queued;
//   - started is set when a new or queued job starts running;
//   - updated is the body's value if it has one, else now; posted is set on creation.
//
// created says whether j is new. Apply returns the job's status before the patch ("" when new).
func (p *JobPatch) Apply(j *Job, created bool, now time.Time) (oldStatus string) {
	oldStatus = j.Status
	if created {
		oldStatus = ""
	}
	for _, f := range jobFields {
		switch f.name {
		case "status", "success", "priority", "updated", "job_id":
			continue
		}
		if f.input && p.set[f.name] {
			f.copy(j, &p.values)
		}
	}
	if p.set["priority"] && (created || oldStatus == StatusQueued) {
		j.Priority = p.values.Priority
	}
	switch {
	case p.set["status"]:
		if oldStatus != StatusPass && oldStatus != StatusFail {
			j.Status = p.values.Status
		}
		if p.set["success"] {
			j.Success = p.values.Success
		}
	case p.set["success"]:
		j.Success = p.values.Success
		switch {
		case j.Success == nil:
			j.Status = StatusUnknown
		case *j.Success:
			j.Status = StatusPass
		default:
			j.Status = StatusFail
		}
	case created:
		j.Status = StatusUnknown
	}
	if j.Status == StatusRunning && (oldStatus == "" || oldStatus == StatusQueued) {
		j.Started = &now
	}
	j.Updated = p.Updated(now)
	if created {
		j.Posted = now
	}
	return oldStatus
}

// JobFields is a parsed fields= projection of jobs: nil means every key.
type JobFields []int

// ParseJobFields reads a comma-separated list of job keys. job_id is always included, since
// clients match listed jobs by it.
func ParseJobFields(list string) (JobFields, error) {
	names := splitFields(list)
	if names == nil {
		return nil, nil
	}
	seen := map[int]bool{jobFieldIndex["job_id"]: true}
	for _, n := range names {
		i, ok := jobFieldIndex[n]
		if !ok {
			return nil, Errorf(Invalid, "an invalid field was specified: %s", n)
		}
		seen[i] = true
	}
	sel := make(JobFields, 0, len(seen))
	for i := range seen {
		sel = append(sel, i)
	}
	sort.Ints(sel)
	return sel, nil
}

func splitFields(list string) []string {
	var names []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// EncodedSize is about the size of AppendJob's output for j with every key, so that a listing
// can size its buffer once instead of growing it job by job.
func EncodedSize(j *Job) int {
	n := 1024 + len(j.Kernel) + len(j.Overrides) + len(j.Roles) + len(j.Targets) + len(j.Tasks)
	for _, s := range [...]*string{j.Description, j.FailureReason, j.ArchivePath, j.Name, j.SuitePath} {
		if s != nil {
			n += len(*s)
		}
	}
	return n
}

// AppendJob writes j as a JSON object with the keys of sel (all when nil), in upstream's order.
// logHref gives the URL of the job's log.
func AppendJob(b []byte, j *Job, sel JobFields, logHref func(*Job) string) []byte {
	b = append(b, '{')
	write := func(n int, f jobField) {
		if n > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.name)
		b = append(b, ':')
		b = f.encode(b, j, logHref)
	}
	if sel == nil {
		for n, f := range jobFields {
			write(n, f)
		}
	} else {
		for n, i := range sel {
			write(n, jobFields[i])
		}
	}
	return append(b, '}')
}

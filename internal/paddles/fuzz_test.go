package paddles

// Fuzz targets for everything that reads client input: job, run and node bodies, lock_many and
// unlock_many, key normalisation, run names and run filter paths. Each checks that nothing
// panics and, where a body is accepted, that what was sent reads back as sent (JSON-valued fields
// byte for byte modulo whitespace, coerced fields as the README documents), using an oracle written
// here from the documented rules rather than from the code under test.
//
// `go test` runs the seed corpus (the upstream transcripts' request bodies, teuthology's job body
// and the cases below); `make reliability-short` fuzzes each target for a few seconds and
// `make reliability` for longer (docs/reliability.md).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// seedBodies returns real request bodies: teuthology's job report and every POST and PUT body of
// the upstream server's transcripts (paddles-api.md Appendix B), whose paths contain want.
func seedBodies(tb testing.TB, want string) [][]byte {
	tb.Helper()
	job, err := os.ReadFile("../httpapi/testdata/teuthology-job.json")
	if err != nil {
		tb.Fatal(err)
	}
	bodies := [][]byte{job}
	f, err := os.Open("../httpapi/testdata/upstream-requests.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var r struct{ Method, Path, Body string }
		if err := json.Unmarshal(s.Bytes(), &r); err != nil {
			tb.Fatal(err)
		}
		if strings.Contains(r.Path, want) {
			bodies = append(bodies, []byte(r.Body))
		}
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	return bodies
}

// trickyValues are JSON values worth trying under every key.
var trickyValues = []string{
	`null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `1.5`, `2.5`, `-2.5`, `1e3`, `1E-3`, `1e400`, `-1e400`,
	`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`,
	`9.3e18`, `0.49999999999999994`, `""`, `" "`, `"x"`, `"42"`, `" 42 "`, `"4.5"`, `"0x10"`, `"1_0"`,
	`"inf"`, `"NaN"`, `"\u0000"`, `"a\u0000b"`, `"\ud800"`, `"\udc00x"`, `"\ud83d\ude00"`, `"é"`,
	`"\u2028"`, `"a/b"`, `"\n"`, `"'; DROP TABLE jobs; --"`, `"../../etc/passwd"`, `{}`, `[]`,
	`{"a": [1, 2.50, "x", null], "b": {"c": "\u0000"}}`, `[[[[]]]]`, `"2026-01-15_10:20:30"`,
	`"2026-01-15 10:20:30.123456"`, `"2026-01-15T10:20:30Z"`, `"2026-01-15 10:20:30.1234567"`,
	`"0000-01-01 00:00:00"`, `"0001-01-01 00:00:00"`, `"9999-12-31 23:59:59.999999"`, `"2026-02-30 00:00:00"`,
	`"pass"`, `"fail"`, `"queued"`, `"running"`, `"dead"`, `"unknown"`, `"waiting"`, `"PASS"`,
}

// The kinds of job keys, as the README documents their values.
type keyKind int

const (
	kindText   keyKind = iota // string; numbers and booleans keep their JSON spelling; no NUL
	kindBool                  // true, false or null
	kindInt                   // integer; floats rounded half to even; strings holding a number
	kindID                    // string or integer, stored as a string
	kindJSON                  // any JSON value, kept byte for byte minus insignificant whitespace
	kindStatus                // one of the job statuses
	kindTime                  // a teuthology timestamp, naive UTC
)

// upstreamKeyKinds lists the keys a job body may set in upstream paddles, and their kinds.
var upstreamKeyKinds = map[string]keyKind{
	"archive_path": kindText, "description": kindText, "duration": kindInt, "email": kindText,
	"failure_reason": kindText, "flavor": kindText, "job_id": kindID, "kernel": kindJSON,
	"last_in_suite": kindBool, "machine_type": kindText, "name": kindText, "nuke_on_error": kindBool,
	"os_type": kindText, "os_version": kindText, "overrides": kindJSON, "owner": kindText, "pid": kindID,
	"roles": kindJSON, "sentry_event": kindText, "status": kindStatus, "success": kindBool,
	"branch": kindText, "seed": kindInt, "sha1": kindText, "subset": kindText, "suite": kindText,
	"suite_branch": kindText, "suite_path": kindText, "suite_relpath": kindText, "suite_repo": kindText,
	"suite_sha1": kindText, "targets": kindJSON, "tasks": kindJSON, "timestamp": kindTime,
	"teuthology_branch": kindText, "verbose": kindBool, "pcp_grafana_url": kindText, "priority": kindInt,
	"user": kindText, "queue": kindText, "package_source": kindText, "mon_a_kernel_sha1": kindText,
	"mon_b_kernel_sha1": kindText, "updated": kindTime,
}

// jobKeyKinds lists the keys a job body may set: upstream's, and those the contract's Job schema
// adds, of the kind their schema type says.
var jobKeyKinds = func() map[string]keyKind {
	kinds := maps.Clone(upstreamKeyKinds)
	for _, k := range specJobKeys {
		if _, ok := kinds[k.name]; !ok && k.settable {
			kinds[k.name] = k.kind
		}
	}
	return kinds
}()

// The oracle's list of keys agrees with the job schema's.
func TestJobKeyKinds(t *testing.T) {
	for _, f := range jobFields {
		if _, ok := jobKeyKinds[f.name]; ok != f.input {
			t.Errorf("key %s: settable %v in the schema, %v in jobKeyKinds", f.name, f.input, ok)
		}
	}
}

// expected is what the oracle says a value reads back as: its wire form, or why it is refused.
type expected struct {
	wire    string // the value as the job object writes it
	invalid bool
}

// expectValue applies the documented rules for a key of kind k to the JSON value raw.
func expectValue(key string, k keyKind, raw json.RawMessage) expected {
	bad := expected{invalid: true}
	null := string(raw) == "null"
	quote := func(s string) expected {
		b, _ := json.Marshal(s)
		return expected{wire: string(b)}
	}
	str := func() (string, bool) {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err == nil && raw[0] == '"'
	}
	switch k {
	case kindText:
		switch {
		case null:
			return expected{wire: "null"}
		case raw[0] == '{' || raw[0] == '[':
			return bad
		case raw[0] != '"':
			return quote(string(raw))
		}
		s, _ := str()
		if strings.ContainsRune(s, 0) {
			return bad
		}
		return quote(s)
	case kindBool:
		if null || string(raw) == "true" || string(raw) == "false" {
			return expected{wire: string(raw)}
		}
		return bad
	case kindInt:
		if null {
			return expected{wire: "null"}
		}
		s := string(raw)
		if raw[0] == '"' {
			s, _ = str()
			s = strings.TrimSpace(s)
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return expected{wire: strconv.FormatInt(i, 10)}
		}
		// A decimal number, read as a float64 (as upstream's Python did) and rounded half to
		// even (as PostgreSQL casts float8 to bigint).
		if !decimalNumber.MatchString(s) {
			return bad
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return bad
		}
		f = math.RoundToEven(f)
		if f < -(1<<63) || f >= 1<<63 {
			return bad
		}
		return expected{wire: strconv.FormatInt(int64(f), 10)}
	case kindID:
		if null {
			return expected{wire: "null"}
		}
		if raw[0] != '"' {
			if _, err := strconv.ParseInt(string(raw), 10, 64); err != nil {
				return bad
			}
			return quote(string(raw))
		}
		s, _ := str()
		if strings.ContainsRune(s, 0) {
			return bad
		}
		if key == "job_id" && (strings.ContainsRune(s, '/') || strings.IndexFunc(s, unicode.IsControl) >= 0) {
			return bad
		}
		if key == "job_id" && s == "" {
			return expected{wire: "null"} // no job_id
		}
		return quote(s)
	case kindJSON:
		if null {
			return expected{wire: "null"}
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return bad
		}
		return expected{wire: b.String()}
	case kindStatus:
		s, ok := str()
		if !ok || !ValidJobStatus(s) {
			return bad
		}
		return quote(s)
	case kindTime:
		if null {
			return expected{wire: "null"}
		}
		s, ok := str()
		if !ok {
			return bad
		}
		tm, ok := oracleTime(s)
		if !ok {
			return bad
		}
		return quote(tm)
	}
	panic("unknown kind")
}

// oracleTime reads the timestamp forms the README documents (2026-01-15_10:20:30,
// 2026-01-15 10:20:30[.ffffff], with T for the separator and a Z suffix allowed, surrounding
// space ignored), truncates to microseconds, and writes the wire form.
func oracleTime(s string) (string, bool) {
	m := timestampForm.FindStringSubmatch(strings.TrimSuffix(strings.TrimSpace(s), "Z"))
	if m == nil {
		return "", false
	}
	n := make([]int, 6)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	tm := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], 0, time.UTC)
	if tm.Year() != n[0] || int(tm.Month()) != n[1] || tm.Day() != n[2] || tm.Hour() != n[3] || tm.Minute() != n[4] || tm.Second() != n[5] {
		return "", false // February 30th, hour 24, ...
	}
	frac := m[7]
	if len(frac) > 6 {
		frac = frac[:6]
	}
	if strings.Trim(frac, "0") == "" {
		return tm.Format("2006-01-02 15:04:05"), true
	}
	return tm.Format("2006-01-02 15:04:05") + "." + frac + strings.Repeat("0", 6-len(frac)), true
}

var (
	timestampForm = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})-([0-9]{2})[ _T]([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?$`)
	decimalNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
)

// winningValues returns, for every job key a body sets, the value that counts: when several keys
// normalise to the same one, the key already in canonical form wins, else the first in byte order.
func winningValues(obj map[string]json.RawMessage) map[string]json.RawMessage {
	raws := map[string]string{}
	for k := range obj {
		n := strings.NewReplacer("-", "_", ".", "_").Replace(k)
		if _, ok := jobKeyKinds[n]; !ok {
			continue
		}
		cur, seen := raws[n]
		switch {
		case !seen, k == n, cur != n && k < cur:
			raws[n] = k
		}
	}
	won := map[string]json.RawMessage{}
	for n, k := range raws {
		won[n] = obj[k]
	}
	return won
}

// baseJob is a job with every key set, as teuthology reports it, with the given status.
func baseJob(tb testing.TB, status string, now time.Time) Job {
	body, err := os.ReadFile("../httpapi/testdata/teuthology-job.json")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := ParseJobPatch(body)
	if err != nil {
		tb.Fatal(err)
	}
	j := Job{JobID: "7510032"}
	p.Apply(&j, true, now.Add(-time.Hour))
	j.Status, j.Success = status, ptr(status == StatusPass)
	j.Duration, j.Seed, j.Priority, j.Pid = ptr[int64](60), ptr[int64](7), ptr[int64](1000), ptr("4242")
	j.Timestamp, j.Started = ptr(now.Add(-2*time.Hour)), ptr(now.Add(-90*time.Minute))
	j.Verbose, j.LastInSuite = ptr(true), ptr(false)
	return j
}

func wireFields(tb testing.TB, j *Job) map[string]json.RawMessage {
	tb.Helper()
	b := AppendJob(nil, j, nil, func(j *Job) string { return "log:" + j.JobID })
	if !json.Valid(b) {
		tb.Fatalf("AppendJob wrote invalid JSON: %s", b)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// FuzzJobBody: a job body is refused exactly when the oracle refuses one of its values (400, never
// a panic); accepted, it reads back as sent, on a new job and on an existing one of any status,
// following the status rules; and a job's own wire form is a fixed point of parse, apply, write.
func FuzzJobBody(f *testing.F) {
	for i, b := range seedBodies(f, "/jobs/") {
		f.Add(uint8(i), b)
	}
	for i, v := range trickyValues {
		for _, key := range []string{"status", "success", "duration", "job_id", "description", "kernel", "timestamp", "updated", "pid"} {
			f.Add(uint8(i), []byte(`{"job_id": "1", "`+key+`": `+v+`}`))
		}
	}
	f.Add(uint8(0), []byte(`{"status": "running", "success": null, "priority": 3.5}`))
	f.Add(uint8(2), []byte(`{"nuke-on-error": 1, "nuke_on_error": true, "nuke.on.error": "x"}`))
	f.Add(uint8(4), []byte(`{"mon.a_kernel_sha1": "a", "mon-a-kernel-sha1": "b"}`))
	f.Add(uint8(1), []byte(`{"job_id": 1, "job_id": "2"}`))
	f.Add(uint8(3), []byte(` {"tasks" : [ 1 , {"a" : "b" } ] } `))
	f.Add(uint8(5), []byte(`[]`))
	f.Add(uint8(6), []byte(`{"a":1} {}`))
	f.Add(uint8(0), []byte("{\"description\": \"\xff\"}"))

	now := time.Date(2026, 11, 25, 3, 29, 3, 372965000, time.UTC)
	f.Fuzz(func(t *testing.T, prior uint8, body []byte) {
		p, err := ParseJobPatch(body)
		var obj map[string]json.RawMessage
		decodable := json.Unmarshal(body, &obj) == nil && obj != nil
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != Invalid {
				t.Fatalf("ParseJobPatch(%q): %v, want an Invalid error", body, err)
			}
		}
		// Invalid UTF-8 never reaches the parser (the HTTP layer answers 400): only the absence
		// of panics counts for it.
		if !utf8.Valid(body) {
			if err == nil {
				j := Job{JobID: "x"}
				p.Apply(&j, true, now)
				AppendJob(nil, &j, nil, func(*Job) string { return "" })
			}
			return
		}
		if !decodable {
			if err == nil {
				t.Fatalf("ParseJobPatch accepted %q, which is not one JSON object", body)
			}
			return
		}
		won := winningValues(obj)
		want := map[string]expected{}
		refused := ""
		for key, raw := range won {
			want[key] = expectValue(key, jobKeyKinds[key], raw)
			if want[key].invalid {
				refused = key
			}
		}
		if (err != nil) != (refused != "") {
			t.Fatalf("ParseJobPatch(%s): error %v; the oracle refuses key %q", body, err, refused)
		}
		if err != nil {
			return
		}
		// The body's time for updated, if it gives a usable one.
		updated := expected{wire: strconv.Quote(FormatTime(now))}
		if w, ok := want["updated"]; ok && w.wire != "null" && w.wire != `"0001-01-01 00:00:00"` {
			updated = w
		}
		delete(want, "updated")

		// A new job.
		id, hasID := p.JobID()
		if !hasID {
			id = "assigned"
		}
		j := Job{JobID: id}
		p.Apply(&j, true, now)
		got := wireFields(t, &j)
		status := StatusUnknown
		switch {
		case won["status"] != nil:
			status = jsonString(want["status"].wire)
		case won["success"] != nil:
			status = map[string]string{"true": StatusPass, "false": StatusFail, "null": StatusUnknown}[want["success"].wire]
		}
		started := "null"
		if status == StatusRunning {
			started = strconv.Quote(FormatTime(now))
		}
		for key := range jobKeyKinds {
			w, ok := want[key]
			if !ok {
				w = expected{wire: "null"}
			}
			switch key {
			case "job_id":
				w = expected{wire: strconv.Quote(id)}
			case "status":
				w = expected{wire: strconv.Quote(status)}
			case "updated":
				w = updated
			}
			if !sameWire(got[key], w.wire) {
				t.Errorf("new job: %s = %s, want %s (body %s)", key, got[key], w.wire, body)
			}
		}
		if string(got["posted"]) != strconv.Quote(FormatTime(now)) || string(got["started"]) != started {
			t.Errorf("new job: posted %s, started %s, want %s", got["posted"], got["started"], started)
		}

		// Written, parsed and applied again, a job is unchanged.
		wire := AppendJob(nil, &j, nil, func(*Job) string { return "" })
		again, err := ParseJobPatch(wire)
		if err != nil {
			t.Fatalf("a job's own wire form is refused: %v\n%s", err, wire)
		}
		j2 := Job{JobID: id}
		again.Apply(&j2, true, now)
		if wire2 := AppendJob(nil, &j2, nil, func(*Job) string { return "" }); !bytes.Equal(wire, wire2) {
			t.Errorf("round trip changed the job:\n%s\n%s", wire, wire2)
		}

		// An existing job, in any status.
		oldStatus := JobStatuses[int(prior)%len(JobStatuses)]
		base := baseJob(t, oldStatus, now)
		before := wireFields(t, &base)
		j = base
		if from := p.Apply(&j, false, now); from != oldStatus {
			t.Errorf("Apply returned %q, want %q", from, oldStatus)
		}
		got = wireFields(t, &j)
		status = oldStatus
		switch {
		case won["status"] != nil:
			if oldStatus != StatusPass && oldStatus != StatusFail {
				status = jsonString(want["status"].wire)
			}
		case won["success"] != nil:
			status = map[string]string{"true": StatusPass, "false": StatusFail, "null": StatusUnknown}[want["success"].wire]
		}
		started = string(before["started"])
		if status == StatusRunning && oldStatus == StatusQueued {
			started = strconv.Quote(FormatTime(now))
		}
		for key := range jobKeyKinds {
			w, ok := want[key]
			if !ok || (key == "priority" && oldStatus != StatusQueued) {
				w = expected{wire: string(before[key])}
			}
			switch key {
			case "job_id":
				w = expected{wire: string(before[key])}
			case "status":
				w = expected{wire: strconv.Quote(status)}
			case "updated":
				w = updated
			}
			if !sameWire(got[key], w.wire) {
				t.Errorf("update of a %s job: %s = %s, want %s (body %s)", oldStatus, key, got[key], w.wire, body)
			}
		}
		if string(got["posted"]) != string(before["posted"]) || string(got["started"]) != started {
			t.Errorf("update of a %s job: posted %s, started %s, want %s, %s", oldStatus, got["posted"], got["started"], before["posted"], started)
		}
	})
}

// sameWire reports whether a value written by the server is the expected one: the same bytes, or
// for strings the same text (the server writes U+2028 raw where encoding/json escapes it).
func sameWire(got json.RawMessage, want string) bool {
	if string(got) == want {
		return true
	}
	if len(got) == 0 || got[0] != '"' || want == "" || want[0] != '"' {
		return false
	}
	var a, b string
	return json.Unmarshal(got, &a) == nil && json.Unmarshal([]byte(want), &b) == nil && a == b
}

func jsonString(wire string) string {
	var s string
	if err := json.Unmarshal([]byte(wire), &s); err != nil {
		panic(err)
	}
	return s
}

// FuzzRunBody: a run body is accepted only with a usable name, which reads back exactly, and any
// name can be parsed for its user, suite, branch and date and written as a run object.
func FuzzRunBody(f *testing.F) {
	for _, b := range seedBodies(f, "/runs/") {
		f.Add(b)
	}
	for _, v := range trickyValues {
		f.Add([]byte(`{"name": ` + v + `}`))
	}
	f.Add([]byte(`{"name": "a/b"}`))
	f.Add([]byte(`{"name": "` + strings.Repeat("x", 513) + `"}`))
	f.Add([]byte(`{"name": "x", "name": null}`))
	f.Add([]byte(`{"name": "x", "tags": ["a", "b", "a"]}`))
	f.Add([]byte(`{"name": "x", "tags": ["a,b", "", null]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		run, err := ParseRunBody(body)
		name := run.Name
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("ParseRunBody(%q): %v", body, err)
			}
			return
		}
		var obj map[string]json.RawMessage
		var sent string
		if json.Unmarshal(body, &obj) != nil || len(obj["name"]) == 0 || obj["name"][0] != '"' || json.Unmarshal(obj["name"], &sent) != nil {
			t.Fatalf("ParseRunBody(%q) accepted a body without a string name", body)
		}
		if name != sent {
			t.Errorf("name %q, body says %q", name, sent)
		}
		if name == "" || len(name) > 512 || strings.ContainsRune(name, '/') || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			t.Errorf("accepted run name %q", name)
		}
		checkRunName(t, name)
		if run.Tags == nil || len(run.Tags) > MaxTags {
			t.Errorf("tags %q", run.Tags)
		}
		for i, tag := range run.Tags {
			if ValidateTag(tag) != nil || slices.Contains(run.Tags[:i], tag) {
				t.Errorf("accepted tag %q of %q", tag, run.Tags)
			}
		}
	})
}

// checkRunName parses a run name and writes the run it describes.
func checkRunName(t *testing.T, name string) {
	info := ParseRunName(name)
	for _, s := range []string{info.User, info.Suite, info.Branch, info.MachineType} {
		if !strings.Contains(name, s) || strings.Trim(s, " -") != s {
			t.Errorf("ParseRunName(%q) = %+v: %q is not a trimmed part of the name", name, info, s)
		}
	}
	if !info.Scheduled.IsZero() && info.Scheduled.Location() != time.UTC {
		t.Errorf("ParseRunName(%q): scheduled %v is not UTC", name, info.Scheduled)
	}
	if again := ParseRunName(name); again != info {
		t.Errorf("ParseRunName(%q) is not deterministic", name)
	}
	r := Run{Name: name, User: info.User, Status: "empty", Scheduled: info.Scheduled, Suite: &info.Suite, Branch: &info.Branch}
	b := AppendRun(nil, &r, nil, "http://x/runs/"+name+"/", false)
	var back struct{ Name, User string }
	if utf8.ValidString(name) {
		if err := json.Unmarshal(b, &back); err != nil || back.Name != name || back.User != info.User {
			t.Errorf("run %q written as %s", name, b)
		}
	}
}

// FuzzParseRunName: any string, however long or odd, parses without a panic into parts of itself.
func FuzzParseRunName(f *testing.F) {
	for _, s := range []string{
		"teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi",
		"teuthology-2013-10-22_03:00:02-ceph-deploy-wip-9999-testing-basic-vps-ubuntu",
		"teuthology-2013-01-02_00:00:00-big-master-testing-basic-plana",
		"alice-2026-01-15_11:00:00-rbd-main-distro-default-smithi",
		"x-0-0-0_0:0:0-upgrade:dumpling-x:stress-split-b-k-f-vps-ubuntu\n",
		"x-2024-02-30_24:60:60-a-b-c-d-e", "whatever-name", "", "-", "---------", "\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) { checkRunName(t, name) })
}

// FuzzNormalizeKey: normalised keys have no '-' or '.', keep their other bytes, and normalise to
// themselves.
func FuzzNormalizeKey(f *testing.F) {
	for _, k := range []string{"nuke-on-error", "mon.a_kernel_sha1", "job_id", "", "-.-", "é.x", "\xff-"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		n := NormalizeKey(k)
		if len(n) != len(k) || strings.ContainsAny(n, "-.") || NormalizeKey(n) != n {
			t.Fatalf("NormalizeKey(%q) = %q", k, n)
		}
		for i := range len(k) {
			if k[i] != n[i] && !(n[i] == '_' && (k[i] == '-' || k[i] == '.')) {
				t.Fatalf("NormalizeKey(%q) = %q changes byte %d", k, n, i)
			}
		}
	})
}

// FuzzNodeBody: node bodies are refused with a 400 or read back as sent, and applying one never
// leaves an unlocked node with an owner.
func FuzzNodeBody(f *testing.F) {
	for _, b := range seedBodies(f, "/nodes/") {
		f.Add(b)
	}
	for _, v := range trickyValues {
		for _, key := range []string{"name", "locked", "up", "locked_by", "description", "vm_host", "locked_since", "is_vm"} {
			f.Add([]byte(`{"` + key + `": ` + v + `}`))
		}
	}
	texts := []string{"description", "machine_type", "arch", "os_type", "os_version", "locked_by", "mac_address", "ssh_pub_key"}
	now := time.Date(2026, 11, 25, 3, 29, 3, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, name, err := ParseNodePatch(body)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("ParseNodePatch(%q): %v", body, err)
			}
			return
		}
		for _, locked := range []bool{false, true} {
			n := Node{Name: "n", Locked: locked, LockedBy: ptr("owner"), Description: ptr("d")}
			if !locked {
				n.LockedBy = nil
			}
			_ = p.CheckLock(&n)
			p.Apply(&n, now)
			if !n.Locked && n.LockedBy != nil {
				t.Errorf("applying %s left an unlocked node owned by %q", body, *n.LockedBy)
			}
			if n.Locked != locked && (n.Locked != (n.LockedSince != nil)) {
				t.Errorf("applying %s: locked %v, locked_since %v", body, n.Locked, n.LockedSince)
			}
			b := AppendNode(nil, &n, nil)
			if !utf8.Valid(body) {
				continue
			}
			var back map[string]json.RawMessage
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("node written as invalid JSON: %s", b)
			}
			var obj map[string]json.RawMessage
			_ = json.Unmarshal(body, &obj)
			for _, key := range texts {
				raw, ok := obj[key]
				if !ok || key == "locked_by" {
					continue
				}
				if w := expectValue(key, kindText, raw); !sameWire(back[key], w.wire) {
					t.Errorf("node %s = %s, want %s (body %s)", key, back[key], w.wire, body)
				}
			}
		}
		var obj map[string]json.RawMessage
		if utf8.Valid(body) && json.Unmarshal(body, &obj) == nil {
			var want string
			if raw, ok := obj["name"]; ok {
				_ = json.Unmarshal(raw, &want)
			}
			if name != want {
				t.Errorf("node name %q, body says %q", name, want)
			}
		}
	})
}

// FuzzParseRunQuery: any filter path parses or is refused with a 400 or 404; a parsed filter asks
// for the values of a known key or for runs, and a contradiction matches nothing.
func FuzzParseRunQuery(f *testing.F) {
	for _, p := range []string{
		"branch/main", "branch/main/suite/rados/status/finished pass", "branch/main/suite", "date/2026-01-15",
		"date/from/2026-01-01/to/2026-01-31", "date/from/2026-01-01", "date/today/date/yesterday",
		"sha1/abc/sha1/abcd", "sha1/abcd/sha1/abx", "flavors/default/flavor/crimson", "user", "bogus/x",
		"date/2026-13-01", "date/from/x/to/y", "branch/../../etc/passwd", "branch/'; DROP TABLE runs; --",
		"branch/\x00", "date/0000-00-00", "branch/main/branch/main",
	} {
		f.Add(p)
	}
	today := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, path string) {
		segments := strings.Split(path, "/")
		q, err := ParseRunQuery(segments, today)
		if err != nil {
			if c := ErrorCode(err); c != Invalid && c != NotFound {
				t.Fatalf("ParseRunQuery(%q): %v", path, err)
			}
			return
		}
		if q.Values != "" && !IsRunFilter(q.Values) {
			t.Errorf("ParseRunQuery(%q) asks for the values of %q", path, q.Values)
		}
		for _, tm := range []*time.Time{q.Filter.From, q.Filter.Before} {
			if tm != nil && (tm.Location() != time.UTC || tm.Hour() != 0 || tm.Minute() != 0 || tm.Second() != 0 || tm.Nanosecond() != 0) {
				t.Errorf("ParseRunQuery(%q): day bound %v is not a UTC midnight", path, tm)
			}
		}
		for _, v := range []*string{q.Filter.Branch, q.Filter.Suite, q.Filter.MachineType, q.Filter.Status, q.Filter.User, q.Filter.Sha1Prefix, q.Filter.Flavor} {
			if v != nil && !strings.Contains(path, *v) {
				t.Errorf("ParseRunQuery(%q): value %q is not in the path", path, *v)
			}
		}
	})
}

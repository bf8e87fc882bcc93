package paddles

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Helpers shared by the tests of this package.

func ptr[T any](v T) *T { return &v }

// objectKeys returns the keys of the JSON object b in the order they appear.
func objectKeys(t *testing.T, b []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var keys []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("reading key of %s: %v", b, err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatalf("reading value of %s: %v", b, err)
		}
	}
	return keys
}

// decodeObject checks that b is valid JSON and decodes it into a map of raw values.
func decodeObject(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return m
}

// wantInvalid checks that err is an Invalid *Error whose message contains each of parts.
func wantInvalid(t *testing.T, err error, parts ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want an *Error", err, err)
	}
	if e.Code != Invalid {
		t.Errorf("error code = %q, want %q (message %q)", e.Code, Invalid, e.Message)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("error message %q does not contain %q", e.Message, p)
		}
	}
}

func mustParseJobPatch(t *testing.T, body string) JobPatch {
	t.Helper()
	p, err := ParseJobPatch([]byte(body))
	if err != nil {
		t.Fatalf("ParseJobPatch(%s): %v", body, err)
	}
	return p
}

// encodeJobField writes the value the patch holds for key, as AppendJob would write it.
func encodeJobField(p *JobPatch, key string) string {
	return string(jobFields[jobFieldIndex[key]].encode(nil, &p.values, func(*Job) string { return "" }))
}

// upstreamJobKeys is the key order of upstream's Job.__json__ (paddles-api.md 2.2 and 5.2), with
// the README's mon_a/mon_b_kernel_sha1 (DECISIONS 11) before posted, started and updated.
var upstreamJobKeys = []string{
	"log_href",
	"archive_path", "description", "duration", "email", "failure_reason", "flavor", "job_id", "kernel",
	"last_in_suite", "machine_type", "name", "nuke_on_error", "os_type", "os_version", "overrides", "owner",
	"pid", "roles", "sentry_event", "status", "success", "branch", "seed", "sha1", "subset", "suite",
	"suite_branch", "suite_path", "suite_relpath", "suite_repo", "suite_sha1", "targets", "tasks",
	"timestamp", "teuthology_branch", "verbose", "pcp_grafana_url", "priority", "user", "queue",
	"package_source", "mon_a_kernel_sha1", "mon_b_kernel_sha1",
	"posted", "started", "updated",
}

func TestValidJobStatus(t *testing.T) {
	for _, s := range []string{"pass", "fail", "queued", "running", "dead", "unknown", "waiting"} {
		if !ValidJobStatus(s) {
			t.Errorf("ValidJobStatus(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "PASS", "finished pass", "empty", "passed", " pass"} {
		if ValidJobStatus(s) {
			t.Errorf("ValidJobStatus(%q) = true, want false", s)
		}
	}
}

func TestNormalizeKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nuke-on-error", "nuke_on_error"},
		{"nuke_on_error", "nuke_on_error"},
		{"mon.a_kernel_sha1", "mon_a_kernel_sha1"},
		{"mon.b_kernel_sha1", "mon_b_kernel_sha1"},
		{"a-b.c_d", "a_b_c_d"},
		{"status", "status"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeKey(tt.in); got != tt.want {
			t.Errorf("NormalizeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// DECISIONS 11: "-" and "." become "_"; the canonical spelling wins over another one whatever
// the body's order.
func TestParseJobPatchKeyNormalisation(t *testing.T) {
	tests := []struct {
		name, body, key, want string
	}{
		{"hyphens", `{"nuke-on-error": true}`, "nuke_on_error", `true`},
		{"canonical", `{"nuke_on_error": false}`, "nuke_on_error", `false`},
		{"dot a", `{"mon.a_kernel_sha1": "deadbeef"}`, "mon_a_kernel_sha1", `"deadbeef"`},
		{"dot b", `{"mon.b_kernel_sha1": "cafe"}`, "mon_b_kernel_sha1", `"cafe"`},
		{"canonical mon", `{"mon_a_kernel_sha1": "abc"}`, "mon_a_kernel_sha1", `"abc"`},
		{"hyphenated job id", `{"job-id": 7}`, "job_id", `"7"`},
		{"canonical first", `{"nuke_on_error": true, "nuke-on-error": false}`, "nuke_on_error", `true`},
		{"canonical last", `{"nuke-on-error": false, "nuke_on_error": true}`, "nuke_on_error", `true`},
		{"canonical null last", `{"nuke-on-error": true, "nuke_on_error": null}`, "nuke_on_error", `null`},
		{"mon canonical last", `{"mon.a_kernel_sha1": "dotted", "mon_a_kernel_sha1": "plain"}`, "mon_a_kernel_sha1", `"plain"`},
		{"mon canonical first", `{"mon_a_kernel_sha1": "plain", "mon.a_kernel_sha1": "dotted"}`, "mon_a_kernel_sha1", `"plain"`},
		{"suite canonical last", `{"suite-path": "a", "suite_path": "b"}`, "suite_path", `"b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParseJobPatch(t, tt.body)
			if !p.Has(tt.key) {
				t.Fatalf("Has(%q) = false, want true", tt.key)
			}
			if got := encodeJobField(&p, tt.key); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.key, got, tt.want)
			}
			for k := range p.set {
				if k != NormalizeKey(k) {
					t.Errorf("set holds non-normalised key %q", k)
				}
			}
		})
	}
	// The loser of the two spellings must not be taken whatever the map order: repeat.
	for range 50 {
		p := mustParseJobPatch(t, `{"nuke-on-error": false, "nuke_on_error": true, "nuke.on.error": false}`)
		if got := encodeJobField(&p, "nuke_on_error"); got != "true" {
			t.Fatalf("nuke_on_error = %s, want true (canonical spelling wins)", got)
		}
	}
}

// DECISIONS 11: keys outside the job schema are ignored, never an error; so are keys the client
// may not set (log_href, posted, started).
func TestParseJobPatchIgnoresUnknownKeys(t *testing.T) {
	body := `{"some_unknown_key": {"x": 1}, "teuthology_sha1": "aaaa", "repo": "r", "sleep_before_teardown": 0,
		"issue_url": "u", "comment": "c", "id": 5, "run_id": 6, "log_href": 7, "posted": "not a time",
		"started": [1], "Status": "bogus", "href": "x", "": 1, "log-href": 2, "description": "kept"}`
	p := mustParseJobPatch(t, body)
	for _, k := range []string{"some_unknown_key", "teuthology_sha1", "repo", "sleep_before_teardown", "issue_url",
		"comment", "id", "run_id", "log_href", "posted", "started", "Status", "status", "href"} {
		if p.Has(k) {
			t.Errorf("Has(%q) = true, want false", k)
		}
	}
	if len(p.set) != 1 || !p.Has("description") {
		t.Errorf("set = %v, want only description", p.set)
	}
	if p.values.Description == nil || *p.values.Description != "kept" {
		t.Errorf("description = %v, want kept", p.values.Description)
	}
}

// DECISIONS 5: a body that is not one JSON object answers "could not decode JSON body".
func TestParseJobPatchNotAnObject(t *testing.T) {
	for _, body := range []string{
		``, ` `, `[]`, `[{"job_id": 1}]`, `"x"`, `null`, `1`, `true`, `not json`, `{`, `{"a":1`,
		`{"a":1} {"b":2}`, `{"a":1}{"b":2}`, `{"a":1} x`, `{"a":1} 1`, `{"a":1} []`,
		`{"a":1}}`, `{"a":1} ]`, `{"a":1,}`, `{'a':1}`,
	} {
		t.Run(body, func(t *testing.T) {
			p, err := ParseJobPatch([]byte(body))
			if err == nil {
				t.Fatalf("ParseJobPatch(%q) succeeded (setting %v); want an error", body, p.set)
			}
			wantInvalid(t, err)
			if msg := ErrorMessage(err); msg != "could not decode JSON body" {
				t.Errorf("message = %q, want %q", msg, "could not decode JSON body")
			}
		})
	}
	// Surrounding whitespace is fine.
	for _, body := range []string{"{}", " {} ", "\n{\"job_id\": 1}\n", "\t{\"job_id\": 1}\r\n "} {
		if _, err := ParseJobPatch([]byte(body)); err != nil {
			t.Errorf("ParseJobPatch(%q): %v", body, err)
		}
	}
}

// DECISIONS 13: coercions teuthology relies on; values that cannot be coerced answer 400 naming
// the key. want is the value as AppendJob writes it.
func TestParseJobPatchValues(t *testing.T) {
	tests := []struct {
		key, raw string
		want     string // JSON as written on the wire; "" when an error is expected
		wantErr  string // part of the error message besides the key
	}{
		// job_id and pid: integers become strings.
		{"job_id", `42`, `"42"`, ""},
		{"job_id", `"42"`, `"42"`, ""},
		{"job_id", `"abc-1"`, `"abc-1"`, ""},
		{"job_id", `-3`, `"-3"`, ""},
		{"job_id", `9223372036854775807`, `"9223372036854775807"`, ""},
		{"job_id", `1.5`, "", "string or an integer"},
		{"job_id", `true`, "", "string or an integer"},
		{"job_id", `{}`, "", ""},
		{"job_id", `[1]`, "", ""},
		{"job_id", `"a\u0000b"`, "", "NUL"},
		{"pid", `12345`, `"12345"`, ""},
		{"pid", `"12345"`, `"12345"`, ""},
		{"pid", `null`, `null`, ""},
		{"pid", `false`, "", ""},
		{"pid", `1e3`, "", ""},

		// Integers: floats rounded half to even, numeric strings accepted.
		{"duration", `3600`, `3600`, ""},
		{"duration", `1234.56`, `1235`, ""},
		{"duration", `1234.4`, `1234`, ""},
		{"duration", `0.5`, `0`, ""},
		{"duration", `1.5`, `2`, ""},
		{"duration", `2.5`, `2`, ""},
		{"duration", `3.5`, `4`, ""},
		{"duration", `-0.5`, `0`, ""},
		{"duration", `-2.5`, `-2`, ""},
		{"duration", `-3.5`, `-4`, ""},
		{"duration", `1e3`, `1000`, ""},
		{"duration", `1.0`, `1`, ""},
		{"duration", `"42"`, `42`, ""},
		{"duration", `" 42 "`, `42`, ""},
		{"duration", `"1234.56"`, `1235`, ""},
		{"duration", `"2.5"`, `2`, ""},
		{"duration", `"-7"`, `-7`, ""},
		{"duration", `9223372036854775807`, `9223372036854775807`, ""},
		{"duration", `-9223372036854775808`, `-9223372036854775808`, ""},
		{"duration", `null`, `null`, ""},
		{"duration", `"abc"`, "", "must be a number"},
		{"duration", `""`, "", "must be a number"},
		{"duration", `"12abc"`, "", "must be a number"},
		{"duration", `"NaN"`, "", "must be a number"},
		{"duration", `"Infinity"`, "", "must be a number"},
		{"duration", `"inf"`, "", "must be a number"},
		{"duration", `"0x10"`, "", "must be a number"},
		{"duration", `"0x1p4"`, "", "must be a number"},
		{"duration", `true`, "", "must be a number"},
		{"duration", `{}`, "", "must be a number"},
		{"duration", `[1]`, "", "must be a number"},
		{"duration", `1e300`, "", "out of range"},
		{"duration", `-1e300`, "", "out of range"},
		{"duration", `9223372036854775808`, "", "out of range"},
		{"duration", `"1e300"`, "", "out of range"},
		{"seed", `4242`, `4242`, ""},
		{"seed", `4242.5`, `4242`, ""},
		{"seed", `4243.5`, `4244`, ""},
		{"seed", `"4242"`, `4242`, ""},
		{"seed", `"x"`, "", "must be a number"},
		{"priority", `100`, `100`, ""},
		{"priority", `99.5`, `100`, ""},
		{"priority", `100.5`, `100`, ""},
		{"priority", `"7"`, `7`, ""},
		{"priority", `null`, `null`, ""},
		{"priority", `"high"`, "", "must be a number"},

		// Booleans.
		{"success", `true`, `true`, ""},
		{"success", `false`, `false`, ""},
		{"success", `null`, `null`, ""},
		{"success", `"yes"`, "", "true, false or null"},
		{"success", `"true"`, "", "true, false or null"},
		{"success", `1`, "", "true, false or null"},
		{"success", `0`, "", "true, false or null"},
		{"success", `{}`, "", "true, false or null"},
		{"last_in_suite", `false`, `false`, ""},
		{"verbose", `true`, `true`, ""},
		{"verbose", `"no"`, "", "true, false or null"},
		{"nuke_on_error", `"true"`, "", "true, false or null"},

		// Status.
		{"status", `"pass"`, `"pass"`, ""},
		{"status", `"fail"`, `"fail"`, ""},
		{"status", `"queued"`, `"queued"`, ""},
		{"status", `"running"`, `"running"`, ""},
		{"status", `"dead"`, `"dead"`, ""},
		{"status", `"unknown"`, `"unknown"`, ""},
		{"status", `"waiting"`, `"waiting"`, ""},
		{"status", `"bogus"`, "", "must be one of"},
		{"status", `"Pass"`, "", "must be one of"},
		{"status", `"finished pass"`, "", "must be one of"},
		{"status", `""`, "", "must be one of"},
		{"status", `null`, "", "must be one of"},
		{"status", `1`, "", "must be one of"},

		// Timestamps.
		{"timestamp", `"2026-01-15_10:20:30"`, `"2026-01-15 10:20:30"`, ""},
		{"timestamp", `"2026-01-15 10:20:30"`, `"2026-01-15 10:20:30"`, ""},
		{"timestamp", `"2026-01-15 10:20:30.123456"`, `"2026-01-15 10:20:30.123456"`, ""},
		{"timestamp", `"2026-01-15T10:20:30Z"`, `"2026-01-15 10:20:30"`, ""},
		{"timestamp", `null`, `null`, ""},
		{"timestamp", `"2026-01-15"`, "", "must be a time"},
		{"timestamp", `"15/01/2026 10:20:30"`, "", "must be a time"},
		{"timestamp", `"2026-13-15_10:20:30"`, "", "must be a time"},
		{"timestamp", `"2026-01-15_25:20:30"`, "", "must be a time"},
		{"timestamp", `"yesterday"`, "", "must be a time"},
		{"timestamp", `""`, "", "must be a time"},
		{"timestamp", `1768472430`, "", "must be a string"},
		{"timestamp", `{}`, "", ""},
		{"updated", `"2026-01-15 12:00:00.123456"`, `"2026-01-15 12:00:00.123456"`, ""},
		{"updated", `"2026-01-15_12:00:00"`, `"2026-01-15 12:00:00"`, ""},
		{"updated", `"garbage"`, "", "must be a time"},
		{"updated", `5`, "", "must be a string"},
		{"updated", `true`, "", "must be a string"},

		// Text: numbers and booleans keep their JSON spelling; objects, arrays and NUL rejected.
		{"os_version", `"22.04"`, `"22.04"`, ""},
		{"os_version", `8.6`, `"8.6"`, ""},
		{"os_version", `8.10`, `"8.10"`, ""},
		{"os_version", `9`, `"9"`, ""},
		{"os_version", `1e2`, `"1e2"`, ""},
		{"os_version", `-0`, `"-0"`, ""},
		{"description", `true`, `"true"`, ""},
		{"description", `false`, `"false"`, ""},
		{"description", `null`, `null`, ""},
		{"description", `""`, `""`, ""},
		{"description", `"tab\there \"quoted\" back\\slash é \u2028 😀"`, `"tab\there \"quoted\" back\\slash é ` + "\u2028" + ` 😀"`, ""},
		{"description", `{"a": 1}`, "", "must be a string"},
		{"description", `[]`, "", "must be a string"},
		{"description", `"a\u0000b"`, "", "NUL"},
		{"failure_reason", `"\u0000"`, "", "NUL"},
		{"os_type", `{}`, "", "must be a string"},
		{"branch", `"main"`, `"main"`, ""},
		{"suite", `"rados"`, `"rados"`, ""},
		{"machine_type", `"smithi"`, `"smithi"`, ""},
		{"mon_a_kernel_sha1", `"deadbeef"`, `"deadbeef"`, ""},
		{"user", `"teuthology"`, `"teuthology"`, ""},
		{"queue", `"smithi"`, `"smithi"`, ""},
		{"package_source", `"shaman"`, `"shaman"`, ""},
		{"pcp_grafana_url", `"http://x/"`, `"http://x/"`, ""},

		// JSON-valued fields: kept byte for byte (key order, number spelling, escapes), minus
		// insignificant whitespace.
		{"kernel", `{"kdb": true, "sha1": "distro"}`, `{"kdb":true,"sha1":"distro"}`, ""},
		{"kernel", `"distro"`, `"distro"`, ""},
		{"kernel", `null`, `null`, ""},
		{"overrides", `{"z": 1, "a": {"y": 2.50, "b": 1e3, "c": -0}}`, `{"z":1,"a":{"y":2.50,"b":1e3,"c":-0}}`, ""},
		{"overrides", "{\n\t\"ceph\" : {\r\n \"conf\" : { \"osd\" : { \"debug osd\" : 20 } } }\n}", `{"ceph":{"conf":{"osd":{"debug osd":20}}}}`, ""},
		{"overrides", `{"k": "a\u0000b", "\u0000": "\u00e9\n\"\/"}`, `{"k":"a\u0000b","\u0000":"\u00e9\n\"\/"}`, ""},
		{"overrides", `{"dup": 1, "dup": 2}`, `{"dup":1,"dup":2}`, ""},
		{"roles", `[["mon.a", "mgr.x", "osd.0"], ["client.0"]]`, `[["mon.a","mgr.x","osd.0"],["client.0"]]`, ""},
		{"roles", `[]`, `[]`, ""},
		{"targets", `{"ubuntu@smithi001": "ssh-ed25519 AAAA 1", "ubuntu@smithi000": "k"}`, `{"ubuntu@smithi001":"ssh-ed25519 AAAA 1","ubuntu@smithi000":"k"}`, ""},
		{"targets", `{"a\u0000": "\u0000"}`, `{"a\u0000":"\u0000"}`, ""},
		{"tasks", `[{"install": null}, {"ceph": null}]`, `[{"install":null},{"ceph":null}]`, ""},
		{"tasks", `[1.0, 10E-1, true, "x y"]`, `[1.0,10E-1,true,"x y"]`, ""},
		{"tasks", `{}`, `{}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.raw, func(t *testing.T) {
			body := `{"` + tt.key + `": ` + tt.raw + `}`
			p, err := ParseJobPatch([]byte(body))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseJobPatch(%s) = %s, nil; want an error", body, encodeJobField(&p, tt.key))
				}
				wantInvalid(t, err, "'"+tt.key+"'", tt.wantErr)
				if p.set != nil {
					t.Errorf("a failed parse returned a patch setting %v", p.set)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJobPatch(%s): %v", body, err)
			}
			if got := encodeJobField(&p, tt.key); got != tt.want {
				t.Errorf("%s: got %s, want %s", body, got, tt.want)
			}
			if tt.key != "job_id" && !p.Has(tt.key) {
				t.Errorf("Has(%q) = false, want true", tt.key)
			}
		})
	}
}

// The error names the key as the client spelled it (or its canonical form).
func TestParseJobPatchErrorNamesKey(t *testing.T) {
	_, err := ParseJobPatch([]byte(`{"nuke-on-error": "yes"}`))
	if err == nil {
		t.Fatal("want an error")
	}
	if msg := ErrorMessage(err); !strings.Contains(msg, "nuke-on-error") && !strings.Contains(msg, "nuke_on_error") {
		t.Errorf("message %q does not name the key", msg)
	}
	// One bad key fails the whole body.
	_, err = ParseJobPatch([]byte(`{"description": "ok", "status": "pass", "duration": "abc"}`))
	wantInvalid(t, err, "'duration'")
}

// Whitespace around values does not leak into what is kept.
func TestParseJobPatchWhitespace(t *testing.T) {
	p := mustParseJobPatch(t, "{ \"os_version\" : 8.6 ,\n\t\"duration\" : 2.5 , \"success\" : true , \"pid\" : 17 ,"+
		" \"kernel\" : { \"a\" : [ 1 , 2 ] } , \"description\" : false }")
	for key, want := range map[string]string{
		"os_version": `"8.6"`, "duration": `2`, "success": `true`, "pid": `"17"`, "kernel": `{"a":[1,2]}`,
		"description": `"false"`,
	} {
		if got := encodeJobField(&p, key); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
}

// DECISIONS 10/12: job_id null or "" counts as absent.
func TestJobPatchJobID(t *testing.T) {
	tests := []struct {
		body   string
		want   string
		wantOK bool
	}{
		{`{}`, "", false},
		{`{"description": "x"}`, "", false},
		{`{"job_id": null}`, "", false},
		{`{"job_id": ""}`, "", false},
		{`{"job_id": 0}`, "0", true},
		{`{"job_id": "0"}`, "0", true},
		{`{"job_id": 77}`, "77", true},
		{`{"job_id": "77"}`, "77", true},
		{`{"job-id": "8"}`, "8", true},
		{`{"job_id": " 9 "}`, " 9 ", true},
	}
	for _, tt := range tests {
		p := mustParseJobPatch(t, tt.body)
		got, ok := p.JobID()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: JobID() = %q, %v; want %q, %v", tt.body, got, ok, tt.want, tt.wantOK)
		}
		if p.Has("job_id") != tt.wantOK {
			t.Errorf("%s: Has(job_id) = %v, want %v", tt.body, p.Has("job_id"), tt.wantOK)
		}
	}
}

func TestJobPatchRunFields(t *testing.T) {
	p := mustParseJobPatch(t, `{"suite": "rados", "branch": "main", "machine-type": "smithi"}`)
	suite, branch, mt := p.RunFields()
	if suite == nil || *suite != "rados" || branch == nil || *branch != "main" || mt == nil || *mt != "smithi" {
		t.Errorf("RunFields() = %v, %v, %v; want rados, main, smithi", suite, branch, mt)
	}
	p = mustParseJobPatch(t, `{"suite": null}`)
	suite, branch, mt = p.RunFields()
	if suite != nil || branch != nil || mt != nil {
		t.Errorf("RunFields() = %v, %v, %v; want nil, nil, nil", suite, branch, mt)
	}
}

// DECISIONS 14 and paddles-api.md 6.4-6.6: status, success, priority, started, updated, posted.
func TestJobPatchApplyStatus(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	now := time.Date(2026, 1, 15, 11, 0, 0, 123456000, time.UTC)
	type state struct {
		status   string
		success  *bool
		priority *int64
		started  *time.Time
	}
	tests := []struct {
		name    string
		created bool
		old     state // ignored except for the zero value when created
		body    string
		want    state
	}{
		// A new job.
		{"new without status", true, state{}, `{}`, state{status: "unknown"}},
		{"new with other keys", true, state{}, `{"description": "d"}`, state{status: "unknown"}},
		{"new queued", true, state{}, `{"status": "queued", "priority": 5}`, state{status: "queued", priority: ptr[int64](5)}},
		{"new priority without status", true, state{}, `{"priority": 5}`, state{status: "unknown", priority: ptr[int64](5)}},
		{"new running sets started", true, state{}, `{"status": "running"}`, state{status: "running", started: &now}},
		{"new waiting", true, state{}, `{"status": "waiting"}`, state{status: "waiting"}},
		{"new pass", true, state{}, `{"status": "pass"}`, state{status: "pass"}},
		{"new success true", true, state{}, `{"success": true}`, state{status: "pass", success: ptr(true)}},
		{"new success false", true, state{}, `{"success": false}`, state{status: "fail", success: ptr(false)}},
		{"new success null", true, state{}, `{"success": null}`, state{status: "unknown"}},
		{"new status wins over success", true, state{}, `{"status": "dead", "success": true}`, state{status: "dead", success: ptr(true)}},
		{"new status wins, order", true, state{}, `{"success": false, "status": "pass"}`, state{status: "pass", success: ptr(false)}},

		// Status transitions of an existing job.
		{"queued to running sets started", false, state{status: "queued"}, `{"status": "running"}`, state{status: "running", started: &now}},
		{"waiting to running keeps started null", false, state{status: "waiting"}, `{"status": "running"}`, state{status: "running"}},
		{"unknown to running keeps started null", false, state{status: "unknown"}, `{"status": "running"}`, state{status: "running"}},
		{"dead to running keeps started", false, state{status: "dead", started: &t0}, `{"status": "running"}`, state{status: "running", started: &t0}},
		{"running to running keeps started", false, state{status: "running", started: &t0}, `{"status": "running"}`, state{status: "running", started: &t0}},
		{"running heartbeat keeps status", false, state{status: "running", started: &t0}, `{"description": "x"}`, state{status: "running", started: &t0}},
		{"queued without status stays queued", false, state{status: "queued"}, `{"description": "x"}`, state{status: "queued"}},
		{"running to dead", false, state{status: "running", started: &t0}, `{"status": "dead"}`, state{status: "dead", started: &t0}},
		{"dead to dead", false, state{status: "dead"}, `{"status": "dead"}`, state{status: "dead"}},
		{"running to queued", false, state{status: "running", started: &t0}, `{"status": "queued"}`, state{status: "queued", started: &t0}},
		{"existing without status or success keeps status", false, state{status: "waiting"}, `{}`, state{status: "waiting"}},

		// Final states are sticky for status, not for success.
		{"pass ignores dead", false, state{status: "pass", success: ptr(true)}, `{"status": "dead"}`, state{status: "pass", success: ptr(true)}},
		{"fail ignores running", false, state{status: "fail", success: ptr(false), started: &t0}, `{"status": "running"}`, state{status: "fail", success: ptr(false), started: &t0}},
		{"pass ignores fail", false, state{status: "pass", success: ptr(true)}, `{"status": "fail"}`, state{status: "pass", success: ptr(true)}},
		{"pass ignores status, keeps success value", false, state{status: "pass", success: ptr(true)}, `{"status": "dead", "success": false}`, state{status: "pass", success: ptr(false)}},
		{"pass flipped by success false", false, state{status: "pass", success: ptr(true)}, `{"success": false}`, state{status: "fail", success: ptr(false)}},
		{"fail flipped by success true", false, state{status: "fail", success: ptr(false)}, `{"success": true}`, state{status: "pass", success: ptr(true)}},
		{"pass to unknown by success null", false, state{status: "pass", success: ptr(true)}, `{"success": null}`, state{status: "unknown"}},
		{"running to pass by success", false, state{status: "running", started: &t0}, `{"success": true}`, state{status: "pass", success: ptr(true), started: &t0}},
		{"running: status wins over success", false, state{status: "running"}, `{"success": true, "status": "fail"}`, state{status: "fail", success: ptr(true)}},
		{"dead to pass by status", false, state{status: "dead"}, `{"status": "pass", "success": true}`, state{status: "pass", success: ptr(true)}},

		// Priority changes only while queued.
		{"queued priority changes", false, state{status: "queued", priority: ptr[int64](5)}, `{"priority": 1}`, state{status: "queued", priority: ptr[int64](1)}},
		{"queued priority float", false, state{status: "queued", priority: ptr[int64](5)}, `{"priority": 1.5}`, state{status: "queued", priority: ptr[int64](2)}},
		{"queued priority cleared", false, state{status: "queued", priority: ptr[int64](5)}, `{"priority": null}`, state{status: "queued"}},
		{"running priority kept", false, state{status: "running", priority: ptr[int64](5)}, `{"priority": 1}`, state{status: "running", priority: ptr[int64](5)}},
		{"pass priority kept", false, state{status: "pass", priority: ptr[int64](5)}, `{"priority": 1}`, state{status: "pass", priority: ptr[int64](5)}},
		{"waiting priority kept", false, state{status: "waiting", priority: ptr[int64](5)}, `{"priority": null}`, state{status: "waiting", priority: ptr[int64](5)}},
		{"priority judged on old status: queued to running", false, state{status: "queued", priority: ptr[int64](5)}, `{"status": "running", "priority": 1}`, state{status: "running", priority: ptr[int64](1), started: &now}},
		{"priority judged on old status: running to queued", false, state{status: "running", priority: ptr[int64](5)}, `{"status": "queued", "priority": 1}`, state{status: "queued", priority: ptr[int64](5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParseJobPatch(t, tt.body)
			var j Job
			if !tt.created {
				j = Job{ID: 3, RunID: 2, JobID: "1", Status: tt.old.status, Success: tt.old.success,
					Priority: tt.old.priority, Started: tt.old.started, Posted: t0, Updated: t0}
			}
			oldStatus := p.Apply(&j, tt.created, now)
			wantOld := tt.old.status
			if tt.created {
				wantOld = ""
			}
			if oldStatus != wantOld {
				t.Errorf("Apply returned %q, want %q", oldStatus, wantOld)
			}
			got := state{j.Status, j.Success, j.Priority, j.Started}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("after %s:\n got %s\nwant %s", tt.body, fmtState(got.status, got.success, got.priority, got.started),
					fmtState(tt.want.status, tt.want.success, tt.want.priority, tt.want.started))
			}
			if !j.Updated.Equal(now) {
				t.Errorf("updated = %v, want now %v", j.Updated, now)
			}
			wantPosted := t0
			if tt.created {
				wantPosted = now
			}
			if !j.Posted.Equal(wantPosted) {
				t.Errorf("posted = %v, want %v", j.Posted, wantPosted)
			}
		})
	}
}

func fmtState(status string, success *bool, priority *int64, started *time.Time) string {
	s := "status=" + status
	if success == nil {
		s += " success=nil"
	} else if *success {
		s += " success=true"
	} else {
		s += " success=false"
	}
	if priority == nil {
		s += " priority=nil"
	} else {
		s += " priority=" + string(appendInt(nil, priority))
	}
	if started == nil {
		s += " started=nil"
	} else {
		s += " started=" + FormatTime(*started)
	}
	return s
}

// updated is the body's value when it has one, else now; posted is set on creation only.
func TestJobPatchApplyTimes(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	now := time.Date(2026, 1, 15, 11, 0, 0, 0, time.UTC)
	explicit := time.Date(2026, 1, 15, 12, 0, 0, 123456000, time.UTC)
	tests := []struct {
		name        string
		created     bool
		body        string
		wantUpdated time.Time
		wantPosted  time.Time
	}{
		{"new", true, `{}`, now, now},
		{"new with updated", true, `{"updated": "2026-01-15 12:00:00.123456"}`, explicit, now},
		{"existing", false, `{"status": "running"}`, now, t0},
		{"existing with updated", false, `{"updated": "2026-01-15 12:00:00.123456"}`, explicit, t0},
		{"existing with T updated", false, `{"updated": "2026-01-15T12:00:00.123456Z"}`, explicit, t0},
		{"existing with updated null", false, `{"updated": null}`, now, t0},
		{"existing, posted in body ignored", false, `{"posted": "2020-01-01 00:00:00", "started": "2020-01-01 00:00:00"}`, now, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParseJobPatch(t, tt.body)
			j := Job{JobID: "1", Status: StatusQueued, Posted: t0, Updated: t0}
			if tt.created {
				j = Job{JobID: "1"}
			}
			p.Apply(&j, tt.created, now)
			if !j.Updated.Equal(tt.wantUpdated) {
				t.Errorf("updated = %v, want %v", j.Updated, tt.wantUpdated)
			}
			if !j.Posted.Equal(tt.wantPosted) {
				t.Errorf("posted = %v, want %v", j.Posted, tt.wantPosted)
			}
		})
	}
}

// Fields absent from the patch keep their values; fields sent as null are cleared; job_id, ID and
// RunID never change.
func TestJobPatchApplyPartialUpdate(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	ts := time.Date(2026, 1, 15, 10, 20, 30, 0, time.UTC)
	now := time.Date(2026, 1, 15, 11, 0, 0, 0, time.UTC)
	full := func() Job {
		return Job{
			ID: 10, RunID: 20, JobID: "1", Status: StatusRunning, Success: nil,
			ArchivePath: ptr("/archive/r/1"), Description: ptr("desc"), Duration: ptr[int64](10),
			Email: ptr("e@x"), FailureReason: ptr("why"), Flavor: ptr("default"),
			Kernel: json.RawMessage(`{"kdb":true}`), LastInSuite: ptr(false), MachineType: ptr("smithi"),
			Name: ptr("r"), NukeOnError: ptr(true), OsType: ptr("ubuntu"), OsVersion: ptr("22.04"),
			Overrides: json.RawMessage(`{"a":1}`), Owner: ptr("o"), Pid: ptr("123"),
			Roles: json.RawMessage(`[["mon.a"]]`), SentryEvent: ptr("s"), Branch: ptr("main"),
			Seed: ptr[int64](4242), Sha1: ptr("abc"), Subset: ptr("1/100"), Suite: ptr("rados"),
			SuiteBranch: ptr("main"), SuitePath: ptr("/p"), SuiteRelpath: ptr("qa"), SuiteRepo: ptr("repo"),
			SuiteSha1: ptr("def"), Targets: json.RawMessage(`{"h":"k"}`), Tasks: json.RawMessage(`[{"install":null}]`),
			Timestamp: &ts, TeuthologyBranch: ptr("main"), Verbose: ptr(true), PcpGrafanaUrl: ptr("u"),
			Priority: ptr[int64](100), User: ptr("teuthology"), Queue: ptr("smithi"), PackageSource: ptr("shaman"),
			MonAKernelSha1: ptr("ma"), MonBKernelSha1: ptr("mb"), Posted: t0, Started: &t0, Updated: t0,
		}
	}
	tests := []struct {
		name   string
		body   string
		change func(j *Job)
	}{
		{"empty body", `{}`, func(j *Job) {}},
		{"unknown keys only", `{"bogus": 1, "teuthology_sha1": "x"}`, func(j *Job) {}},
		{"one text field", `{"description": "new"}`, func(j *Job) { j.Description = ptr("new") }},
		{"null clears", `{"description": null, "kernel": null, "duration": null, "verbose": null, "timestamp": null}`,
			func(j *Job) { j.Description, j.Kernel, j.Duration, j.Verbose, j.Timestamp = nil, nil, nil, nil, nil }},
		{"json fields", `{"targets": {"h2": "k2"}, "tasks": []}`, func(j *Job) {
			j.Targets, j.Tasks = json.RawMessage(`{"h2":"k2"}`), json.RawMessage(`[]`)
		}},
		{"normalised keys", `{"nuke-on-error": false, "mon.a_kernel_sha1": "new-a", "mon.b_kernel_sha1": null}`, func(j *Job) {
			j.NukeOnError, j.MonAKernelSha1, j.MonBKernelSha1 = ptr(false), ptr("new-a"), nil
		}},
		{"coerced", `{"pid": 456, "duration": 3600.5, "os_version": 8.6}`, func(j *Job) {
			j.Pid, j.Duration, j.OsVersion = ptr("456"), ptr[int64](3600), ptr("8.6")
		}},
		{"same job_id", `{"job_id": 1}`, func(j *Job) {}},
		{"job_id is never applied", `{"job_id": "2"}`, func(j *Job) {}},
		{"timestamp", `{"timestamp": "2026-02-01_00:00:00"}`, func(j *Job) {
			j.Timestamp = ptr(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
		}},
		{"priority while running", `{"priority": 1}`, func(j *Job) {}},
		{"success", `{"success": true}`, func(j *Job) { j.Status, j.Success = StatusPass, ptr(true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParseJobPatch(t, tt.body)
			got := full()
			p.Apply(&got, false, now)
			want := full()
			tt.change(&want)
			want.Updated = now
			if !reflect.DeepEqual(got, want) {
				gb := AppendJob(nil, &got, nil, func(*Job) string { return "" })
				wb := AppendJob(nil, &want, nil, func(*Job) string { return "" })
				t.Errorf("after %s:\n got %s\nwant %s", tt.body, gb, wb)
			}
		})
	}
}

func TestParseJobFields(t *testing.T) {
	tests := []struct {
		in   string
		want []string // keys AppendJob writes; nil for every key
	}{
		{"", nil},
		{",", nil},
		{" , ,", nil},
		{"job_id", []string{"job_id"}},
		{"status", []string{"job_id", "status"}},
		{" status , description ", []string{"description", "job_id", "status"}},
		{",status,", []string{"job_id", "status"}},
		{"job_id,status,success,updated", []string{"job_id", "status", "success", "updated"}},
		{"updated,success,status,job_id", []string{"job_id", "status", "success", "updated"}},
		{"job_id,description,status,log_href,failure_reason", []string{"log_href", "description", "failure_reason", "job_id", "status"}},
		{"posted,started,updated,mon_a_kernel_sha1", []string{"job_id", "mon_a_kernel_sha1", "posted", "started", "updated"}},
		{"kernel,targets", []string{"job_id", "kernel", "targets"}},
		// A key asked twice appears once (upstream builds a dict).
		{"status,status", []string{"job_id", "status"}},
		{"job_id,job_id", []string{"job_id"}},
		{"description,status,description", []string{"description", "job_id", "status"}},
	}
	j := sampleJob()
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sel, err := ParseJobFields(tt.in)
			if err != nil {
				t.Fatalf("ParseJobFields(%q): %v", tt.in, err)
			}
			if tt.want == nil {
				if sel != nil {
					t.Fatalf("ParseJobFields(%q) = %v, want nil (every key)", tt.in, sel)
				}
				return
			}
			b := AppendJob(nil, &j, sel, func(*Job) string { return "http://logs/1" })
			decodeObject(t, b)
			if got := objectKeys(t, b); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields=%s: keys %v, want %v (%s)", tt.in, got, tt.want, b)
			}
		})
	}
	for _, in := range []string{"bogus", "job_id,bogus", "status,Status", "id", "run_id", "nuke-on-error", "mon.a_kernel_sha1", "results", "status;description"} {
		t.Run("invalid "+in, func(t *testing.T) {
			sel, err := ParseJobFields(in)
			if err == nil {
				t.Fatalf("ParseJobFields(%q) = %v, nil; want an error", in, sel)
			}
			wantInvalid(t, err)
			if msg := ErrorMessage(err); !strings.HasPrefix(msg, "an invalid field was specified") {
				t.Errorf("message %q does not start with %q", msg, "an invalid field was specified")
			}
		})
	}
}

func sampleJob() Job {
	posted := time.Date(2026, 1, 15, 10, 20, 31, 372965000, time.UTC)
	started := time.Date(2026, 1, 15, 10, 20, 32, 572540000, time.UTC)
	updated := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	ts := time.Date(2026, 1, 15, 10, 20, 30, 0, time.UTC)
	return Job{
		ID: 1, RunID: 2, JobID: "1", Status: StatusPass, Success: ptr(true),
		ArchivePath: ptr("/archive/r/1"), Description: ptr("rados/basic/{clusters/fixed-2 \"x\"}"),
		Duration: ptr[int64](3600), Flavor: ptr("default"),
		Kernel:      json.RawMessage(`{"sha1":"distro","kdb":true}`),
		LastInSuite: ptr(false), MachineType: ptr("smithi"), NukeOnError: ptr(true), OsType: ptr("ubuntu"),
		OsVersion: ptr("22.04"), Overrides: json.RawMessage(`{"ceph":{"conf":{"osd":{"debug osd":20}}},"a":"\u0000"}`),
		Pid:   ptr("12345"),
		Roles: json.RawMessage(`[["mon.a","mgr.x","osd.0"],["client.0"]]`), Branch: ptr("main"),
		Seed: ptr[int64](4242), Sha1: ptr("0123"), Suite: ptr("rados"),
		Targets:   json.RawMessage(`{"ubuntu@smithi002":"k2","ubuntu@smithi001":"k1"}`),
		Tasks:     json.RawMessage(`[{"install":null},{"ceph":null}]`),
		Timestamp: &ts, Verbose: ptr(true), Priority: ptr[int64](100), User: ptr("teuthology"),
		Queue: ptr("smithi"), PackageSource: ptr("shaman"), MonAKernelSha1: ptr("deadbeef"),
		Posted: posted, Started: &started, Updated: updated,
	}
}

// AppendJob writes every key, in upstream's order, null when unset.
func TestAppendJobEmpty(t *testing.T) {
	posted := time.Date(2026, 11, 25, 3, 29, 3, 962809000, time.UTC)
	j := Job{ID: 9, RunID: 8, JobID: "77", Status: StatusQueued, Posted: posted, Updated: posted}
	b := AppendJob(nil, &j, nil, func(j *Job) string { return "http://qa-proxy.ceph.com/teuthology/run/" + j.JobID + "/teuthology.log" })
	m := decodeObject(t, b)
	wantWireKeys(t, objectKeys(t, b))
	nonNull := map[string]string{
		"log_href": `"http://qa-proxy.ceph.com/teuthology/run/77/teuthology.log"`,
		"job_id":   `"77"`,
		"status":   `"queued"`,
		"posted":   `"2026-11-25 03:29:03.962809"`,
		"updated":  `"2026-11-25 03:29:03.962809"`,
	}
	for _, k := range jobKeys() {
		want, ok := nonNull[k]
		if !ok {
			want = "null"
		}
		if got := string(m[k]); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	if strings.Contains(string(b), `"id"`) || strings.Contains(string(b), `"run_id"`) {
		t.Errorf("internal ids leaked: %s", b)
	}
}

func TestAppendJobValues(t *testing.T) {
	j := sampleJob()
	b := AppendJob([]byte("prefix:"), &j, nil, func(j *Job) string { return "http://logs/" + j.JobID })
	if !bytes.HasPrefix(b, []byte("prefix:{")) {
		t.Fatalf("AppendJob did not append to its buffer: %s", b)
	}
	b = b[len("prefix:"):]
	m := decodeObject(t, b)
	wantWireKeys(t, objectKeys(t, b))
	want := map[string]string{
		"log_href":          `"http://logs/1"`,
		"archive_path":      `"/archive/r/1"`,
		"description":       `"rados/basic/{clusters/fixed-2 \"x\"}"`,
		"duration":          `3600`,
		"email":             `null`,
		"flavor":            `"default"`,
		"job_id":            `"1"`,
		"kernel":            `{"sha1":"distro","kdb":true}`,
		"last_in_suite":     `false`,
		"nuke_on_error":     `true`,
		"os_version":        `"22.04"`,
		"overrides":         `{"ceph":{"conf":{"osd":{"debug osd":20}}},"a":"\u0000"}`,
		"pid":               `"12345"`,
		"roles":             `[["mon.a","mgr.x","osd.0"],["client.0"]]`,
		"status":            `"pass"`,
		"success":           `true`,
		"seed":              `4242`,
		"targets":           `{"ubuntu@smithi002":"k2","ubuntu@smithi001":"k1"}`,
		"tasks":             `[{"install":null},{"ceph":null}]`,
		"timestamp":         `"2026-01-15 10:20:30"`,
		"verbose":           `true`,
		"priority":          `100`,
		"mon_a_kernel_sha1": `"deadbeef"`,
		"mon_b_kernel_sha1": `null`,
		"posted":            `"2026-01-15 10:20:31.372965"`,
		"started":           `"2026-01-15 10:20:32.572540"`,
		"updated":           `"2026-01-15 12:00:00"`,
	}
	for k, w := range want {
		if got := string(m[k]); got != w {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	// The JSON values are written byte for byte (key order kept, \u0000 kept).
	for _, part := range []string{`"kernel":{"sha1":"distro","kdb":true}`, `"a":"\u0000"`, `"targets":{"ubuntu@smithi002":"k2","ubuntu@smithi001":"k1"}`} {
		if !bytes.Contains(b, []byte(part)) {
			t.Errorf("output lacks %s: %s", part, b)
		}
	}
	// Typed decoding works too.
	var typed struct {
		JobID    string          `json:"job_id"`
		Duration int64           `json:"duration"`
		Success  *bool           `json:"success"`
		Email    *string         `json:"email"`
		Kernel   map[string]any  `json:"kernel"`
		Roles    [][]string      `json:"roles"`
		Targets  json.RawMessage `json:"targets"`
	}
	if err := json.Unmarshal(b, &typed); err != nil {
		t.Fatal(err)
	}
	if typed.JobID != "1" || typed.Duration != 3600 || typed.Success == nil || !*typed.Success || typed.Email != nil ||
		typed.Kernel["sha1"] != "distro" || len(typed.Roles) != 2 || typed.Roles[0][1] != "mgr.x" {
		t.Errorf("typed decoding = %+v", typed)
	}
}

// A job parsed from teuthology's body (paddles-api.md Appendix B) and written back keeps what was sent.
func TestParseApplyAppendRoundTrip(t *testing.T) {
	body := `{"name": "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi", "job_id": "1",
		"description": "rados/basic/{clusters/fixed-2 objectstore/bluestore tasks/rados_api_tests}",
		"owner": "scheduled_teuthology@teuthology", "machine_type": "smithi", "os_type": "ubuntu",
		"os_version": "22.04", "branch": "main", "sha1": "0123456789abcdef0123456789abcdef01234567",
		"suite": "rados", "flavor": "default", "priority": 100, "user": "teuthology", "queue": "smithi",
		"last_in_suite": false, "nuke-on-error": true, "verbose": true, "teuthology_branch": "main",
		"teuthology_sha1": "aaaabbbbccccddddeeeeffff0000111122223333", "seed": 4242, "subset": "1/100",
		"sleep_before_teardown": 0, "repo": "https://github.com/ceph/ceph.git",
		"roles": [["mon.a", "mgr.x", "osd.0"], ["client.0"]], "tasks": [{"install": null}, {"ceph": null}],
		"overrides": {"ceph": {"conf": {"osd": {"debug osd": 20}}}}, "kernel": {"kdb": true, "sha1": "distro"},
		"timestamp": "2026-01-15_10:20:30", "status": "queued", "mon.a_kernel_sha1": "deadbeef",
		"some_unknown_key": {"x": 1}, "package_source": "shaman"}`
	p := mustParseJobPatch(t, body)
	now := time.Date(2026, 11, 25, 3, 29, 3, 372965000, time.UTC)
	id, _ := p.JobID()
	j := Job{JobID: id}
	p.Apply(&j, true, now)
	b := AppendJob(nil, &j, nil, func(*Job) string { return "L" })
	m := decodeObject(t, b)
	for k, want := range map[string]string{
		"job_id": `"1"`, "status": `"queued"`, "nuke_on_error": `true`, "mon_a_kernel_sha1": `"deadbeef"`,
		"priority": `100`, "timestamp": `"2026-01-15 10:20:30"`, "kernel": `{"kdb":true,"sha1":"distro"}`,
		"overrides": `{"ceph":{"conf":{"osd":{"debug osd":20}}}}`, "success": `null`, "started": `null`,
		"posted": `"2026-11-25 03:29:03.372965"`, "updated": `"2026-11-25 03:29:03.372965"`, "seed": `4242`,
	} {
		if got := string(m[k]); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	for _, k := range []string{"teuthology_sha1", "repo", "sleep_before_teardown", "some_unknown_key", "nuke-on-error", "mon.a_kernel_sha1"} {
		if _, ok := m[k]; ok {
			t.Errorf("output has key %q", k)
		}
	}
}

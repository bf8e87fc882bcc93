package paddles

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// upstreamRunKeys is the key order of upstream's Run.__json__ (paddles-api.md 5.1), then the
// tags of ceph/paddles#140.
var upstreamRunKeys = []string{"name", "href", "user", "status", "results", "jobs_count", "posted", "scheduled",
	"started", "updated", "branch", "suite", "machine_type", "sha1", "priority", "flavor", "tags"}

func TestResultsTotal(t *testing.T) {
	tests := []struct {
		r    Results
		want int64
	}{
		{Results{}, 0},
		{Results{Queued: 1}, 1},
		{Results{Pass: 2, Fail: 3}, 5},
		{Results{Queued: 1, Pass: 2, Running: 3, Waiting: 4, Fail: 5, Dead: 6, Unknown: 7, Sha1: ptr("x")}, 28},
	}
	for _, tt := range tests {
		if got := tt.r.Total(); got != tt.want {
			t.Errorf("%+v.Total() = %d, want %d", tt.r, got, tt.want)
		}
	}
}

// A run without jobs: every key present, "none" sha1 and flavor, null where unset.
func TestAppendRunEmpty(t *testing.T) {
	r := Run{
		Name:      "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi",
		User:      "teuthology",
		Status:    "empty",
		Posted:    time.Date(2026, 11, 25, 3, 29, 2, 751264000, time.UTC),
		Scheduled: time.Date(2026, 1, 15, 10, 20, 30, 0, time.UTC),
	}
	href := "http://paddles.example.com/runs/" + r.Name + "/"
	b := AppendRun(nil, &r, nil, href, false)
	m := decodeObject(t, b)
	if got := objectKeys(t, b); !reflect.DeepEqual(got, upstreamRunKeys) {
		t.Errorf("keys:\n got %v\nwant %v", got, upstreamRunKeys)
	}
	want := map[string]string{
		"name":         `"teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi"`,
		"href":         `"` + href + `"`,
		"user":         `"teuthology"`,
		"status":       `"empty"`,
		"results":      `{"queued":0,"pass":0,"running":0,"waiting":0,"fail":0,"dead":0,"unknown":0,"total":0,"sha1":"none","flavor":"none"}`,
		"jobs_count":   `0`,
		"posted":       `"2026-11-25 03:29:02.751264"`,
		"scheduled":    `"2026-01-15 10:20:30"`,
		"started":      `null`,
		"updated":      `null`,
		"branch":       `null`,
		"suite":        `null`,
		"machine_type": `null`,
		"sha1":         `"none"`,
		"priority":     `null`,
		"flavor":       `"none"`,
	}
	for k, w := range want {
		if got := string(m[k]); got != w {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	// A run whose first job has a sha1 keeps "none" while it has no jobs.
	r.Results.Sha1, r.Results.Flavor = ptr("abc"), ptr("crimson")
	m = decodeObject(t, AppendRun(nil, &r, nil, href, false))
	if string(m["sha1"]) != `"none"` || string(m["flavor"]) != `"none"` {
		t.Errorf("no jobs: sha1 = %s, flavor = %s; want \"none\"", m["sha1"], m["flavor"])
	}
}

func TestAppendRunValues(t *testing.T) {
	started := time.Date(2026, 1, 15, 10, 21, 0, 500000000, time.UTC)
	updated := time.Date(2026, 1, 15, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		run  Run
		want map[string]string
	}{
		{
			name: "counts and first job values",
			run: Run{
				Name: "alice-2026-01-15_11:00:00-rbd-main-distro-default-smithi", User: "alice", Status: "finished fail",
				Results: Results{Queued: 1, Pass: 2, Running: 0, Waiting: 0, Fail: 3, Dead: 4, Unknown: 5,
					Sha1: ptr("abcdef"), Flavor: ptr("crimson")},
				Posted:    time.Date(2026, 11, 25, 3, 29, 3, 925086000, time.UTC),
				Scheduled: time.Date(2026, 1, 15, 11, 0, 0, 0, time.UTC),
				Started:   &started, Updated: &updated,
				Branch: ptr("main"), Suite: ptr("rbd"), MachineType: ptr("smithi"), Priority: ptr[int64](100),
			},
			want: map[string]string{
				"status":       `"finished fail"`,
				"results":      `{"queued":1,"pass":2,"running":0,"waiting":0,"fail":3,"dead":4,"unknown":5,"total":15,"sha1":"abcdef","flavor":"crimson"}`,
				"jobs_count":   `15`,
				"started":      `"2026-01-15 10:21:00.500000"`,
				"updated":      `"2026-01-15 11:00:00"`,
				"branch":       `"main"`,
				"suite":        `"rbd"`,
				"machine_type": `"smithi"`,
				"sha1":         `"abcdef"`,
				"priority":     `100`,
				"flavor":       `"crimson"`,
			},
		},
		{
			name: "first job without sha1 or flavor",
			run: Run{
				Name: "r", Status: "queued", Results: Results{Queued: 1},
				Branch: ptr(""), Suite: ptr(""), MachineType: ptr(""),
			},
			want: map[string]string{
				"user":         `""`,
				"results":      `{"queued":1,"pass":0,"running":0,"waiting":0,"fail":0,"dead":0,"unknown":0,"total":1,"sha1":null,"flavor":null}`,
				"jobs_count":   `1`,
				"sha1":         `null`,
				"flavor":       `null`,
				"branch":       `""`,
				"priority":     `null`,
				"posted":       `"0001-01-01 00:00:00"`,
				"machine_type": `""`,
			},
		},
		{
			name: "tricky strings",
			run: Run{
				Name: "a\"b\\c\u2028d", User: "ü", Status: "running", Results: Results{Running: 1},
				Suite: ptr("tab\there"),
			},
			want: map[string]string{
				"name":  `"a\"b\\c` + "\u2028" + `d"`,
				"user":  `"ü"`,
				"suite": `"tab\there"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := AppendRun([]byte("["), &tt.run, nil, "http://h/runs/x/", false)
			if b[0] != '[' {
				t.Fatalf("AppendRun did not append to its buffer: %s", b)
			}
			b = b[1:]
			m := decodeObject(t, b)
			if got := objectKeys(t, b); !reflect.DeepEqual(got, upstreamRunKeys) {
				t.Errorf("keys:\n got %v\nwant %v", got, upstreamRunKeys)
			}
			for k, w := range tt.want {
				if got := string(m[k]); got != w {
					t.Errorf("%s = %s, want %s", k, got, w)
				}
			}
			var typed struct {
				Name    string `json:"name"`
				Results struct {
					Total int64 `json:"total"`
				} `json:"results"`
				JobsCount int64 `json:"jobs_count"`
			}
			if err := json.Unmarshal(b, &typed); err != nil {
				t.Fatal(err)
			}
			if typed.Name != tt.run.Name || typed.Results.Total != tt.run.Results.Total() || typed.JobsCount != tt.run.Results.Total() {
				t.Errorf("typed decoding = %+v", typed)
			}
		})
	}
}

// open leaves the object open so that the caller can add "jobs".
func TestAppendRunOpen(t *testing.T) {
	r := Run{Name: "r", Status: "empty"}
	for _, sel := range []RunFields{nil, {"name": true}, {"status": true, "results": true}} {
		b := AppendRun(nil, &r, sel, "http://h/runs/r/", true)
		if closed := AppendRun(nil, &r, sel, "http://h/runs/r/", false); string(closed) != string(b)+"}" {
			t.Errorf("open object %s is not the closed one %s without its brace", b, closed)
		}
		b = append(b, `,"jobs":[]}`...)
		m := decodeObject(t, b)
		if string(m["jobs"]) != `[]` {
			t.Errorf("jobs = %s", m["jobs"])
		}
		keys := objectKeys(t, b)
		if keys[len(keys)-1] != "jobs" {
			t.Errorf("keys = %v, want jobs last", keys)
		}
	}
}

func TestParseRunFields(t *testing.T) {
	r := Run{Name: "r", User: "u", Status: "queued", Results: Results{Queued: 2, Sha1: ptr("s")}}
	tests := []struct {
		in   string
		want []string // nil for every key
	}{
		{"", nil},
		{",", nil},
		{" , ", nil},
		{"name", []string{"name"}},
		{"status", []string{"status"}},
		{"name,status,posted,href", []string{"name", "href", "status", "posted"}},
		{" results , name ", []string{"name", "results"}},
		{",name,", []string{"name"}},
		{"name,name", []string{"name"}},
		{"jobs_count,sha1,flavor,priority", []string{"jobs_count", "sha1", "priority", "flavor"}},
		{strings.Join(upstreamRunKeys, ","), upstreamRunKeys},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sel, err := ParseRunFields(tt.in)
			if err != nil {
				t.Fatalf("ParseRunFields(%q): %v", tt.in, err)
			}
			if tt.want == nil {
				if sel != nil {
					t.Fatalf("ParseRunFields(%q) = %v, want nil (every key)", tt.in, sel)
				}
				return
			}
			b := AppendRun(nil, &r, sel, "http://h/runs/r/", false)
			decodeObject(t, b)
			if got := objectKeys(t, b); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields=%s: keys %v, want %v (%s)", tt.in, got, tt.want, b)
			}
		})
	}
	for _, in := range []string{"bogus", "name,bogus", "Name", "id", "jobs", "results.total", "name;status"} {
		t.Run("invalid "+in, func(t *testing.T) {
			sel, err := ParseRunFields(in)
			if err == nil {
				t.Fatalf("ParseRunFields(%q) = %v, nil; want an error", in, sel)
			}
			wantInvalid(t, err)
			if msg := ErrorMessage(err); !strings.HasPrefix(msg, "an invalid field was specified") {
				t.Errorf("message %q does not start with %q", msg, "an invalid field was specified")
			}
		})
	}
}

func TestValidateRunName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string // "" when valid
	}{
		{"teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi", ""},
		{"auto-created-run", ""},
		{"with space", ""},
		{"ünïcödé", ""},
		{strings.Repeat("a", 512), ""},
		{"", "could not find required key: 'name'"},
		{"a/b", "may not contain '/'"},
		{"/", "may not contain '/'"},
		{"a\nb", "control characters"},
		{"a\x00b", "control characters"},
		{"a\tb", "control characters"},
		{"a\u0085b", "control characters"},
		{strings.Repeat("a", 513), "longer than 512 bytes"},
	}
	for _, tt := range tests {
		err := ValidateRunName(tt.name)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("ValidateRunName(%q): %v", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateRunName(%q) = nil, want an error", tt.name)
			continue
		}
		wantInvalid(t, err, tt.wantErr)
	}
}

// Issue 18 item 1: tags on create and update.
func TestParseTags(t *testing.T) {
	long := strings.Repeat("x", MaxTagLen+1)
	many := `[` + strings.Repeat(`"t",`, MaxTags) + `"last"]`
	for i := 0; i <= MaxTags; i++ {
		many = strings.Replace(many, `"t",`, fmt.Sprintf(`"t%d",`, i), 1)
	}
	tests := []struct {
		tags    string // the value of "tags"; "" for none
		want    []string
		wantErr string
	}{
		{"", []string{}, ""},
		{`null`, []string{}, ""},
		{`[]`, []string{}, ""},
		{`["nightly", "v19.2.1", "nightly", "rc 1"]`, []string{"nightly", "v19.2.1", "rc 1"}, ""},
		{`"nightly"`, nil, "invalid value for 'tags': must be an array of strings"},
		{`[1]`, nil, "invalid value for 'tags': must be an array of strings"},
		{`["a", null]`, nil, "invalid value for 'tags': must be an array of strings"},
		{`[""]`, nil, `invalid tag "": a tag may not be empty`},
		{`["a,b"]`, nil, `invalid tag "a,b": it may not contain ',' or '/'`},
		{`["a/b"]`, nil, `invalid tag "a/b": it may not contain ',' or '/'`},
		{`["a\u000ab"]`, nil, "control characters"},
		{`["` + long + `"]`, nil, "longer than 100 bytes"},
		{many, nil, "more than 50 tags"},
	}
	for _, tt := range tests {
		body := `{"name": "run"}`
		if tt.tags != "" {
			body = `{"name": "run", "tags": ` + tt.tags + `}`
		}
		run, err := ParseRunBody([]byte(body))
		if tt.wantErr != "" {
			wantInvalid(t, err, tt.wantErr)
		} else if err != nil || !slices.Equal(run.Tags, tt.want) || run.Tags == nil {
			t.Errorf("ParseRunBody(%s): tags %q, %v; want %q", body, run.Tags, err, tt.want)
		}
		if tt.tags == "" {
			continue
		}
		tags, err := ParseRunUpdate([]byte(`{"tags": ` + tt.tags + `}`))
		if tt.wantErr != "" {
			wantInvalid(t, err, tt.wantErr)
		} else if err != nil || !slices.Equal(tags, tt.want) {
			t.Errorf("ParseRunUpdate(%s): %q, %v; want %q", tt.tags, tags, err, tt.want)
		}
	}
	_, err := ParseRunUpdate([]byte(`{"name": "x"}`))
	wantInvalid(t, err, "could not find required key: 'tags'")
}

func TestParseRunBody(t *testing.T) {
	tests := []struct {
		body    string
		want    string
		wantErr string // "" when valid
	}{
		{`{"name": "run-1"}`, "run-1", ""},
		{`{"name": "run-1", "other": [1, 2], "user": 5}`, "run-1", ""},
		{` {"name": "r\u00e9"} `, "ré", ""},
		{`{}`, "", "could not find required key: 'name'"},
		{`{"other": "x"}`, "", "could not find required key: 'name'"},
		{`{"name": null}`, "", "could not find required key: 'name'"},
		{`{"name": ""}`, "", "could not find required key: 'name'"},
		{`{"name": 5}`, "", "invalid value for 'name': must be a string"},
		{`{"name": true}`, "", "invalid value for 'name': must be a string"},
		{`{"name": ["a"]}`, "", "invalid value for 'name': must be a string"},
		{`{"name": {"a": 1}}`, "", "invalid value for 'name': must be a string"},
		{`{"name": "a\u0000b"}`, "", "'name'"},
		{`{"name": "a/b"}`, "", "may not contain '/'"},
		{`{"name": "a\nb"}`, "", "control characters"},
		{`[]`, "", "could not decode JSON body"},
		{`"run"`, "", "could not decode JSON body"},
		{`null`, "", "could not decode JSON body"},
		{``, "", "could not decode JSON body"},
		{`{"name": "a"} {"name": "b"}`, "", "could not decode JSON body"},
		{`{"name": "a"}}`, "", "could not decode JSON body"},
	}
	for _, tt := range tests {
		run, err := ParseRunBody([]byte(tt.body))
		got := run.Name
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseRunBody(%s) = %q, %v; want %q", tt.body, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseRunBody(%s) = %q, nil; want an error", tt.body, got)
			continue
		}
		wantInvalid(t, err, tt.wantErr)
	}
}

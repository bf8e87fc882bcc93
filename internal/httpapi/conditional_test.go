package httpapi_test

import (
	"fmt"
	"regexp"
	"testing"
)

// strongTag is the form of the server's entity tags: 16 hex digits, quoted, never weak.
var strongTag = regexp.MustCompile(`^"[0-9a-f]{16}"$`)

// tagOf checks a 200 answer's conditional headers and returns its ETag.
func tagOf(t *testing.T, what string, r response) string {
	t.Helper()
	r.must(t, 200)
	tag := r.Header.Get("ETag")
	if !strongTag.MatchString(tag) {
		t.Fatalf("%s: ETag %q, want a strong tag", what, tag)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("%s: Cache-Control %q, want no-cache", what, cc)
	}
	return tag
}

// notModified checks a 304 answer: no body, the tag, Cache-Control.
func notModified(t *testing.T, what string, r response, tag string) {
	t.Helper()
	if r.Status != 304 {
		t.Fatalf("%s: status %d, want 304; body %.200s", what, r.Status, r.Body)
	}
	if len(r.Body) != 0 {
		t.Errorf("%s: 304 with a body: %q", what, r.Body)
	}
	if got := r.Header.Get("ETag"); got != tag {
		t.Errorf("%s: 304 with ETag %q, want %q", what, got, tag)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("%s: 304 with Cache-Control %q, want no-cache", what, cc)
	}
}

// Issue 19: every read a poller repeats answers with an ETag, If-None-Match answers 304 with no
// body (the tag, "*", a list, a weak form), HEAD answers the same tag, and a write changes it: a
// stale If-None-Match then gets 200 with the new answer and its new tag.
func TestConditionalReads(t *testing.T) {
	c := newServer(t)
	const other = "teuthology-2026-01-16_00:00:00-rbd-squid-distro-default-mira"
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "1", "status": "running", "branch": "main", "suite": "rados", "machine_type": "smithi"}).must(t, 200)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "2", "status": "queued", "branch": "main", "suite": "rados", "machine_type": "smithi"}).must(t, 200)
	c.post("/runs/"+other+"/jobs/", object{"job_id": "1", "status": "pass", "branch": "squid", "suite": "rbd"}).must(t, 200)
	const node = "smithi001.front.sepia.ceph.com"
	c.post("/nodes/", object{"name": node, "machine_type": "smithi", "up": true, "locked": false}).must(t, 200)

	n := 0
	newJob := func() {
		n++
		c.post("/runs/"+runName+"/jobs/", object{"job_id": fmt.Sprint(100 + n), "status": "pass"}).must(t, 200)
	}
	passJob := func() { c.put("/runs/"+runName+"/jobs/1/", object{"status": "pass", "success": true}).must(t, 200) }
	for _, tc := range []struct {
		path  string
		write func()
	}{
		{"/runs/", newJob},
		{"/runs/?branch=main&fields=name,status,results", passJob},
		{"/runs/branch/main/", passJob},
		{"/runs/branch/main/suite/rados/", passJob}, // a nested filter path
		{"/runs/branch/", func() {
			c.post("/runs/x-2026-01-17_00:00:00-fs-tentacle-distro-default-smithi/jobs/", object{"job_id": "1", "branch": "tentacle"})
		}},
		{"/runs/branch/main/suite/", func() {
			c.post("/runs/y-2026-01-18_00:00:00-rgw-main-distro-default-smithi/jobs/", object{"job_id": "1", "branch": "main", "suite": "rgw"})
		}},
		{"/runs/date/from/2026-01-15/to/2026-01-16/", passJob},
		{"/runs/queued/", func() { c.put("/runs/"+runName+"/jobs/2/", object{"status": "running"}).must(t, 200) }},
		{"/runs/" + runName + "/", passJob},
		{"/runs/" + runName + "/summary/", func() { c.put("/runs/"+runName+"/", object{"tags": []string{"nightly"}}).must(t, 200) }},
		{"/runs/" + runName + "/summary/?job_fields=status", passJob},
		{"/runs/" + runName + "/jobs/", newJob},
		{"/runs/" + runName + "/jobs/?status=running&fields=status", func() { c.put("/runs/"+runName+"/jobs/2/", object{"status": "dead"}).must(t, 200) }},
		{"/runs/" + runName + "/jobs/1/", passJob},
		{"/jobs/?status=pass", newJob},
		{"/nodes/", func() { c.put("/nodes/"+node+"/", object{"up": false}).must(t, 200) }},
		{"/nodes/" + node + "/", func() { c.put("/nodes/"+node+"/", object{"description": "reimaged"}).must(t, 200) }},
		{"/nodes/machine_types/", func() {
			c.post("/nodes/", object{"name": fmt.Sprintf("mira%03d", n), "machine_type": "mira"}).must(t, 200)
		}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			first := c.get(tc.path)
			tag := tagOf(t, "GET", first)
			if again := tagOf(t, "GET again", c.get(tc.path)); again != tag {
				t.Errorf("the same answer has two tags: %s, %s", tag, again)
			}
			for _, inm := range []string{tag, "W/" + tag, `"0000000000000000", ` + tag, "*"} {
				notModified(t, "If-None-Match: "+inm, c.do("GET", tc.path, nil, "If-None-Match", inm), tag)
			}
			if r := c.do("GET", tc.path, nil, "If-None-Match", `"0000000000000000"`); tagOf(t, "another tag", r) != tag || string(r.Body) != string(first.Body) {
				t.Errorf("If-None-Match of another tag: %s, want the answer again", r.Body)
			}
			if tc.path != "/runs/"+runName+"/" { // below
				if got := tagOf(t, "HEAD", c.head(tc.path)); got != tag {
					t.Errorf("HEAD answers ETag %s, GET %s", got, tag)
				}
			}
			notModified(t, "HEAD with If-None-Match", c.do("HEAD", tc.path, nil, "If-None-Match", tag), tag)

			tc.write()
			fresh := c.do("GET", tc.path, nil, "If-None-Match", tag)
			newTag := tagOf(t, "after a write, the old tag", fresh)
			if newTag == tag || string(fresh.Body) == string(first.Body) {
				t.Fatalf("the write changed nothing: tag %s, body %.300s", newTag, fresh.Body)
			}
			if plain := c.get(tc.path); string(plain.Body) != string(fresh.Body) || plain.Header.Get("ETag") != newTag {
				t.Errorf("a stale If-None-Match got another answer than GET's")
			}
			notModified(t, "the new tag", c.do("GET", tc.path, nil, "If-None-Match", newTag), newTag)
		})
	}

	// The paging headers are in the tag: the same (empty) page of a longer listing is another answer.
	empty := c.get("/runs/?count=0")
	tag := tagOf(t, "an empty page", empty)
	newJob()
	c.post("/runs/", object{"name": "z-2026-01-19_00:00:00-fs-main-distro-default-smithi"}).must(t, 200)
	if r := c.do("GET", "/runs/?count=0", nil, "If-None-Match", tag); tagOf(t, "a longer listing's empty page", r) == tag || string(r.Body) != "[]" {
		t.Errorf("X-Total-Count %s with the tag of a shorter listing's page", r.Header.Get("X-Total-Count"))
	}
	jobsTag := tagOf(t, "/jobs/?count=0", c.get("/jobs/?count=0"))
	newJob()
	if r := c.do("GET", "/jobs/?count=0", nil, "If-None-Match", jobsTag); r.Status != 200 {
		t.Errorf("/jobs/?count=0 with one more job: %d", r.Status)
	}

	// HEAD of a run, teuthology's existence check, reads no jobs unless it is conditional.
	run := "/runs/" + runName + "/"
	runTag := tagOf(t, "GET run", c.get(run))
	if r := c.head(run).must(t, 200); r.Header.Get("ETag") != "" {
		t.Errorf("a plain HEAD of a run carries ETag %s", r.Header.Get("ETag"))
	}
	notModified(t, "HEAD run, If-None-Match", c.do("HEAD", run, nil, "If-None-Match", runTag), runTag)
	if r := c.do("HEAD", run, nil, "If-None-Match", `"0000000000000000"`); tagOf(t, "HEAD run, another tag", r) != runTag {
		t.Errorf("HEAD run with another tag: ETag %s, want %s", r.Header.Get("ETag"), runTag)
	}
	c.do("HEAD", "/runs/nope/", nil, "If-None-Match", runTag).must(t, 404)
	c.do("HEAD", "/runs/"+runName+"/jobs/nope/", nil, "If-None-Match", runTag).must(t, 404)

	// Errors carry no tag, and writes are not conditional.
	if r := c.do("GET", "/runs/nope/", nil, "If-None-Match", "*").must(t, 404); r.Header.Get("ETag") != "" {
		t.Errorf("a 404 carries ETag %s", r.Header.Get("ETag"))
	}
	if r := c.do("PUT", "/runs/"+runName+"/jobs/1/", `{"status": "pass"}`, "If-None-Match", "*"); r.Status != 200 || r.Header.Get("ETag") != "" {
		t.Errorf("a PUT with If-None-Match: %d, ETag %q", r.Status, r.Header.Get("ETag"))
	}
}

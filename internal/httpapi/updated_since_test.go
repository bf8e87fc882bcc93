package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Issue 19: ?updated_since= on /runs/, /runs/{name}/jobs/ and /jobs/ selects what was updated at
// or after a time (the bound included), in the API's timestamp format or RFC 3339, with the other
// filters and paging; a bad value answers 400.
func TestUpdatedSince(t *testing.T) {
	var clock atomic.Int64 // the service's clock, in Unix microseconds
	at := func(s string) {
		tm, err := time.Parse("2006-01-02 15:04:05.999999", s)
		if err != nil {
			t.Fatal(err)
		}
		clock.Store(tm.UnixMicro())
	}
	c := newServer(t, func(o *serverOptions) {
		o.Service.Now = func() time.Time { return time.UnixMicro(clock.Load()) }
	})
	const (
		a = "teuthology-2026-03-01_00:00:00-rados-main-distro-default-smithi"
		b = "teuthology-2026-03-01_01:00:00-rbd-squid-distro-default-smithi"
		d = "teuthology-2026-03-01_02:00:00-fs-main-distro-default-smithi"
	)
	at("2026-03-01 10:00:00")
	c.post("/runs/"+a+"/jobs/", object{"job_id": "1", "status": "running", "branch": "main"}).must(t, 200)
	c.post("/runs/"+b+"/jobs/", object{"job_id": "1", "status": "running", "branch": "squid"}).must(t, 200)
	c.post("/runs/", object{"name": "alice-2026-03-01_03:00:00-rgw-main-distro-default-smithi"}).must(t, 200) // no jobs: updated is null
	at("2026-03-01 10:00:01.5")
	c.post("/runs/"+a+"/jobs/", object{"job_id": "2", "status": "queued", "branch": "main"}).must(t, 200)
	at("2026-03-01 10:00:02.25")
	c.put("/runs/"+b+"/jobs/1/", object{"status": "pass", "success": true}).must(t, 200)
	at("2026-03-01 10:00:03")
	c.post("/runs/"+d+"/jobs/", object{"job_id": "1", "status": "pass", "branch": "main"}).must(t, 200)

	runs := func(query string) string {
		t.Helper()
		r := c.get("/runs/?"+query).must(t, 200)
		var out []string
		for _, run := range decode[[]object](t, r) {
			out = append(out, strings.SplitN(strings.TrimPrefix(run["name"].(string), "teuthology-2026-03-01_"), "-", 2)[0])
		}
		return strings.Join(out, " ") + " total " + r.Header.Get("X-Total-Count")
	}
	since := func(s string) string { return "updated_since=" + url.QueryEscape(s) }
	for _, tc := range []struct{ query, want string }{
		{since("2026-03-01 10:00:00"), "02:00:00 01:00:00 00:00:00 total 3"}, // newest posted first; the run without jobs never
		{since("2026-03-01 09:00:00") + "&sort=-scheduled", "02:00:00 01:00:00 00:00:00 total 3"},
		{since("2026-03-01 10:00:01.5"), "02:00:00 01:00:00 00:00:00 total 3"}, // the bound is included
		{since("2026-03-01 10:00:01.500001"), "02:00:00 01:00:00 total 2"},
		{since("2026-03-01 10:00:02.250000"), "02:00:00 01:00:00 total 2"},
		{since("2026-03-01T10:00:02.25"), "02:00:00 01:00:00 total 2"},
		{since("2026-03-01T10:00:02.25Z"), "02:00:00 01:00:00 total 2"},
		{since("2026-03-01T12:00:02.25+02:00"), "02:00:00 01:00:00 total 2"},
		{"updated_since=2026-03-01T12:00:02.25+02:00", "02:00:00 01:00:00 total 2"}, // the "+" unescaped reads as a space
		{since("2026-03-01T10:00:02.249999001Z"), "02:00:00 01:00:00 total 2"},      // rounded up to .250000
		{since("2026-03-01T10:00:02.250000001Z"), "02:00:00 total 1"},               // to .250001
		{since("2026-03-01 10:00:03.000001"), " total 0"},
		{since("2026-03-01 10:00:01") + "&branch=main", "02:00:00 00:00:00 total 2"},
		{since("2026-03-01 10:00:01") + "&branch=main&count=1&page=2", "00:00:00 total 2"},
		{since("2026-03-01 10:00:01") + "&branch=main&since=2026-03-01&until=2026-03-01", "02:00:00 00:00:00 total 2"},
		{since("2026-03-01 10:00:02") + "&status=finished%20pass", "02:00:00 01:00:00 total 2"},
		{since("2026-03-01 10:00:00") + "&fields=name,updated&count=1", "02:00:00 total 3"},
	} {
		if got := runs(tc.query); got != tc.want {
			t.Errorf("/runs/?%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	// The runs' updated is their latest job write's, which is what the filter reads.
	if got := decode[[]object](t, c.get("/runs/?"+since("2026-03-01 10:00:02.25")+"&fields=name,updated"))[1]["updated"]; got != "2026-03-01 10:00:02.250000" {
		t.Errorf("run %s updated %v", b, got)
	}

	jobs := func(path string) string {
		t.Helper()
		r := c.get(path).must(t, 200)
		var out []string
		for _, j := range decode[[]object](t, r) {
			out = append(out, fmt.Sprint(j["job_id"], "/", j["status"]))
		}
		return strings.Join(out, " ") + " total " + r.Header.Get("X-Total-Count")
	}
	for _, tc := range []struct{ path, want string }{
		{"/runs/" + a + "/jobs/?" + since("2026-03-01 10:00:00"), "2/queued 1/running total "},
		{"/runs/" + a + "/jobs/?" + since("2026-03-01 10:00:01.5"), "2/queued total "},
		{"/runs/" + a + "/jobs/?" + since("2026-03-01 10:00:01.500001"), " total "},
		{"/runs/" + a + "/jobs/?" + since("2026-03-01T10:00:00Z") + "&status=running&fields=status", "1/running total "},
		{"/runs/" + b + "/jobs/?" + since("2026-03-01 10:00:02.25"), "1/pass total "},
		{"/jobs/?" + since("2026-03-01 10:00:02.25"), "1/pass 1/pass total 2"},
		{"/jobs/?" + since("2026-03-01 10:00:02.250001"), "1/pass total 1"},
		{"/jobs/?" + since("2026-03-01 10:00:00"), "1/pass 2/queued 1/pass 1/running total 4"},
		{"/jobs/?" + since("2026-03-01 10:00:00") + "&status=pass,queued&count=2&page=2", "1/pass total 3"},
		{"/jobs/?" + since("2026-03-01 10:00:00") + "&branch=main&status=running", "1/running total 1"},
		{"/jobs/?" + since("2026-03-01 10:00:00") + "&description=x", " total 0"},
	} {
		if got := jobs(tc.path); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.path, got, tc.want)
		}
	}
	// /jobs/ reads the job's own updated: job 1 of b was posted first and updated later.
	if got := decode[[]object](t, c.get("/jobs/?"+since("2026-03-01 10:00:02.25")))[1]; got["updated"] != "2026-03-01 10:00:02.250000" {
		t.Errorf("job %v", got)
	}

	const msg = `updated_since must be a time as the API prints them, YYYY-MM-DD HH:MM:SS[.ffffff] (UTC), or RFC 3339 with a zone, e.g. 2026-01-15T10:20:30.5Z: %q`
	for _, bad := range []string{"", "yesterday", "2026-03-01", "2026-13-01 00:00:00", "2026-03-01 10:00", "1772359200", "2026-03-01 10:00:00 UTC"} {
		for _, path := range []string{"/runs/", "/runs/" + a + "/jobs/", "/jobs/"} {
			c.get(path+"?"+since(bad)).wantError(t, 400, fmt.Sprintf(msg, bad))
		}
	}
	c.get("/runs/nope/jobs/?"+since("2026-03-01 10:00:00")).must(t, 404)
}

package httpapi_test

import (
	"crypto/md5"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// A job of a seeded run: its test, how it ends ("" leaves it running) and where it ran.
type seedJob struct {
	id, test, status, reason, node string
}

// regressionLab is a server whose every write is stamped with the time of that write, set by
// the test: runs of one suite posted over several days, as teuthology reports them.
type regressionLab struct {
	t   *testing.T
	c   *client
	now time.Time
}

func newRegressionLab(t *testing.T) *regressionLab {
	l := &regressionLab{t: t}
	clock := func() time.Time { return l.now }
	l.c = newServer(t, func(o *serverOptions) { o.Now = clock; o.Service.Now = clock })
	return l
}

// run reports a run's jobs as teuthology does, at its scheduled time: each job posted queued,
// then running on its node a minute later, then (when it has a status) its outcome.
func (l *regressionLab) run(name, sha1 string, at time.Time, jobs ...seedJob) {
	l.t.Helper()
	info := strings.Split(name, "-")
	suite, branch, machineType := info[len(info)-5], info[len(info)-4], info[len(info)-1]
	path := "/runs/" + url.PathEscape(name) + "/jobs/"
	for i, j := range jobs {
		l.now = at.Add(time.Duration(i) * time.Second)
		l.c.post(path, object{"job_id": j.id, "name": name, "description": testDescription(j.test), "status": "queued",
			"suite": suite, "branch": branch, "machine_type": machineType, "sha1": sha1}).must(l.t, 200)
	}
	for i, j := range jobs {
		l.now = at.Add(time.Minute + time.Duration(i)*time.Second)
		l.c.put(path+j.id+"/", object{"status": "running",
			"targets": object{"ubuntu@" + j.node + ".front.sepia.ceph.com": "ssh-ed25519 AAAA"}}).must(l.t, 200)
	}
	for i, j := range jobs {
		if j.status == "" {
			continue
		}
		l.now = at.Add(30*time.Minute + time.Duration(i)*time.Second)
		body := object{"status": j.status, "success": j.status == "pass", "duration": 1700}
		if j.reason != "" {
			body["failure_reason"] = j.reason
		}
		l.c.put(path+j.id+"/", body).must(l.t, 200)
	}
}

func testDescription(test string) string {
	return "rados/thrash/{clusters/{fixed-2} msgr-failures/fastclose objectstore/bluestore-hybrid workloads/" + test + "}"
}

// commandFailed is one failure, as teuthology words it on a given node.
func commandFailed(node string) string {
	return "Command failed on " + node + " with status 1: 'sudo adjust-ulimits ceph-coverage /usr/bin/ceph_test_rados --max-ops 4000'"
}

// regressionRun names a run of rados on branch on smithi, scheduled at.
func regressionRun(at time.Time, branch, machineType string) string {
	return "teuthology-" + at.Format("2006-01-02_15:04:05") + "-rados-" + branch + "-distro-default-" + machineType
}

// Acceptance: a run compared with the previous run of its suite, branch and machine type, or
// with a named one; every list, reruns, unfinished jobs, the same failure on two nodes, a flake
// on one sha1, no previous run, and the errors.
func TestRunRegressions(t *testing.T) {
	l := newRegressionLab(t)
	day := func(d int) time.Time { return time.Date(2026, 1, 11+d, 20, 0, 0, 0, time.UTC) }
	r1, r2, r3 := regressionRun(day(1), "main", "smithi"), regressionRun(day(2), "main", "smithi"), regressionRun(day(3), "main", "smithi")
	const sha1, sha2 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	l.run(r1, sha1, day(1),
		seedJob{"101", "radosbench", "pass", "", "smithi001"},
		seedJob{"102", "cache-snaps", "pass", "", "smithi002"},
		seedJob{"103", "snaps-few-objects", "fail", commandFailed("smithi003"), "smithi003"},
		seedJob{"104", "rados_api_tests", "fail", commandFailed("smithi004"), "smithi004"},
		seedJob{"105", "pool-create", "pass", "", "smithi005"},
		seedJob{"106", "dedup", "dead", "hit max job timeout", "smithi006"},
		seedJob{"107", "ec-rados", "pass", "", "smithi007"},
		seedJob{"108", "watch-notify", "pass", "", "smithi008"})
	// Between r1 and r2: the same suite on another branch and on another machine type, which are
	// not r2's previous run.
	l.run(regressionRun(day(1).Add(time.Hour), "squid", "smithi"), sha1, day(1).Add(time.Hour),
		seedJob{"151", "radosbench", "fail", commandFailed("smithi009"), "smithi009"})
	l.run(regressionRun(day(1).Add(2*time.Hour), "main", "gibba"), sha1, day(1).Add(2*time.Hour),
		seedJob{"161", "radosbench", "fail", commandFailed("gibba001"), "gibba001"})
	l.run(r2, sha2, day(2),
		seedJob{"201", "radosbench", "pass", "", "smithi011"},
		seedJob{"202", "cache-snaps", "fail", commandFailed("smithi042"), "smithi042"},       // a new failure
		seedJob{"203", "snaps-few-objects", "fail", commandFailed("smithi077"), "smithi077"}, // the same failure, another node
		seedJob{"204", "rados_api_tests", "pass", "", "smithi014"},                           // fixed
		seedJob{"205", "pool-create", "fail", commandFailed("smithi015"), "smithi015"},       // failed, then its rerun passed
		seedJob{"206", "new-test", "pass", "", "smithi016"},                                  // new; dedup is missing
		seedJob{"207", "ec-rados", "", "", "smithi017"},                                      // still running
		seedJob{"208", "watch-notify", "unknown", "", "smithi018"},                           // no verdict
		seedJob{"209", "pool-create", "pass", "", "smithi019"})
	// r3 reruns r2's sha1: cache-snaps passes there, a flake.
	l.run(r3, sha2, day(3),
		seedJob{"301", "cache-snaps", "pass", "", "smithi021"},
		seedJob{"302", "snaps-few-objects", "dead", commandFailed("smithi022"), "smithi022"})

	c := l.c
	got := decode[object](t, c.get("/runs/"+url.PathEscape(r2)+"/regressions/").must(t, 200))
	want := map[string]string{
		"new_failures":  "cache-snaps 202:fail/102:pass",
		"fixed":         "rados_api_tests 204:pass/104:fail",
		"still_failing": "snaps-few-objects 203:fail/103:fail",
		"new_tests":     "new-test 206:pass/-",
		"missing_tests": "dedup -/106:dead",
	}
	checkRegressions(t, got, r2, r1, want, map[string]int{"still_passing": 2, "not_compared": 2})
	// The same failure on two nodes is one signature; a pass has none.
	still := got["still_failing"].([]any)[0].(object)
	this, that := still["this"].(object), still["that"].(object)
	if this["signature_id"] == nil || this["signature_id"] != that["signature_id"] {
		t.Errorf("one failure on smithi003 and smithi077 has signatures %v and %v", that["signature_id"], this["signature_id"])
	}
	if fixed := got["fixed"].([]any)[0].(object); fixed["this"].(object)["signature_id"] != nil {
		t.Errorf("a pass has a signature: %v", fixed)
	}
	if want := md5UUID(testDescription("snaps-few-objects")); still["test_id"] != want {
		t.Errorf("test_id %v, want %s", still["test_id"], want)
	}

	// A signature linked to a tracker issue says so on both sides.
	tracker := "https://tracker.ceph.com/issues/71234"
	c.put("/failures/"+this["signature_id"].(string)+"/", object{"tracker_url": tracker}).must(t, 200)
	got = decode[object](t, c.get("/runs/"+url.PathEscape(r2)+"/regressions").must(t, 200))
	still = got["still_failing"].([]any)[0].(object)
	for _, side := range []string{"this", "that"} {
		if u := still[side].(object)["tracker_url"]; u != tracker {
			t.Errorf("%s's tracker_url %v, want %s", side, u, tracker)
		}
	}
	if u := got["new_failures"].([]any)[0].(object)["this"].(object)["tracker_url"]; u != tracker {
		t.Errorf("cache-snaps' failure on smithi042 is the same failure, tracker_url %v", u)
	}

	// The flake: r3 against r2 (its previous run), and against r1 by name.
	got = decode[object](t, c.get("/runs/"+url.PathEscape(r3)+"/regressions/").must(t, 200))
	checkRegressions(t, got, r3, r2, map[string]string{
		"fixed":         "cache-snaps 301:pass/202:fail",
		"still_failing": "snaps-few-objects 302:dead/203:fail",
		"missing_tests": "ec-rados -/207:running; new-test -/206:pass; pool-create -/209:pass; rados_api_tests -/204:pass; radosbench -/201:pass; watch-notify -/208:unknown",
	}, nil)
	got = decode[object](t, c.get("/runs/"+url.PathEscape(r3)+"/regressions/?against="+url.QueryEscape(r1)).must(t, 200))
	checkRegressions(t, got, r3, r1, map[string]string{
		"still_failing": "snaps-few-objects 302:dead/103:fail",
		"missing_tests": "dedup -/106:dead; ec-rados -/107:pass; pool-create -/105:pass; rados_api_tests -/104:fail; radosbench -/101:pass; watch-notify -/108:pass",
	}, map[string]int{"still_passing": 1})

	// No previous run: every test is new. Against a later run works too.
	got = decode[object](t, c.get("/runs/"+url.PathEscape(r1)+"/regressions/").must(t, 200))
	checkRegressions(t, got, r1, "", map[string]string{
		"new_tests": "cache-snaps 102:pass/-; dedup 106:dead/-; ec-rados 107:pass/-; pool-create 105:pass/-; rados_api_tests 104:fail/-; radosbench 101:pass/-; snaps-few-objects 103:fail/-; watch-notify 108:pass/-",
	}, nil)
	got = decode[object](t, c.get("/runs/"+url.PathEscape(r1)+"/regressions/?against="+url.QueryEscape(r3)).must(t, 200))
	checkRegressions(t, got, r1, r3, map[string]string{
		"still_failing": "snaps-few-objects 103:fail/302:dead",
		"new_tests":     "dedup 106:dead/-; ec-rados 107:pass/-; pool-create 105:pass/-; rados_api_tests 104:fail/-; radosbench 101:pass/-; watch-notify 108:pass/-",
	}, map[string]int{"still_passing": 1})
	// An empty against is no against.
	got = decode[object](t, c.get("/runs/"+url.PathEscape(r3)+"/regressions/?against=").must(t, 200))
	if got["against"].(object)["name"] != r2 {
		t.Errorf("?against= compared with %v, want the previous run", got["against"])
	}

	// Errors.
	c.get("/runs/nonexistent/regressions/").wantError(t, 404, "run with name nonexistent not found")
	c.get("/runs/"+url.PathEscape(r2)+"/regressions/?against=nonexistent").wantError(t, 404, "run with name nonexistent not found")
	c.get("/runs/"+url.PathEscape(r2)+"/regressions/?against="+url.QueryEscape(r2)).wantError(t, 400, "against must name another run than "+r2)
	if r := c.head("/runs/" + url.PathEscape(r2) + "/regressions/"); r.Status != 200 || len(r.Body) != 0 {
		t.Errorf("HEAD: %d %q", r.Status, r.Body)
	}
}

// A run without a suite, branch or machine type has no previous run; a job without a
// description is no test.
func TestRunRegressionsWithoutKeys(t *testing.T) {
	l := newRegressionLab(t)
	c := l.c
	for i, run := range []string{"scratch-1", "scratch-2"} {
		l.now = time.Date(2026, 1, 12+i, 0, 0, 0, 0, time.UTC)
		c.post("/runs/"+run+"/jobs/", object{"job_id": "1", "description": testDescription("radosbench"), "status": "pass"}).must(t, 200)
		c.post("/runs/"+run+"/jobs/", object{"job_id": "2", "status": "fail"}).must(t, 200)
	}
	got := decode[object](t, c.get("/runs/scratch-2/regressions/").must(t, 200))
	checkRegressions(t, got, "scratch-2", "", map[string]string{"new_tests": "radosbench 1:pass/-"}, nil)
	got = decode[object](t, c.get("/runs/scratch-2/regressions/?against=scratch-1").must(t, 200))
	checkRegressions(t, got, "scratch-2", "scratch-1", nil, map[string]int{"still_passing": 1})
}

// /runs/{key}/regressions/ stays the run filter for a filter key: the runs whose key is
// "regressions".
func TestRunRegressionsFilterPaths(t *testing.T) {
	l := newRegressionLab(t)
	c := l.c
	l.now = time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)
	name := "teuthology-2026-01-12_00:00:00-regressions-regressions-distro-default-smithi"
	c.post("/runs/"+name+"/jobs/", object{"job_id": "1", "suite": "regressions", "branch": "regressions", "status": "pass"}).must(t, 200)
	for _, path := range []string{"/runs/branch/regressions/", "/runs/suite/regressions", "/runs//branch/regressions/?count=5"} {
		r := c.get(path).must(t, 200)
		runs := decode[[]object](t, r)
		if len(runs) != 1 || runs[0]["name"] != name || r.Header.Get("X-Total-Count") != "1" {
			t.Errorf("GET %s: %s", path, r.Body)
		}
	}
	c.get("/runs/branch/regressions/?count=x").wantError(t, 400, `count must be an integer, not "x"`)
	// Any other run is compared.
	r := decode[object](t, c.get("/runs/"+name+"/regressions").must(t, 200))
	checkRegressions(t, r, name, "", nil, nil)
}

// checkRegressions checks an answer: the runs compared, each list (as "test this/that", a side
// being job_id:status or -, joined by "; "; lists not in want are empty), and the counts of
// those only counted (absent: 0). Every list is ordered by description.
func checkRegressions(t *testing.T, got object, run, against string, want map[string]string, counted map[string]int) {
	t.Helper()
	if got["run"].(object)["name"] != run || got["run"].(object)["href"] != publicURL+"/runs/"+url.PathEscape(run)+"/" {
		t.Errorf("run %v, want %s", got["run"], run)
	}
	switch a := got["against"].(type) {
	case nil:
		if against != "" {
			t.Errorf("against null, want %s", against)
		}
	case object:
		if a["name"] != against || a["href"] != publicURL+"/runs/"+url.PathEscape(against)+"/" {
			t.Errorf("against %v, want %q", a, against)
		}
	}
	counts := got["counts"].(object)
	for _, list := range []string{"new_failures", "fixed", "still_failing", "new_tests", "missing_tests"} {
		var entries, descriptions []string
		for _, e := range got[list].([]any) {
			e := e.(object)
			d := e["description"].(string)
			descriptions = append(descriptions, d)
			entries = append(entries, strings.TrimSuffix(strings.TrimPrefix(d, testDescription("")[:len(testDescription(""))-1]), "}")+
				" "+side(e["this"])+"/"+side(e["that"]))
		}
		if g := strings.Join(entries, "; "); g != want[list] {
			t.Errorf("%s:\n got %s\nwant %s", list, g, want[list])
		}
		if !slices.IsSorted(descriptions) {
			t.Errorf("%s not ordered by description: %v", list, descriptions)
		}
		if n := fmt.Sprint(counts[list]); n != fmt.Sprint(len(entries)) {
			t.Errorf("counts.%s %s, for %d entries", list, n, len(entries))
		}
	}
	for _, k := range []string{"still_passing", "not_compared"} {
		if n := fmt.Sprint(counts[k]); n != fmt.Sprint(counted[k]) {
			t.Errorf("counts.%s %s, want %d", k, n, counted[k])
		}
	}
}

func side(v any) string {
	if v == nil {
		return "-"
	}
	j := v.(object)
	return j["job_id"].(string) + ":" + j["status"].(string)
}

// md5UUID is PostgreSQL's md5(s)::uuid: a test's id.
func md5UUID(s string) string {
	h := md5.Sum([]byte(s))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[:4], h[4:6], h[6:8], h[8:10], h[10:])
}

package httpapi_test

import (
	"testing"
)

// Found by TestRandomRequests: a DELETE (or any method without a body in the contract) carrying a
// body that is not JSON, or a large one, used to answer 400 or 413, which the contract does not
// declare for those operations. Only POST and PUT take bodies; other methods ignore theirs.
func TestBodiesOnlyWhereTheContractTakesThem(t *testing.T) {
	c := newServer(t, func(o *serverOptions) { o.maxBody = 64 })
	c.post("/runs/r/jobs/", object{"job_id": "1"}).must(t, 200)
	c.put("/nodes/n/", object{"up": true}).must(t, 404)
	for _, body := range []string{"not json", `{"job_id": `, string(make([]byte, 1000))} {
		c.do("GET", "/runs/r/jobs/1/", body).must(t, 200)
		c.do("DELETE", "/nodes/n/", body).must(t, 404)
	}
	c.do("DELETE", "/runs/r/jobs/1/", "not json").must(t, 200)
	c.do("DELETE", "/runs/r/", string(make([]byte, 1000))).must(t, 200)
}

// Found by FuzzServerRequests: names PostgreSQL cannot store (NUL, invalid UTF-8) answered 400
// "invalid byte sequence" on operations whose contract has only 200 and 404. Such names name
// nothing: 404.
func TestUnstorableNames(t *testing.T) {
	c := newServer(t)
	for _, name := range []string{"x%00y", "x%FFy", "%C0%AF"} {
		for _, p := range []struct{ method, path string }{
			{"GET", "/runs/" + name + "/"}, {"HEAD", "/runs/" + name + "/"}, {"DELETE", "/runs/" + name + "/"},
			{"GET", "/runs/r/jobs/" + name + "/"}, {"HEAD", "/runs/" + name + "/jobs/1/"}, {"DELETE", "/runs/r/jobs/" + name + "/"},
			{"GET", "/nodes/" + name + "/"}, {"DELETE", "/nodes/" + name + "/"}, {"GET", "/nodes/" + name + "/job_stats/"},
		} {
			if r := c.do(p.method, p.path, nil); r.Status != 404 {
				t.Errorf("%s %s: %d %s, want 404", p.method, p.path, r.Status, r.Body)
			}
		}
	}
	// Where the contract has a 400, a name that cannot be stored gets one.
	c.post("/runs/x%FFy/jobs/", object{"job_id": "1"}).must(t, 400)
	c.post("/runs/x%00y/jobs/", object{"job_id": "1"}).must(t, 400)
}

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

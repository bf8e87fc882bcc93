package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Acceptance 4: queue order (ties included), pause and its expiry, and pop_queue.
func TestQueue(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := newServer(t, func(o *serverOptions) { o.Now = clock; o.Service.Now = clock })
	c.post("/queue/", object{"queue": "smithi"}).must(t, 200)
	c.post("/queue/", object{"queue": "smithi"}).wantError(t, 400, "Queue smithi already exists")
	c.post("/queue/", object{}).wantError(t, 400, "could not find required key: 'queue'")
	c.get("/queue/pop_queue/?queue=smithi").must(t, 200)
	if got := string(c.get("/queue/pop_queue/?queue=smithi").Body); got != "null" {
		t.Errorf("an empty queue pops %s", got)
	}
	if got := string(c.get("/queue/pop_queue/?queue=nonexistent").Body); got != "null" {
		t.Errorf("an unknown queue pops %s", got)
	}
	// Jobs: priority 50 twice (a tie: the older wins), 10, none; one of another user, one running.
	jobs := []struct {
		id       string
		priority any
		user     string
		status   string
	}{{"a", 50, "teuthology", "queued"}, {"b", 50, "teuthology", "queued"}, {"c", 10, "alice", "queued"},
		{"d", nil, "teuthology", "queued"}, {"e", 1, "teuthology", "running"}}
	for _, j := range jobs {
		now = now.Add(time.Second)
		c.post("/runs/r1/jobs/", object{"job_id": j.id, "priority": j.priority, "user": j.user, "status": j.status, "queue": "smithi"}).must(t, 200)
	}
	c.post("/runs/r2/jobs/", object{"job_id": "x", "priority": 1, "status": "queued", "queue": "mira"}).must(t, 200)
	order := func(r response) string {
		var ids []string
		for _, j := range decode[[]object](t, r.must(t, 200)) {
			ids = append(ids, j["job_id"].(string))
		}
		return strings.Join(ids, " ")
	}
	if got := order(c.post("/queue/queued_jobs/", object{"queue": "smithi"})); got != "c a b d" {
		t.Errorf("queued jobs in order %q, want c a b d", got)
	}
	if got := order(c.get("/queue/queued_jobs/?queue=smithi&user=teuthology")); got != "a b d" {
		t.Errorf("a user's queued jobs %q", got)
	}
	if got := order(c.post("/queue/queued_jobs/?run_name=r2", object{"queue": "smithi"})); got != "x" {
		t.Errorf("a run's queued jobs %q", got)
	}
	// ceph/paddles#150 names the queue in the query of the POST, with no body.
	if got := order(c.post("/queue/queued_jobs/?queue=smithi", nil)); got != "c a b d" {
		t.Errorf("queued jobs, queue in the POST's query: %q", got)
	}
	if got := order(c.post("/queue/queued_jobs/?queue=smithi&user=teuthology", object{"queue": "other"})); got != "a b d" {
		t.Errorf("the query's queue wins over the body's: %q", got)
	}
	c.post("/queue/queued_jobs/", nil).wantError(t, 400, "could not find required key: 'queue'")
	pop := func() string {
		r := c.get("/queue/pop_queue/?queue=smithi").must(t, 200)
		return fmt.Sprint(decode[object](t, r)["job_id"])
	}
	if got := pop(); got != "c" {
		t.Errorf("pop_queue gave %s, want c", got)
	}
	if got := pop(); got != "c" {
		t.Errorf("pop_queue only looks; gave %s the second time", got)
	}
	// Priority changes only while queued; a tie then goes to the older job.
	c.put("/runs/r1/jobs/c/", object{"priority": 60}).must(t, 200)
	c.put("/runs/r1/jobs/e/", object{"priority": 0}).must(t, 200)
	if got := pop(); got != "a" {
		t.Errorf("after c moved back, pop_queue gave %s, want a", got)
	}
	if got := decode[object](t, c.get("/runs/r1/jobs/e/"))["priority"]; fmt.Sprint(got) != "1" {
		t.Errorf("a running job's priority changed to %v", got)
	}
	stats := decode[object](t, c.post("/queue/stats/", object{"queue": "smithi"}).must(t, 200))
	if fmt.Sprint(stats) != "map[paused:false queue:smithi queued_jobs:4]" {
		t.Errorf("stats %v", stats)
	}

	// Pause for 10 minutes.
	c.put("/queue/", object{"queue": "smithi", "pause_duration": 600}).wantError(t, 400, "Cannot pause without specifying paused_by")
	c.put("/queue/", object{"queue": "smithi", "paused_by": "admin", "pause_duration": 600}).must(t, 200)
	c.put("/queue/", object{"queue": "smithi", "paused_by": "admin", "pause_duration": 60}).wantError(t, 403, "Cannot pause an already-paused queue")
	c.get("/queue/pop_queue/?queue=smithi").wantError(t, 503, "queue is paused, cannot retrieve job")
	queues := decode[[]object](t, c.get("/queue/?machine_type=smithi"))
	if len(queues) != 1 || queues[0]["paused"] != true || queues[0]["paused_by"] != "admin" || queues[0]["paused_until"] != "2026-03-01 12:10:05" {
		t.Errorf("paused queue %v", queues)
	}
	stats = decode[object](t, c.get("/queue/stats/?queue=smithi").must(t, 200))
	if stats["paused"] != true || stats["paused_until"] != "2026-03-01 12:10:05" || fmt.Sprint(stats["queued_jobs"]) != "4" {
		t.Errorf("paused stats %v", stats)
	}
	// The pause expires by itself...
	now = now.Add(11 * time.Minute)
	if got := pop(); got != "a" {
		t.Errorf("after the pause, pop_queue gave %s", got)
	}
	// ...or ends when paused_until is set in the past.
	c.put("/queue/", object{"queue": "smithi", "paused_by": "admin", "pause_duration": 600}).must(t, 200)
	c.put("/queue/", object{"queue": "smithi", "paused_until": "2026-01-01 00:00:00"}).must(t, 200)
	pop()
	c.put("/queue/", object{"queue": "nope", "pause_duration": 5}).wantError(t, 400, "specified queue does not exist")
	c.post("/queue/", object{"queue": "multi"}).must(t, 200)
	if q := decode[[]object](t, c.get("/queue/?machine_type=smithi|mira")); len(q) != 1 || q[0]["queue"] != "multi" {
		t.Errorf("a|b machine types use the multi queue: %v", q)
	}
}

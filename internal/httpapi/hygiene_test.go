package httpapi_test

import (
	"fmt"
	"math/rand"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// trail reads a node's lock trail (or the lab's, for a path starting with /locks/), all of it.
func trail(t *testing.T, c *client, path string) []object {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	r := c.get(path+sep+"count=500").must(t, 200)
	if r.Header.Get("X-Total-Count-Exact") != "true" {
		t.Errorf("%s: X-Total-Count-Exact %q", path, r.Header.Get("X-Total-Count-Exact"))
	}
	rows := decode[[]object](t, r)
	if got := r.Header.Get("X-Total-Count"); got != fmt.Sprint(len(rows)) {
		t.Errorf("%s: X-Total-Count %s for %d rows", path, got, len(rows))
	}
	return rows
}

// summary is a trail row as "action owner_before>owner_after".
func summary(rows []object) string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%v %v>%v", r["action"], r["owner_before"], r["owner_after"]))
	}
	return strings.Join(out, ", ")
}

// Every committed lock change is in the trail, newest first, with the request's id; checks,
// repeats and refused requests are not.
func TestLockTrail(t *testing.T) {
	c := newServer(t)
	names := addNodes(t, c, "smithi", 3)
	n0 := names[0]
	lock := func(body object, id string, status int) {
		t.Helper()
		c.do("PUT", "/nodes/"+n0+"/lock/", body, "X-Request-Id", id).must(t, status)
	}
	lock(object{"locked": true, "locked_by": "alice@laptop", "description": "manual testing"}, "req-1", 200)
	lock(object{"locked": true, "locked_by": "alice@laptop", "description": "manual testing"}, "req-2", 200) // a repeat: no change
	lock(object{"locked": true, "locked_by": "bob@laptop", "description": "mine"}, "req-3", 403)             // refused
	lock(object{"locked_by": "alice@laptop"}, "req-4", 200)                                                  // a check
	c.do("PUT", "/nodes/"+n0+"/", object{"description": "manual testing, day 2"}, "X-Request-Id", "req-5").must(t, 200)
	c.do("PUT", "/nodes/"+n0+"/", object{"up": false}, "X-Request-Id", "req-6").must(t, 200) // no lock change
	c.do("POST", "/nodes/"+n0+"/lock/", object{"locked": false, "locked_by": "alice@laptop"}, "X-Request-Id", "req-7").must(t, 200)
	c.do("PUT", "/nodes/"+n0+"/", object{"up": true}).must(t, 200)
	c.post("/nodes/lock_many/", object{"count": 3, "locked_by": "scheduled_teuthology@teuthology", "machine_type": "smithi",
		"description": "/home/teuthworker/archive/teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi/1"}).must(t, 200)
	c.post("/nodes/unlock_many/", object{"names": names[:2], "locked_by": "scheduled_teuthology@teuthology"}).must(t, 200)
	c.put("/nodes/"+names[2]+"/", object{"locked": false, "locked_by": "scheduled_teuthology@teuthology"}).must(t, 200)

	rows := trail(t, c, "/nodes/"+n0+"/locks/")
	want := "unlock_many scheduled_teuthology@teuthology><nil>, lock_many <nil>>scheduled_teuthology@teuthology, " +
		"unlock alice@laptop><nil>, update alice@laptop>alice@laptop, lock <nil>>alice@laptop"
	if got := summary(rows); got != want {
		t.Fatalf("trail of %s:\n got %s\nwant %s", n0, got, want)
	}
	for i, id := range []string{"", "", "req-7", "req-5", "req-1"} {
		if got, _ := rows[i]["request_id"].(string); id != "" && got != id || id == "" && len(got) != 32 {
			t.Errorf("row %d: request_id %v, want %q (or a generated one)", i, rows[i]["request_id"], id)
		}
	}
	if r := rows[3]; r["description_before"] != "manual testing" || r["description_after"] != "manual testing, day 2" ||
		r["locked_before"] != true || r["locked_after"] != true || r["machine_type"] != "smithi" {
		t.Errorf("the update row: %v", r)
	}
	if r := rows[4]; r["locked_before"] != false || r["locked_after"] != true || r["node"] != n0 || r["at"] == nil {
		t.Errorf("the lock row: %v", r)
	}

	// Pages, newest first, with a bounded total.
	r := c.get("/nodes/"+n0+"/locks/?count=2&page=2").must(t, 200)
	if got := summary(decode[[]object](t, r)); got != "unlock alice@laptop><nil>, update alice@laptop>alice@laptop" ||
		r.Header.Get("X-Total-Count") != "5" {
		t.Errorf("page 2 of 2: %s, total %s", got, r.Header.Get("X-Total-Count"))
	}
	c.get("/nodes/"+n0+"/locks/?count=501").wantError(t, 400, "count must be at most 500")

	// The lab's trail: by owner (new or old), machine type and time.
	if got := len(trail(t, c, "/locks/")); got != 9 {
		t.Errorf("/locks/ has %d rows, want 9", got)
	}
	if got := summary(trail(t, c, "/locks/?owner=alice@laptop")); got != "unlock alice@laptop><nil>, update alice@laptop>alice@laptop, lock <nil>>alice@laptop" {
		t.Errorf("alice's: %s", got)
	}
	if got := len(trail(t, c, "/locks/?owner=scheduled_teuthology@teuthology&machine_type=smithi&since=2000-01-01")); got != 6 {
		t.Errorf("teuthology's: %d rows, want 6", got)
	}
	if got := len(trail(t, c, "/locks/?since="+url.QueryEscape(time.Now().UTC().Add(time.Hour).Format("2006-01-02 15:04:05")))); got != 0 {
		t.Errorf("since an hour from now: %d rows", got)
	}
	if got := len(trail(t, c, "/locks/?machine_type=mira")); got != 0 {
		t.Errorf("mira: %d rows", got)
	}
	c.get("/locks/?since=last-week").wantError(t, 400, `since must be a day (YYYY-MM-DD) or a date-time (YYYY-MM-DD HH:MM:SS, optional fraction and zone): "last-week"`)

	// The trail outlives its node; a name with neither answers 404.
	c.delete("/nodes/"+n0+"/").must(t, 200)
	if got := len(trail(t, c, "/nodes/"+n0+"/locks/")); got != 5 {
		t.Errorf("a deleted node's trail: %d rows", got)
	}
	c.get("/nodes/nope/locks/").wantError(t, 404, "node not found")
	if got := len(trail(t, c, "/nodes/"+names[1]+"/locks/")); got != 2 {
		t.Errorf("%s: %d rows", names[1], got)
	}
}

// Acceptance 2 (issue 20): 50 clients racing to lock one node leave exactly one lock in its
// trail, the winner's.
func TestLockTrailOneRace(t *testing.T) {
	c := newServer(t)
	name := addNodes(t, c, "one", 1)[0]
	const clients = 50
	var wg sync.WaitGroup
	wins := make(chan string, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			owner := fmt.Sprint("owner-", i)
			r := c.do("PUT", "/nodes/"+name+"/lock/", object{"locked": true, "locked_by": owner, "description": owner},
				"X-Request-Id", owner)
			if r.Status == 200 {
				wins <- owner
			} else if r.Status != 403 {
				t.Errorf("status %d %s", r.Status, r.Body)
			}
		}(i)
	}
	wg.Wait()
	close(wins)
	winner := <-wins
	rows := trail(t, c, "/nodes/"+name+"/locks/")
	if len(rows) != 1 || rows[0]["owner_after"] != winner || rows[0]["request_id"] != winner || rows[0]["action"] != "lock" {
		t.Fatalf("winner %s; trail %v", winner, rows)
	}
}

// Acceptance 2 (issue 20): after concurrent lock_many and unlock_many races on overlapping nodes,
// each node's trail, oldest first, is one unbroken chain of committed changes (each row starts
// from the state the one before left) that ends in the node's state, and holds a row for every
// node of every request that succeeded, and none for those that failed.
func TestLockTrailAfterLockManyRaces(t *testing.T) {
	c := newServer(t)
	names := addNodes(t, c, "cycle", 8)
	const workers, cycles = 8, 12
	var mu sync.Mutex
	locked, unlocked := 0, 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rnd := rand.New(rand.NewSource(int64(w)))
			owner := fmt.Sprint("worker-", w)
			for i := 0; i < cycles; i++ {
				n := 1 + rnd.Intn(3)
				r := c.post("/nodes/lock_many/", object{"count": n, "locked_by": owner, "machine_type": "cycle", "description": owner})
				if r.Status == 503 {
					continue
				}
				got := decode[[]object](t, r.must(t, 200))
				var held []string
				for _, n := range got {
					held = append(held, n["name"].(string))
				}
				mu.Lock()
				locked += len(held)
				mu.Unlock()
				c.post("/nodes/unlock_many/", object{"names": held, "locked_by": owner}).must(t, 200)
				mu.Lock()
				unlocked += len(held)
				mu.Unlock()
				// A refused unlock_many (not the owner) writes nothing.
				c.post("/nodes/unlock_many/", object{"names": held, "locked_by": owner}).must(t, 403)
			}
		}(w)
	}
	wg.Wait()
	all := trail(t, c, "/locks/?machine_type=cycle")
	var nLock, nUnlock int
	for _, r := range all {
		switch r["action"] {
		case "lock_many":
			nLock++
		case "unlock_many":
			nUnlock++
		default:
			t.Errorf("row %v", r)
		}
	}
	if nLock != locked || nUnlock != unlocked || locked == 0 {
		t.Errorf("trail: %d lock_many and %d unlock_many rows; the requests locked %d and unlocked %d", nLock, nUnlock, locked, unlocked)
	}
	for _, name := range names {
		rows := trail(t, c, "/nodes/"+name+"/locks/")
		var state struct {
			locked bool
			owner  any
		}
		for i := len(rows) - 1; i >= 0; i-- {
			r := rows[i]
			if r["locked_before"] != state.locked || r["owner_before"] != state.owner {
				t.Fatalf("%s: row %v does not start from %+v", name, r, state)
			}
			state.locked, state.owner = r["locked_after"].(bool), r["owner_after"]
		}
		n := decode[object](t, c.get("/nodes/"+name+"/"))
		if n["locked"] != state.locked || n["locked_by"] != state.owner {
			t.Errorf("%s: the trail ends in %+v, the node is %v/%v", name, state, n["locked"], n["locked_by"])
		}
	}
}

// Stale locks: for a finished job (named by the lock's description or linked by its targets), a
// job this server does not have, and a lock with no job at all; live jobs keep theirs.
func TestStaleLocks(t *testing.T) {
	c := newServer(t)
	const run = "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi"
	archive := "/home/teuthworker/archive/" + run + "/"
	ago := func(d time.Duration) string { return time.Now().UTC().Add(-d).Format("2006-01-02 15:04:05") }
	node := func(name, owner, desc string, since time.Duration) {
		t.Helper()
		c.post("/nodes/", object{"name": name, "machine_type": "smithi", "up": true, "locked": true, "locked_by": owner,
			"description": desc}).must(t, 200)
		c.put("/nodes/"+name+"/", object{"locked_since": ago(since)}).must(t, 200)
	}
	job := func(id, status string, updated time.Duration, targets ...string) {
		t.Helper()
		tg := object{}
		for _, n := range targets {
			tg["ubuntu@"+n] = "ssh-rsa x"
		}
		c.post("/runs/"+run+"/jobs/", object{"job_id": id, "status": status, "updated": ago(updated), "targets": tg}).must(t, 200)
	}
	const teuth = "scheduled_teuthology@teuthology"
	node("finished", teuth, archive+"1", 2*time.Hour)
	node("running", teuth, archive+"2", 2*time.Hour)
	node("gone", teuth, archive+"99/", 2*time.Hour)
	node("gone-fresh", teuth, archive+"98", time.Minute)
	node("by-hand", "alice@laptop", "manual testing", 30*24*time.Hour)
	node("by-hand-fresh", "alice@laptop", "manual testing", 24*time.Hour)
	node("targets", "alice@laptop", "my run", 30*24*time.Hour)
	node("just-finished", teuth, archive+"4", 2*time.Hour)
	c.post("/nodes/", object{"name": "free", "machine_type": "smithi", "up": true}).must(t, 200)
	job("1", "pass", time.Hour)
	job("2", "running", time.Hour)
	job("3", "fail", time.Hour, "targets")
	job("4", "dead", time.Minute)

	got := func(q string) string {
		t.Helper()
		var out []string
		for _, s := range decode[[]object](t, c.get("/nodes/stale_locks/"+q).must(t, 200)) {
			e := fmt.Sprintf("%v:%v", s["name"], s["reason"])
			if j, _ := s["job"].(object); j != nil {
				e += fmt.Sprintf(":%v/%v:%v", j["job_id"], j["status"], j["found_by"])
			}
			out = append(out, e)
		}
		return strings.Join(out, " ")
	}
	if s, want := got(""), "by-hand:no_job finished:job_finished:1/pass:description gone:job_gone:99/<nil>:description "+
		"targets:job_finished:3/fail:targets"; s != want {
		t.Errorf("stale locks:\n got %s\nwant %s", s, want)
	}
	if s, want := got("?older_than=30s&no_job_older_than=12h&locked_by="+teuth), "finished:job_finished:1/pass:description "+
		"gone:job_gone:99/<nil>:description gone-fresh:job_gone:98/<nil>:description just-finished:job_finished:4/dead:description"; s != want {
		t.Errorf("teuthology's, 30s:\n got %s\nwant %s", s, want)
	}
	if s := got("?older_than=3h&no_job_older_than=60d"); s != "" {
		t.Errorf("3h: %s", s)
	}
	if s := got("?machine_type=mira"); s != "" {
		t.Errorf("mira: %s", s)
	}
	one := decode[[]object](t, c.get("/nodes/stale_locks/?locked_by="+teuth))[0]
	if j := one["job"].(object); one["stale_since"] != j["updated"] || j["href"] != publicURL+"/runs/"+run+"/jobs/1/" {
		t.Errorf("a stale lock: %v", one)
	}
	c.get("/nodes/stale_locks/?older_than=soon").wantError(t, 400, `older_than must be a duration such as 5m, 2h, 1h30m or 7d: "soon"`)
	c.get("/nodes/stale_locks/?no_job_older_than=-1h").wantError(t, 400, `no_job_older_than must be a duration such as 5m, 2h, 1h30m or 7d: "-1h"`)
}

// Failing machines: the last N finished jobs of a node failed alike (one signature, or one status
// without any); unfinished jobs are skipped.
func TestUnhealthyNodes(t *testing.T) {
	c := newServer(t)
	n := 0
	job := func(node, status, reason string) {
		t.Helper()
		n++
		run := fmt.Sprintf("teuthology-2026-01-%02d_10:20:30-rados-main-distro-default-smithi", 1+n%20)
		body := object{"job_id": fmt.Sprint(n), "status": status, "targets": object{"ubuntu@" + node: "k"}}
		if reason != "" {
			body["failure_reason"] = reason
		}
		c.post("/runs/"+run+"/jobs/", body).must(t, 200)
	}
	reimage := func(node string) string {
		return "Error reimaging machines: reimage of " + node + " failed after 3 tries"
	}
	job("a", "pass", "")
	for i := 0; i < 3; i++ {
		job("a", "dead", reimage(fmt.Sprintf("smithi%03d", i)))
	}
	job("a", "running", "") // says nothing yet
	job("b", "dead", reimage("b"))
	job("b", "fail", "Command failed on b with status 1: 'true'")
	job("b", "dead", reimage("b"))
	job("c", "dead", "")
	job("c", "dead", "")
	job("c", "dead", "")
	job("d", "fail", "")
	job("d", "fail", "")
	job("e", "fail", reimage("e"))
	job("e", "dead", reimage("e"))
	job("e", "fail", reimage("e"))

	got := func(q string) string {
		t.Helper()
		var out []string
		for _, u := range decode[[]object](t, c.get("/nodes/unhealthy/"+q).must(t, 200)) {
			jobs := u["jobs"].([]any)
			out = append(out, fmt.Sprintf("%v:%v:%d:%v", u["name"], u["status"], len(jobs), u["signature_id"] != nil))
		}
		return strings.Join(out, " ")
	}
	if s, want := got(""), "a:dead:3:true c:dead:3:false e:fail:3:true"; s != want {
		t.Errorf("streak 3: %s, want %s", s, want)
	}
	if s, want := got("?streak=2"), "a:dead:2:true c:dead:2:false d:fail:2:false e:fail:2:true"; s != want {
		t.Errorf("streak 2: %s, want %s", s, want)
	}
	if s := got("?streak=4"); s != "" {
		t.Errorf("streak 4: %s", s)
	}
	a := decode[[]object](t, c.get("/nodes/unhealthy/"))[0]
	jobs := a["jobs"].([]any)
	if first := jobs[0].(object); first["job_id"] != "4" || first["failure_reason"] != reimage("smithi002") ||
		a["signature"] != "Error reimaging machines: reimage of <host> failed after <n> tries" {
		t.Errorf("a: %v", a)
	}
	c.get("/nodes/unhealthy/?streak=1").wantError(t, 400, "streak must be an integer from 2 to 50")
}

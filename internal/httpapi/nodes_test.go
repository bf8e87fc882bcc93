package httpapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func addNodes(t *testing.T, c *client, machineType string, n int) []string {
	t.Helper()
	var names []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%03d.front.sepia.ceph.com", machineType, i)
		c.post("/nodes/", object{"name": name, "machine_type": machineType, "up": true, "locked": false}).must(t, 200)
		names = append(names, name)
	}
	return names
}

func TestNodesCRUD(t *testing.T) {
	c := newServer(t)
	addNodes(t, c, "smithi", 2)
	c.post("/nodes/", object{"name": "mira001", "machine_type": "mira", "up": false, "locked": true, "locked_by": "admin@host", "description": "broken disk"}).must(t, 200)
	c.post("/nodes/", object{"name": "vm001", "machine_type": "vps", "is_vm": true, "vm_host": "mira001"}).must(t, 200)
	c.post("/nodes/", object{"name": "mira001"}).wantError(t, 400, "Node with name mira001 already exists")
	c.post("/nodes/", object{}).wantError(t, 400, "could not find required key: 'name'")
	c.post("/nodes/", object{"name": "vm002", "vm_host": "nope"}).wantError(t, 400, "vm_host nope is not a known node")

	node := decode[object](t, c.get("/nodes/mira001/"))
	if node["locked"] != true || node["locked_by"] != "admin@host" || node["up"] != false || node["locked_since"] == nil {
		t.Errorf("a node created locked: %v", node)
	}
	vm := decode[object](t, c.get("/nodes/vm001"))
	if host, _ := vm["vm_host"].(object); host == nil || host["name"] != "mira001" || vm["is_vm"] != true {
		t.Errorf("vm_host is the host node object: %v", vm)
	}
	c.get("/nodes/nope/").wantError(t, 404, "node not found")
	c.put("/nodes/nope/", object{"up": true}).wantError(t, 404, "attempted to update a non-existent node")

	// teuthology's update_lock sends no Content-Type.
	c.do("PUT", "/nodes/smithi000.front.sepia.ceph.com/", `{"description": "reimage failed 3 times", "up": false}`, "Content-Type", "").must(t, 200)
	if n := decode[object](t, c.get("/nodes/smithi000.front.sepia.ceph.com/")); n["up"] != false || n["description"] != "reimage failed 3 times" {
		t.Errorf("after update: %v", n)
	}
	list := func(q string) string {
		var names []string
		for _, n := range decode[[]object](t, c.get("/nodes/"+q)) {
			names = append(names, strings.SplitN(n["name"].(string), ".", 2)[0])
		}
		return strings.Join(names, " ")
	}
	cases := map[string]string{
		"":                                   "mira001 smithi000 smithi001 vm001",
		"?machine_type=smithi|mira":          "mira001 smithi000 smithi001",
		"?machine_type=smithi&locked=0&up=1": "smithi001",
		"?locked=True":                       "mira001",
		"?up=false":                          "mira001 smithi000",
		"?locked_by=admin@host":              "mira001",
		"?count=2":                           "mira001 smithi000",
		"?os_type=ubuntu":                    "",
	}
	for q, want := range cases {
		if got := list(q); got != want {
			t.Errorf("GET /nodes/%s = %q, want %q", q, got, want)
		}
	}
	if got := values(t, c.get("/nodes/machine_types/")); got != "mira,smithi,vps" {
		t.Errorf("machine types %q", got)
	}
	c.delete("/nodes/vm001/").must(t, 200)
	c.delete("/nodes/vm001/").wantError(t, 404, "node not found")
}

// Acceptance 2: every row of upstream's lock rule table (paddles-api.md §6.8), on the lock endpoint
// and on PUT /nodes/{name}/ alike.
func TestLockRules(t *testing.T) {
	for _, path := range []string{"/lock/", "/"} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			c := newServer(t)
			name := addNodes(t, c, "smithi", 1)[0]
			url := "/nodes/" + name + path
			lock := func(body object) response { return c.put(url, body) }
			// locked absent or null: no check, other keys applied
			lock(object{"locked_by": "alice", "up": true}).must(t, 200)
			lock(object{"locked": nil, "description": "checked"}).must(t, 200)
			// state change without locked_by
			lock(object{"locked": true}).wantError(t, 400, "Cannot lock without specifying locked_by")
			lock(object{"locked": true, "locked_by": "alice", "description": "manual testing"}).must(t, 200)
			// lock a locked node...
			lock(object{"locked": true, "locked_by": "bob", "description": "manual testing"}).wantError(t, 403, "Cannot lock an already-locked node")
			lock(object{"locked": true, "locked_by": "alice"}).wantError(t, 403, "Cannot lock an already-locked node")
			// ...unless the same owner and description repeat it
			lock(object{"locked": true, "locked_by": "alice", "description": "manual testing"}).must(t, 200)
			// unlock rules
			lock(object{"locked": false}).wantError(t, 400, "Cannot unlock without specifying locked_by")
			lock(object{"locked": false, "locked_by": "bob"}).wantError(t, 403, "Cannot unlock - locked_by values must match")
			lock(object{"locked": false, "locked_by": "alice", "description": "other desc"}).wantError(t, 403, "Cannot unlock - description values must match")
			node := decode[object](t, c.get("/nodes/"+name+"/"))
			if node["locked"] != true || node["locked_by"] != "alice" || node["locked_since"] == nil {
				t.Fatalf("refused requests changed the node: %v", node)
			}
			lock(object{"locked": false, "locked_by": "alice", "description": "manual testing"}).must(t, 200)
			// unlock an unlocked node
			lock(object{"locked": false, "locked_by": "alice", "description": "manual testing"}).wantError(t, 403, "Cannot unlock an already-unlocked node")
			node = decode[object](t, c.get("/nodes/"+name+"/"))
			if node["locked"] != false || node["locked_by"] != nil || node["locked_since"] != nil || node["description"] != "manual testing" {
				t.Errorf("after unlock: %v (the description stays, as upstream)", node)
			}
			// an unlock without a description is allowed; so is an empty one
			lock(object{"locked": true, "locked_by": "carol", "description": "d"}).must(t, 200)
			lock(object{"locked": false, "locked_by": "carol", "description": ""}).must(t, 200)
			lock(object{"locked": "yes"}).wantError(t, 400, "invalid value for 'locked': must be true, false or null")
		})
	}
	c := newServer(t)
	name := addNodes(t, c, "smithi", 1)[0]
	got := decode[object](t, c.do("POST", "/nodes/"+name+"/lock", `{"locked": true, "locked_by": "alice@laptop", "description": "x"}`, "Content-Type", "").must(t, 200))
	if fmt.Sprint(got) != fmt.Sprint(object{"name": name, "locked": true, "locked_by": "alice@laptop", "machine_type": "smithi", "is_vm": false}) {
		t.Errorf("lock answer %v", got)
	}
	c.get("/nodes/"+name+"/lock/").wantError(t, 405, "method GET is not allowed on /nodes/"+name+"/lock/")
	c.put("/nodes/nope/lock/", object{"locked": true, "locked_by": "x"}).wantError(t, 404, "node not found")
}

func TestLockManyAndUnlockMany(t *testing.T) {
	c := newServer(t)
	smithi := addNodes(t, c, "smithi", 3)
	addNodes(t, c, "mira", 1)
	c.put("/nodes/"+smithi[2]+"/", object{"up": false}).must(t, 200)
	req := object{"count": 2, "locked_by": "scheduled_teuthology@teuthology", "machine_type": "smithi", "description": "/archive/run/1"}
	locked := decode[[]object](t, c.post("/nodes/lock_many/", req).must(t, 200))
	if len(locked) != 2 || locked[0]["locked_by"] != "scheduled_teuthology@teuthology" || locked[0]["description"] != "/archive/run/1" {
		t.Fatalf("lock_many: %v", locked)
	}
	c.post("/nodes/lock_many/", req).wantError(t, 503, "only 0 nodes available")
	c.post("/nodes/lock_many/", object{"count": 2, "locked_by": "x", "machine_type": "smithi|mira", "description": nil}).wantError(t, 503, "only 1 nodes available")
	got := decode[[]object](t, c.post("/nodes/lock_many/", object{"count": 1, "locked_by": "x", "machine_type": "smithi|mira", "description": "d", "os_version": nil}).must(t, 200))
	if len(got) != 1 || got[0]["machine_type"] != "mira" {
		t.Errorf("lock_many over smithi|mira: %v", got)
	}
	for _, b := range []struct {
		body object
		msg  string
	}{
		{object{"count": 1, "locked_by": "x", "machine_type": "smithi"}, "must pass these fields: count, locked_by, machine_type, description"},
		{object{"count": 0, "locked_by": "x", "machine_type": "smithi", "description": nil}, "cannot lock less than 1 node"},
		{object{"count": "many", "locked_by": "x", "machine_type": "smithi", "description": nil}, "invalid value for 'count': must be an integer"},
		{object{"count": 1, "locked_by": "x", "machine_type": "", "description": nil}, "must specify machine_type"},
		// Found by FuzzLockMany: whitespace other than spaces used to pass, then match no node (503).
		{object{"count": 1, "locked_by": "x", "machine_type": "\t|\n", "description": nil}, "must specify machine_type"},
		{object{"count": 1, "locked_by": nil, "machine_type": "smithi", "description": nil}, "must specify locked_by"},
	} {
		c.post("/nodes/lock_many/", b.body).wantError(t, 400, b.msg)
	}
	c.get("/nodes/lock_many/").must(t, 405)

	names := []string{smithi[0], smithi[1]}
	c.post("/nodes/unlock_many/", object{"names": names, "locked_by": "someone else"}).wantError(t, 403, smithi[0]+": Cannot unlock - locked_by values must match")
	c.post("/nodes/unlock_many/", object{"names": []string{smithi[0], "nope"}, "locked_by": "x"}).wantError(t, 400, "Could not find all nodes!")
	c.post("/nodes/unlock_many/", object{"names": []string{smithi[0], smithi[0]}, "locked_by": "x"}).wantError(t, 400, "Could not find all nodes!")
	c.post("/nodes/unlock_many/", object{"names": "smithi001", "locked_by": "x"}).wantError(t, 400, "'names' must be a list of node names")
	c.post("/nodes/unlock_many/", object{"names": names, "locked_by": "x", "extra": 1}).wantError(t, 400, "must pass these fields: names, locked_by")
	// All or nothing: one node of another owner keeps every node locked.
	mixed := []string{smithi[0], smithi[1], "mira000.front.sepia.ceph.com"}
	c.post("/nodes/unlock_many/", object{"names": mixed, "locked_by": "scheduled_teuthology@teuthology"}).must(t, 403)
	if n := decode[object](t, c.get("/nodes/"+smithi[0]+"/")); n["locked"] != true {
		t.Fatalf("a refused unlock_many unlocked %s", smithi[0])
	}
	unlocked := decode[[]object](t, c.post("/nodes/unlock_many/", object{"names": names, "locked_by": "scheduled_teuthology@teuthology"}).must(t, 200))
	if len(unlocked) != 2 || unlocked[0]["locked"] != false || unlocked[0]["locked_by"] != nil {
		t.Errorf("unlock_many: %v", unlocked)
	}
}

// GET /nodes/lock_stats/ counts the locked nodes per owner and machine type (issue 18, item 7),
// what pulpito-ng's statistics page computed from every node.
func TestNodeLockStats(t *testing.T) {
	c := newServer(t)
	if got := string(c.get("/nodes/lock_stats/").must(t, 200).Body); got != "[]" {
		t.Errorf("no locked node: %s", got)
	}
	addNodes(t, c, "smithi", 4)
	addNodes(t, c, "mira", 2)
	c.post("/nodes/lock_many/", object{"count": 2, "locked_by": "scheduled_teuthology@teuthology", "machine_type": "smithi", "description": "/archive/r/1"}).must(t, 200)
	c.post("/nodes/lock_many/", object{"count": 1, "locked_by": "alice@laptop", "machine_type": "mira", "description": nil}).must(t, 200)
	c.post("/nodes/lock_many/", object{"count": 1, "locked_by": "alice@laptop", "machine_type": "smithi", "description": nil}).must(t, 200)
	want := `[{"count":2,"locked_by":"scheduled_teuthology@teuthology","machine_type":"smithi"},` +
		`{"count":1,"locked_by":"alice@laptop","machine_type":"mira"},{"count":1,"locked_by":"alice@laptop","machine_type":"smithi"}]`
	if got := string(c.get("/nodes/lock_stats/").must(t, 200).Body); got != want {
		t.Errorf("lock stats\n got %s\nwant %s", got, want)
	}
	want = `[{"count":2,"locked_by":"scheduled_teuthology@teuthology","machine_type":"smithi"},{"count":1,"locked_by":"alice@laptop","machine_type":"smithi"}]`
	if got := string(c.get("/nodes/lock_stats/?machine_type=smithi").must(t, 200).Body); got != want {
		t.Errorf("smithi's lock stats\n got %s\nwant %s", got, want)
	}
	// An unlocked node leaves the counts.
	var owned string
	for _, n := range decode[[]object](t, c.get("/nodes/?machine_type=smithi&locked=true")) {
		if n["locked_by"] == "alice@laptop" {
			owned = n["name"].(string)
		}
	}
	c.post("/nodes/unlock_many/", object{"names": []string{owned}, "locked_by": "alice@laptop"}).must(t, 200)
	if got := decode[[]object](t, c.get("/nodes/lock_stats/?machine_type=smithi")); len(got) != 1 || fmt.Sprint(got[0]["count"]) != "2" {
		t.Errorf("after an unlock: %v", got)
	}
}

// Acceptance 1: 20 clients lock_many 10 of 10 free nodes at once: exactly one wins them all.
func TestLockManyRace(t *testing.T) {
	c := newServer(t)
	for round := 0; round < 5; round++ {
		mt := fmt.Sprintf("race%d", round)
		addNodes(t, c, mt, 10)
		const clients = 20
		status := make([]int, clients)
		var wg sync.WaitGroup
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := c.post("/nodes/lock_many/", object{"count": 10, "locked_by": fmt.Sprint("owner-", i), "machine_type": mt, "description": "race"})
				status[i] = r.Status
				if r.Status == 503 && !strings.Contains(string(r.Body), "nodes available") {
					t.Errorf("503 body %s", r.Body)
				}
			}(i)
		}
		wg.Wait()
		winner, losers := -1, 0
		for i, s := range status {
			switch s {
			case 200:
				if winner >= 0 {
					t.Fatalf("round %d: clients %d and %d both won", round, winner, i)
				}
				winner = i
			case 503:
				losers++
			default:
				t.Errorf("round %d: status %d", round, s)
			}
		}
		if winner < 0 || losers != clients-1 {
			t.Fatalf("round %d: winner %d, %d × 503", round, winner, losers)
		}
		for _, n := range decode[[]object](t, c.get("/nodes/?machine_type="+mt)) {
			if n["locked_by"] != fmt.Sprint("owner-", winner) {
				t.Errorf("round %d: %s locked by %v, winner %d", round, n["name"], n["locked_by"], winner)
			}
		}
	}
}

// Acceptance 1: 50 clients racing to lock one node: exactly one winner.
func TestLockOneRace(t *testing.T) {
	c := newServer(t)
	for round := 0; round < 5; round++ {
		name := addNodes(t, c, fmt.Sprint("one", round), 1)[0]
		const clients = 50
		wins := make(chan string, clients)
		var wg sync.WaitGroup
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				owner := fmt.Sprint("owner-", i)
				r := c.do("PUT", "/nodes/"+name+"/lock/", fmt.Sprintf(`{"locked": true, "locked_by": %q, "description": %q}`, owner, owner))
				switch r.Status {
				case 200:
					wins <- owner
				case 403:
				default:
					t.Errorf("status %d %s", r.Status, r.Body)
				}
			}(i)
		}
		wg.Wait()
		close(wins)
		var winners []string
		for w := range wins {
			winners = append(winners, w)
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: winners %v", round, winners)
		}
		if n := decode[object](t, c.get("/nodes/"+name+"/")); n["locked_by"] != winners[0] {
			t.Errorf("round %d: node locked by %v, winner %s", round, n["locked_by"], winners[0])
		}
	}
}

// Acceptance 1: lock/unlock cycles on overlapping node sets never leave a node with two owners or
// an unlocked node with an owner, and every successful lock_many gets nodes nobody else holds.
func TestLockCycles(t *testing.T) {
	c := newServer(t)
	addNodes(t, c, "cycle", 6)
	const workers, cycles = 8, 15
	var mu sync.Mutex
	holder := map[string]string{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			owner := fmt.Sprint("worker-", w)
			for i := 0; i < cycles; i++ {
				r := c.post("/nodes/lock_many/", object{"count": 1 + (w+i)%3, "locked_by": owner, "machine_type": "cycle", "description": owner})
				if r.Status == 503 {
					continue
				}
				if r.Status != 200 {
					t.Errorf("lock_many: %d %s", r.Status, r.Body)
					return
				}
				var names []string
				mu.Lock()
				for _, n := range decode[[]object](t, r) {
					name := n["name"].(string)
					if h, ok := holder[name]; ok {
						t.Errorf("%s got %s, held by %s", owner, name, h)
					}
					holder[name] = owner
					names = append(names, name)
				}
				mu.Unlock()
				mu.Lock()
				for _, n := range names {
					delete(holder, n)
				}
				mu.Unlock()
				if r := c.post("/nodes/unlock_many/", object{"names": names, "locked_by": owner}); r.Status != 200 {
					t.Errorf("unlock_many: %d %s", r.Status, r.Body)
				}
			}
		}(w)
	}
	wg.Wait()
	if n := rowCount(t, c, "SELECT count(*) FROM nodes WHERE (NOT locked AND locked_by IS NOT NULL) OR (locked AND locked_by IS NULL)"); n != 0 {
		t.Errorf("%d nodes with an inconsistent lock", n)
	}
	if n := rowCount(t, c, "SELECT count(*) FROM nodes WHERE locked"); n != 0 {
		t.Errorf("%d nodes still locked", n)
	}
}

// Acceptance 3: a job's targets link it to nodes (created on first sight), and node job history
// and stats agree with the jobs posted.
func TestNodeJobHistory(t *testing.T) {
	c := newServer(t)
	targets := func(hosts ...string) object {
		o := object{}
		for _, h := range hosts {
			o["ubuntu@"+h] = "ssh-ed25519 AAAA"
		}
		return o
	}
	c.post("/runs/r1/jobs/", object{"job_id": 1, "machine_type": "smithi", "status": "pass", "targets": targets("smithi001", "smithi002")}).must(t, 200)
	c.post("/runs/r1/jobs/", object{"job_id": 2, "machine_type": "smithi", "status": "running"}).must(t, 200)
	c.put("/runs/r1/jobs/2/", object{"status": "fail", "failure_reason": "Error reimaging machines: x", "targets": targets("smithi002")}).must(t, 200)
	c.post("/runs/r2/jobs/", object{"job_id": 1, "machine_type": "smithi", "status": "dead", "targets": targets("smithi002")}).must(t, 200)

	if n := decode[object](t, c.get("/nodes/smithi001/")); n["machine_type"] != "smithi" || n["up"] != nil || n["locked"] != false {
		t.Errorf("a node created from targets: %v", n)
	}
	jobs := decode[[]object](t, c.get("/nodes/smithi002/jobs/?count=2"))
	if len(jobs) != 2 || jobs[0]["job_id"] != "1" || jobs[0]["log_href"] != "http://qa-proxy.ceph.com/teuthology/r2/1/teuthology.log" || jobs[1]["failure_reason"] != "Error reimaging machines: x" {
		t.Errorf("smithi002's last two jobs: %v", jobs)
	}
	r := c.get("/nodes/smithi002/jobs/?count=0")
	if len(decode[[]object](t, r)) != 3 || r.Header.Get("X-Total-Count") != "3" {
		t.Errorf("count=0 lists all: %s", r.Body)
	}
	if got := decode[[]object](t, c.get("/nodes/smithi002/jobs/?name=r1&status=fail")); len(got) != 1 || got[0]["job_id"] != "2" {
		t.Errorf("name and status filters: %v", got)
	}
	stats := decode[object](t, c.get("/nodes/smithi002/job_stats/"))
	if fmt.Sprint(stats) != "map[dead:1 fail:1 pass:1 queued:0 running:0 unknown:0 waiting:0]" {
		t.Errorf("job stats %v", stats)
	}
	all := decode[object](t, c.get("/nodes/job_stats/"))
	if fmt.Sprint(all) != "map[smithi001:map[pass:1] smithi002:map[dead:1 fail:1 pass:1]]" {
		t.Errorf("nodes job stats %v", all)
	}
	if string(c.get("/nodes/job_stats/").Body) != `{"smithi001":{"pass":1},"smithi002":{"pass":1,"fail":1,"dead":1}}` {
		t.Errorf("nodes job stats are ordered by total: %s", c.get("/nodes/job_stats/").Body)
	}
	c.get("/nodes/job_stats/?since_days=0").wantError(t, 400, "since_days must be a positive integer")
	c.get("/nodes/nope/jobs/").wantError(t, 404, "node not found")
	c.get("/nodes/nope/job_stats/").wantError(t, 404, "node not found")
	// Deleting a job removes it from the history.
	c.delete("/runs/r2/jobs/1/").must(t, 200)
	if n := len(decode[[]object](t, c.get("/nodes/smithi002/jobs/"))); n != 2 {
		t.Errorf("%d jobs after a delete", n)
	}
}

// A job's later reports repeat its targets (teuthology's final PUT sends the whole job); only
// targets that changed link nodes: a node deleted meanwhile stays deleted, a new target is linked.
func TestRepeatedTargets(t *testing.T) {
	c := newServer(t)
	c.post("/runs/r1/jobs/", object{"job_id": 1, "machine_type": "smithi", "status": "queued"}).must(t, 200)
	running := object{"status": "running", "targets": object{"ubuntu@smithi001": "k", "ubuntu@smithi002": "k"}}
	c.put("/runs/r1/jobs/1/", running).must(t, 200)
	c.delete("/nodes/smithi002/").must(t, 200)
	running["status"] = "pass"
	c.put("/runs/r1/jobs/1/", running).must(t, 200)
	c.get("/nodes/smithi002/").wantError(t, 404, "node not found")
	c.put("/runs/r1/jobs/1/", object{"targets": object{"ubuntu@smithi001": "k", "ubuntu@smithi003": "k"}}).must(t, 200)
	for _, n := range []string{"smithi001", "smithi003"} {
		if jobs := decode[[]object](t, c.get("/nodes/"+n+"/jobs/")); len(jobs) != 1 || jobs[0]["status"] != "pass" {
			t.Errorf("%s's jobs: %v", n, jobs)
		}
	}
}

// Acceptance 5: malformed node, lock and queue requests answer 4xx, never 5xx.
func TestMalformedNodeAndQueueRequests(t *testing.T) {
	c := newServer(t)
	addNodes(t, c, "smithi", 1)
	bad := []struct{ method, path, body string }{
		{"GET", "/nodes/?locked=garbage", ""},
		{"GET", "/nodes/?up=2", ""},
		{"GET", "/nodes/?count=x", ""},
		{"GET", "/nodes/?count=-1", ""},
		{"GET", "/nodes/job_stats/?since_days=x", ""},
		{"GET", "/nodes/smithi000.front.sepia.ceph.com/jobs/?count=x", ""},
		{"POST", "/nodes/", `{"name": 5}`},
		{"POST", "/nodes/", `{"name": "a/b"}`},
		{"POST", "/nodes/", `{"name": "n", "up": "yes"}`},
		{"POST", "/nodes/", `[]`},
		{"PUT", "/nodes/smithi000.front.sepia.ceph.com/", `{"locked": true}`},
		{"PUT", "/nodes/smithi000.front.sepia.ceph.com/", `{"locked_since": "soon"}`},
		{"PUT", "/nodes/smithi000.front.sepia.ceph.com/lock/", `not json`},
		{"POST", "/nodes/lock_many/", `{"count": 1e30, "locked_by": "x", "machine_type": "smithi", "description": null}`},
		{"POST", "/nodes/lock_many/", `{"count": 1, "locked_by": ["x"], "machine_type": "smithi", "description": null}`},
		{"POST", "/nodes/unlock_many/", `{"names": [1, 2], "locked_by": "x"}`},
		{"POST", "/queue/", `{}`},
		{"POST", "/queue/", `{"queue": "q", "pause_duration": "long"}`},
		{"PUT", "/queue/", `{"queue": "nope"}`},
		{"GET", "/queue/pop_queue/", ""},
		{"GET", "/queue/stats/?queue=nope", ""},
		{"POST", "/queue/stats/", `{}`},
		{"POST", "/queue/queued_jobs/", ``},
		{"GET", "/queue/queued_jobs/?queue=nope", ""},
	}
	for _, b := range bad {
		var body any
		if b.body != "" {
			body = b.body
		}
		r := c.do(b.method, b.path, body)
		if r.Status < 400 || r.Status >= 500 || !strings.Contains(string(r.Body), `"message":`) {
			t.Errorf("%s %s %s: %d %s", b.method, b.path, b.body, r.Status, r.Body)
		}
	}
}

package httpapi_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRaces runs many writers against a few runs at once: POSTs, PUTs and DELETEs of the same
// jobs, deletions of whole runs while their jobs are being posted, and readers. No request gets a
// 5xx; at every moment (checked from another connection while the writers run) and at the end,
// each run's stored results and status agree with its job rows, and no job is duplicated.
func TestRaces(t *testing.T) {
	t.Parallel()
	c := newServer(t)
	seed := reliabilitySeed(t)
	workers := scaled(12, 32)
	duration := time.Duration(scaled(3, 60)) * time.Second
	const runs, jobs = 3, 8
	statuses := []string{"queued", "running", "waiting", "pass", "fail", "dead", "unknown"}

	var (
		requests atomic.Int64
		answers  sync.Map // status code -> *atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	count := func(code int) {
		requests.Add(1)
		n, _ := answers.LoadOrStore(code, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	for w := range workers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for !stop.Load() {
				run := fmt.Sprintf("race-%d", rng.IntN(runs))
				job := rng.IntN(jobs)
				jobPath := fmt.Sprintf("/runs/%s/jobs/%d/", run, job)
				var body string
				switch rng.IntN(3) {
				case 0:
					body = fmt.Sprintf(`{"job_id": %d, "status": %q}`, job, statuses[rng.IntN(len(statuses))])
				case 1:
					body = fmt.Sprintf(`{"job_id": "%d", "success": %v}`, job, []string{"true", "false", "null"}[rng.IntN(3)])
				default:
					body = fmt.Sprintf(`{"job_id": "%d", "status": %q, "priority": %d, "targets": {"u@node%d": "k"}}`, job, statuses[rng.IntN(len(statuses))], rng.IntN(100), rng.IntN(4))
				}
				var r response
				switch op := rng.IntN(100); {
				case op < 35: // teuthology's report: POST, then PUT on "already exists"
					r = c.post("/runs/"+run+"/jobs/", body)
					if r.Status == 400 && strings.HasSuffix(string(r.Body), `already exists"}`) {
						count(r.Status)
						r = c.put(jobPath, body)
					}
				case op < 65:
					r = c.put(jobPath, body)
				case op < 85:
					r = c.delete(jobPath)
				case op < 88:
					r = c.delete("/runs/" + run + "/")
				case op < 94:
					r = c.get("/runs/" + run + "/")
				default:
					r = c.get("/runs/?fields=name,status,results")
				}
				count(r.Status)
				switch r.Status {
				case 200, 404:
				default:
					t.Errorf("%s: %d %s", body, r.Status, r.Body)
				}
			}
		}(w)
	}
	// The counts agree with the rows in every snapshot, not only at the end.
	checks := 0
	for deadline := time.Now().Add(duration); time.Now().Before(deadline); checks++ {
		checkCounts(t, c.db)
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	checkCounts(t, c.db)
	codes := map[any]int64{}
	answers.Range(func(k, v any) bool { codes[k] = v.(*atomic.Int64).Load(); return true })
	t.Logf("%d workers, %d requests in %v (%v); counts checked %d times while they ran", workers, requests.Load(), duration, codes, checks+1)
}

// TestStickyStatusUnderConcurrency sends one job a pass and many dead reports at once. In any
// order of the writes the job ends pass (pass and fail are final; dead is not), so a write that
// decided on a stale read of the job (the read before the run's lock, or without it) shows up as
// a dead job.
func TestStickyStatusUnderConcurrency(t *testing.T) {
	t.Parallel()
	c := newServer(t)
	const jobs, writers = 20, 8
	for j := range jobs {
		c.post("/runs/sticky/jobs/", fmt.Sprintf(`{"job_id": %d, "status": "running"}`, j)).must(t, 200)
	}
	var wg sync.WaitGroup
	for j := range jobs {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status := "dead"
				if w == writers/2 {
					status = "pass"
				}
				if r := c.put(fmt.Sprintf("/runs/sticky/jobs/%d/", j), fmt.Sprintf(`{"status": %q}`, status)); r.Status != 200 {
					t.Errorf("job %d %s: %d %s", j, status, r.Status, r.Body)
				}
			}()
		}
	}
	wg.Wait()
	for _, job := range decode[[]object](t, c.get("/runs/sticky/jobs/?fields=job_id,status")) {
		if job["status"] != "pass" {
			t.Errorf("job %v ended %v, want pass", job["job_id"], job["status"])
		}
	}
	checkCounts(t, c.db)
}

// TestDeleteRunWhilePosting deletes runs while many clients post jobs to them: a job POST answered
// 200 either is in the database or its run was deleted after it; nothing is left half-done.
func TestDeleteRunWhilePosting(t *testing.T) {
	t.Parallel()
	c := newServer(t)
	rounds := scaled(10, 200)
	const posters, perPoster = 6, 8
	var acked, stored, deletions int64
	for round := range rounds {
		run := fmt.Sprintf("doomed-%d", round)
		var wg sync.WaitGroup
		var ok atomic.Int64
		for p := range posters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range perPoster {
					r := c.post("/runs/"+run+"/jobs/", fmt.Sprintf(`{"job_id": "%d-%d", "status": "running"}`, p, j))
					switch r.Status {
					case 200:
						ok.Add(1)
					default:
						t.Errorf("POST: %d %s", r.Status, r.Body)
					}
				}
			}()
		}
		deleted := 0
		for range 3 {
			time.Sleep(time.Millisecond)
			if r := c.delete("/runs/" + run + "/"); r.Status == 200 {
				deleted++
			} else if r.Status != 404 {
				t.Errorf("DELETE run: %d %s", r.Status, r.Body)
			}
		}
		wg.Wait()
		jobs := queryInts(t, c.db, "SELECT count(*) FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.name = $1", run)[0]
		if jobs > ok.Load() {
			t.Errorf("round %d: %d jobs stored, %d POSTs answered 200", round, jobs, ok.Load())
		}
		if deleted == 0 && jobs != ok.Load() {
			t.Errorf("round %d: run never deleted, but %d of %d acknowledged jobs stored", round, jobs, ok.Load())
		}
		acked, stored, deletions = acked+ok.Load(), stored+jobs, deletions+int64(deleted)
	}
	checkCounts(t, c.db)
	t.Logf("%d rounds: %d job POSTs, all acknowledged, %d runs deleted under them; %d jobs left (posted after the last deletion)",
		rounds, acked, deletions, stored)
}

// TestNodeRaces mixes every node write at once: lock_many, unlock_many, single locks and unlocks,
// inventory updates, deletions and re-creations of nodes (VM hosts included, whose VMs point at
// them), and job reports whose targets create and link nodes. No 5xx (lock_many's 503 "only N
// nodes available" aside), and no node ends locked without an owner or owned while unlocked.
func TestNodeRaces(t *testing.T) {
	t.Parallel()
	c := newServer(t)
	seed := reliabilitySeed(t)
	workers := scaled(10, 32)
	duration := time.Duration(scaled(3, 30)) * time.Second
	const nodes = 8
	name := func(i int) string { return fmt.Sprintf("smithi%03d", i) }
	create := func(i int) response {
		body := fmt.Sprintf(`{"name": %q, "machine_type": "smithi", "up": true}`, name(i))
		if i%4 != 0 { // every fourth node hosts the next three as VMs
			body = fmt.Sprintf(`{"name": %q, "machine_type": "smithi", "up": true, "is_vm": true, "vm_host": %q}`, name(i), name(i-i%4))
		}
		return c.post("/nodes/", body)
	}
	for i := range nodes {
		create(i).must(t, 200)
	}
	var requests atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			owner := fmt.Sprintf("worker%d@host", w)
			for !stop.Load() {
				n := rng.IntN(nodes)
				var r response
				ok := []int{200}
				switch op := rng.IntN(9); op {
				case 0:
					r = c.post("/nodes/lock_many/", fmt.Sprintf(`{"count": %d, "locked_by": %q, "machine_type": "smithi", "description": "run"}`, 1+rng.IntN(3), owner))
					ok = []int{200, 503}
				case 1:
					r = c.post("/nodes/unlock_many/", fmt.Sprintf(`{"names": [%q, %q], "locked_by": %q}`, name(n), name((n+1)%nodes), owner))
					ok = []int{200, 400, 403}
				case 2:
					r = c.put("/nodes/"+name(n)+"/lock/", fmt.Sprintf(`{"locked": %v, "locked_by": %q}`, rng.IntN(2) == 0, owner))
					ok = []int{200, 400, 403, 404}
				case 3:
					r = c.put("/nodes/"+name(n)+"/", fmt.Sprintf(`{"up": %v, "os_type": "ubuntu"}`, rng.IntN(4) != 0))
					ok = []int{200, 404}
				case 4:
					r = c.delete("/nodes/" + name(n) + "/")
					ok = []int{200, 404}
				case 5:
					r = create(n)
					ok = []int{200, 400} // 400: exists, or its VM host was just deleted
				case 6:
					r = c.post("/runs/node-race/jobs/", fmt.Sprintf(`{"job_id": "%d-%d", "machine_type": "smithi", "targets": {"ubuntu@%s": "k", "ubuntu@%s": "k"}}`, w, rng.IntN(1000), name(n), name((n+3)%nodes)))
					ok = []int{200, 400}
				case 7:
					r = c.get("/nodes/?machine_type=smithi")
				default:
					r = c.get("/nodes/" + name(n) + "/jobs/")
					ok = []int{200, 404}
				}
				requests.Add(1)
				if !slices.Contains(ok, r.Status) {
					t.Errorf("%d %s", r.Status, r.Body)
				}
			}
		}()
	}
	time.Sleep(duration)
	stop.Store(true)
	wg.Wait()
	if v := queryInts(t, c.db, "SELECT count(*) FROM nodes WHERE locked <> (locked_by IS NOT NULL)"); v[0] != 0 {
		t.Errorf("%d nodes locked without an owner or owned while unlocked", v[0])
	}
	t.Logf("%d workers, %d node requests in %v", workers, requests.Load(), duration)
}

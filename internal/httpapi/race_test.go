package httpapi_test

import (
	"fmt"
	"math/rand/v2"
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

// TestDeleteRunWhilePosting deletes runs while many clients post jobs to them: a job POST answered
// 200 either is in the database or its run was deleted after it; nothing is left half-done.
func TestDeleteRunWhilePosting(t *testing.T) {
	t.Parallel()
	c := newServer(t)
	rounds := scaled(10, 200)
	const posters, perPoster = 6, 8
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
	}
	checkCounts(t, c.db)
}

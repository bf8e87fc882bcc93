package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// phase is one load phase: the same operations through the API and, for the floor, as the
// server's SQL straight from Go.
type Phase struct {
	Name    string  `json:"name"`
	Kind    string  `json:"kind"` // write or read
	Request string  `json:"request"`
	Target  *target `json:"target,omitempty"`

	// prepare builds both sides' operations (request bodies, parsed patches) before the clock
	// starts; it returns how many operations each worker may run (0: no limit). A phase whose
	// prepare returns an error is skipped.
	prepare func(ctx context.Context) (perWorker int, api, floor op, err error)
	// minimal, for a write phase, gives the minimal-SQL floor's operation (minfloor.go), run in
	// the same slices after prepare, and a check of what it and the API wrote, run after them.
	minimal func(ctx context.Context) (op, func(ctx context.Context) (string, error), error)
}

// target is what the issue asks of a phase.
type target struct {
	MinFloorRatio   float64 `json:"min_throughput_ratio,omitempty"`         // API throughput / floor throughput
	MinMinimalRatio float64 `json:"min_minimal_throughput_ratio,omitempty"` // API throughput / minimal floor throughput
	MaxP99          float64 `json:"max_p99_ms,omitempty"`
}

const (
	sideAPI   = 0
	sideFloor = 1
	sideMin   = 2 // the minimal-SQL floor's own runs and jobs
)

// benchJob is a job the write phases report: its run and spec, its bodies for the API, and those
// bodies already parsed for the floor.
type benchJob struct {
	run       *runSpec
	runParams db.CreateRunParams
	spec      jobSpec
	body      [3][]byte // queued (POST), running, pass (PUT)
	patch     [3]paddles.JobPatch
	posted    bool // job_post created it
	apiDone   int  // on the API's side: how many of body the API has applied
	floorDone int  // on the floor's side: how many of patch the floor has applied
}

// bodies are the job's bodies in the order the phases send them.
func (bj *benchJob) bodies() [][]byte { return bj.body[:] }

const jobsPerBenchRun = 50

// benchRun is a new run for the write phases, scheduled now.
func (b *bench) benchRun(side, worker, n int, label string) *runSpec {
	sideName := [3]string{"api", "floor", "min"}[side]
	id := int64(1_000_000_000 + side*100_000_000 + worker*1_000_000 + n)
	r := rng(b.w.seed, 6, uint64(id))
	s := &runSpec{
		id:          id,
		user:        "teuthology",
		suite:       suites[r.IntN(len(suites))],
		branch:      fmt.Sprintf("wip-bench-%s-%s-w%d-%d", sideName, label, worker, n),
		machineType: "smithi",
		sha1:        hexString(r, 40),
		suiteSha1:   hexString(r, 40),
		priority:    70,
		scheduled:   b.started,
		njobs:       jobsPerBenchRun,
		firstJobID:  9_000_000 + id%100_000_000*jobsPerBenchRun,
		age:         time.Minute,
	}
	s.name = fmt.Sprintf("%s-%s-%s-%s-distro-default-%s", s.user, s.scheduled.Format("2006-01-02_15:04:05"),
		s.suite, s.branch, s.machineType)
	return s
}

// newBenchJob makes job k of run s with all its bodies; the floor's patches are parsed too.
func (b *bench) newBenchJob(s *runSpec, k int, params db.CreateRunParams, forFloor bool) (*benchJob, error) {
	spec := b.w.job(s, k)
	if len(spec.hosts) == 0 {
		spec.hosts = b.w.pickHosts(rng(b.w.seed, 7, uint64(s.id), uint64(k)), s)
	}
	bj := &benchJob{run: s, runParams: params, spec: spec}
	bj.body[0] = b.w.body(&spec, "queued", false)
	bj.body[1] = b.w.body(&spec, "running", true)
	bj.body[2] = b.w.body(&spec, "pass", true)
	if forFloor {
		for i := range bj.body {
			p, err := paddles.ParseJobPatch(bj.body[i])
			if err != nil {
				return nil, err
			}
			bj.patch[i] = p
		}
		bj.body = [3][]byte{}
	}
	return bj, nil
}

func (b *bench) jobURL(bj *benchJob) string {
	return b.base + "/runs/" + pathEscape(bj.run.name) + "/jobs/" + bj.spec.jobID + "/"
}

func (b *bench) postURL(bj *benchJob) string {
	return b.base + "/runs/" + pathEscape(bj.run.name) + "/jobs/"
}

func pathEscape(s string) string { return url.PathEscape(s) }

func replaceAll(s string, oldnew ...string) string { return strings.NewReplacer(oldnew...).Replace(s) }

// writeJobs makes perWorker new jobs for each worker of one side, in runs of jobsPerBenchRun
// jobs that belong to that worker alone.
func (b *bench) writeJobs(side int, perWorker int, label string) ([][]*benchJob, error) {
	jobs := make([][]*benchJob, b.cfg.concurrency)
	for w := range jobs {
		var run *runSpec
		var params db.CreateRunParams
		for k := 0; k < perWorker; k++ {
			if k%jobsPerBenchRun == 0 {
				run = b.benchRun(side, w, k/jobsPerBenchRun, label)
				params = newRunParams(run.name)
			}
			bj, err := b.newBenchJob(run, k%jobsPerBenchRun, params, side != sideAPI)
			if err != nil {
				return nil, err
			}
			jobs[w] = append(jobs[w], bj)
		}
	}
	return jobs, nil
}

// writeCap bounds the operations prepared for a write phase: enough for writeRate per second.
func (b *bench) writeCap(writeRate float64) int {
	total := writeRate * (b.cfg.warmup + b.cfg.duration).Seconds()
	return max(10, int(total)/b.cfg.concurrency+1)
}

func (b *bench) writePhases() []*Phase {
	// Jobs that the job_post phase created, per side and worker, for job_put; the minimal floor's
	// side has its writes prepared (minfloor.go).
	var posted [3][][]*benchJob
	var mposted [][]*minJob
	return []*Phase{
		{
			Name: "job_post", Kind: "write", Request: "POST /runs/{run}/jobs/ (new queued job, ~3.5 KB; one run per worker)",
			Target: &target{MinFloorRatio: 0.5, MinMinimalRatio: 0.5},
			prepare: func(ctx context.Context) (int, op, op, error) {
				per := b.writeCap(4000)
				var err error
				for side := range posted {
					if posted[side], err = b.writeJobs(side, per, "post"); err != nil {
						return 0, nil, nil, err
					}
				}
				// Minimal: POST, then PUT running, pass, and pass again (job_put).
				mposted = b.minJobs(posted[sideMin], func(bj *benchJob) []*paddles.JobPatch {
					return []*paddles.JobPatch{&bj.patch[0], &bj.patch[1], &bj.patch[2], &bj.patch[2]}
				})
				api := func(ctx context.Context, w, k int) string {
					bj := posted[sideAPI][w][k]
					res := do(ctx, b.client, http.MethodPost, b.postURL(bj), bj.body[0])
					bj.posted = res == ""
					bj.noteAPI(res, 1)
					return res
				}
				floor := func(ctx context.Context, w, k int) string {
					bj := posted[sideFloor][w][k]
					res := dbResult(ctx, b.floor.createJob(ctx, bj, &bj.patch[0]))
					bj.posted = res == ""
					return res
				}
				return per, api, floor, nil
			},
			minimal: func(ctx context.Context) (op, func(context.Context) (string, error), error) {
				return func(ctx context.Context, w, k int) string { return mposted[w][k].run(ctx, b.floor.pool, 0) },
					func(ctx context.Context) (string, error) { return b.checkMinimal(ctx, posted[sideAPI], mposted) }, nil
			},
		},
		{
			Name: "job_put", Kind: "write", Request: "PUT /runs/{run}/jobs/{job}/ (running with targets, then pass; ~3.7 KB)",
			Target: &target{MinFloorRatio: 0.5, MinMinimalRatio: 0.5},
			prepare: func(ctx context.Context) (int, op, op, error) {
				var done [2][][]*benchJob
				for side := range done {
					done[side] = make([][]*benchJob, b.cfg.concurrency)
					for w, jobs := range posted[side] {
						for _, bj := range jobs {
							if bj.posted {
								done[side][w] = append(done[side][w], bj)
							}
						}
					}
					for w := range done[side] {
						if len(done[side][w]) == 0 {
							return 0, nil, nil, fmt.Errorf("needs the jobs of job_post")
						}
					}
				}
				// Each job goes running, then pass, then reports pass again.
				pick := func(side, w, k int) (*benchJob, int) {
					jobs := done[side][w]
					return jobs[k%len(jobs)], min(1+k/len(jobs), 2)
				}
				api := func(ctx context.Context, w, k int) string {
					bj, i := pick(sideAPI, w, k)
					res := do(ctx, b.client, http.MethodPut, b.jobURL(bj), bj.body[i])
					bj.noteAPI(res, i+1)
					return res
				}
				floor := func(ctx context.Context, w, k int) string {
					bj, i := pick(sideFloor, w, k)
					res := dbResult(ctx, b.floor.updateJob(ctx, bj, &bj.patch[i]))
					if res == "" {
						bj.floorDone = max(bj.floorDone, i+1)
					}
					return res
				}
				return 0, api, floor, nil
			},
			minimal: func(ctx context.Context) (op, func(context.Context) (string, error), error) {
				done := make([][]*minJob, b.cfg.concurrency)
				for w, jobs := range mposted {
					for _, mj := range jobs {
						if mj.done > 0 {
							done[w] = append(done[w], mj)
						}
					}
					if len(done[w]) == 0 {
						return nil, nil, fmt.Errorf("needs the jobs of job_post")
					}
				}
				// The same sequence: write 1 (running), 2 (pass), then 3 (pass again) over and over.
				run := func(ctx context.Context, w, k int) string {
					jobs := done[w]
					return jobs[k%len(jobs)].run(ctx, b.floor.pool, min(1+k/len(jobs), 3))
				}
				return run, func(ctx context.Context) (string, error) { return b.checkMinimal(ctx, posted[sideAPI], mposted) }, nil
			},
		},
		b.finalPhase(&posted, &mposted),
		b.statusPhase(),
		b.contentionPhase(),
	}
}

// minJobs prepares the minimal floor's writes of jobs made by writeJobs.
func (b *bench) minJobs(jobs [][]*benchJob, patches func(*benchJob) []*paddles.JobPatch) [][]*minJob {
	out := make([][]*minJob, len(jobs))
	for w, bjs := range jobs {
		for _, bj := range bjs {
			out[w] = append(out[w], newMinJob(bj, patches(bj)))
		}
	}
	return out
}

// noteAPI records that the API applied the job's first n bodies.
func (bj *benchJob) noteAPI(res string, n int) {
	if res == "" {
		bj.apiDone = max(bj.apiDone, n)
	}
}

// checkMinimal compares what the API and the minimal floor wrote: a sample of each side's
// written jobs is read back and compared with what the server's rules make of the bodies applied
// so far, and their runs' counts, times and node links are checked (checkWrites).
func (b *bench) checkMinimal(ctx context.Context, api [][]*benchJob, minimal [][]*minJob) (string, error) {
	var apiWant, minWant []expected
	for _, jobs := range api {
		var written []*benchJob
		for _, bj := range jobs {
			if bj.apiDone > 0 {
				written = append(written, bj)
			}
		}
		for _, bj := range sample(written, 10) {
			e, err := expectFromBodies(bj, bj.bodies(), bj.apiDone)
			if err != nil {
				return "", err
			}
			apiWant = append(apiWant, e)
		}
	}
	for _, jobs := range minimal {
		var written []*minJob
		for _, mj := range jobs {
			if mj.done > 0 {
				written = append(written, mj)
			}
		}
		for _, mj := range sample(written, 10) {
			minWant = append(minWant, expected{run: mj.bj.run.name, jobID: mj.bj.spec.jobID, job: mj.expect[mj.done-1]})
		}
	}
	if len(apiWant) == 0 || len(minWant) == 0 {
		return "", fmt.Errorf("nothing written to check (API %d jobs, minimal %d)", len(apiWant), len(minWant))
	}
	aj, ar, err := checkWrites(ctx, b.floor.st, b.floor.pool, apiWant)
	if err != nil {
		return "", fmt.Errorf("API side: %w", err)
	}
	mj, mr, err := checkWrites(ctx, b.floor.st, b.floor.pool, minWant)
	if err != nil {
		return "", fmt.Errorf("minimal side: %w", err)
	}
	return fmt.Sprintf("same rows: %d jobs, %d runs (API %d, %d)", mj, mr, aj, ar), nil
}

// finalPhase is the final report of a job that runs: PUT of the whole body with status pass
// (success, duration), each job once, on the jobs job_put left running (the first report of each,
// so job_put must not have run out of jobs for this to have any).
func (b *bench) finalPhase(posted *[3][][]*benchJob, mposted *[][]*minJob) *Phase {
	var running [2][][]*benchJob
	var mrunning [][]*minJob
	return &Phase{
		Name: "job_put_final", Kind: "write", Request: "PUT /runs/{run}/jobs/{job}/ (a running job's final report: pass, the whole body; ~3.7 KB)",
		Target: &target{MinFloorRatio: 0.5, MinMinimalRatio: 0.5},
		prepare: func(ctx context.Context) (int, op, op, error) {
			// The jobs each side left running, dealt to the workers anew (a worker whose job_put
			// wrapped around its jobs has none left).
			conc := b.cfg.concurrency
			per := -1
			deal := func(n int, put func(w, i int)) {
				for i := 0; i < n; i++ {
					put(i%conc, i)
				}
				if per < 0 || n/conc < per {
					per = n / conc
				}
			}
			for side := range running {
				var all []*benchJob
				for _, jobs := range posted[side] {
					for _, bj := range jobs {
						if (side == sideAPI && bj.apiDone == 2) || (side == sideFloor && bj.floorDone == 2) {
							all = append(all, bj)
						}
					}
				}
				running[side] = make([][]*benchJob, conc)
				deal(len(all), func(w, i int) { running[side][w] = append(running[side][w], all[i]) })
			}
			var all []*minJob
			for _, jobs := range *mposted {
				for _, mj := range jobs {
					if mj.done == 2 {
						all = append(all, mj)
					}
				}
			}
			mrunning = make([][]*minJob, conc)
			deal(len(all), func(w, i int) { mrunning[w] = append(mrunning[w], all[i]) })
			if per <= 0 {
				return 0, nil, nil, fmt.Errorf("needs running jobs from job_put on every side and worker (fewest: %d)", per)
			}
			api := func(ctx context.Context, w, k int) string {
				bj := running[sideAPI][w][k]
				res := do(ctx, b.client, http.MethodPut, b.jobURL(bj), bj.body[2])
				bj.noteAPI(res, 3)
				return res
			}
			floor := func(ctx context.Context, w, k int) string {
				bj := running[sideFloor][w][k]
				return dbResult(ctx, b.floor.updateJob(ctx, bj, &bj.patch[2]))
			}
			return per, api, floor, nil
		},
		minimal: func(ctx context.Context) (op, func(context.Context) (string, error), error) {
			return func(ctx context.Context, w, k int) string { return mrunning[w][k].run(ctx, b.floor.pool, 2) },
				func(ctx context.Context) (string, error) { return b.checkMinimal(ctx, running[sideAPI], mrunning) }, nil
		},
	}
}

// statusPhase is teuthology's report that a job runs: PUT {"status": "running", "pid": N} on a
// queued job, each job once. Its queued jobs are made before the clock, on each side alike, by
// the minimal floor's POST (checked to write what the API does, in job_post).
func (b *bench) statusPhase() *Phase {
	var jobs [3][][]*benchJob
	var mjobs [][]*minJob
	return &Phase{
		Name: "job_put_status", Kind: "write", Request: `PUT /runs/{run}/jobs/{job}/ {"status": "running", "pid": N} (a queued job starts)`,
		Target: &target{MinFloorRatio: 0.5, MinMinimalRatio: 0.5},
		prepare: func(ctx context.Context) (int, op, op, error) {
			per := b.writeCap(2500)
			for side := range jobs {
				var err error
				if jobs[side], err = b.writeJobs(side, per, "status"); err != nil {
					return 0, nil, nil, err
				}
				var creates []*minWrite
				sideJobs := make([][]*minJob, len(jobs[side]))
				for w, bjs := range jobs[side] {
					for k, bj := range bjs {
						bj.body[1] = []byte(fmt.Sprintf(`{"status":"running","pid":%d}`, 100000+w*per+k))
						if side == sideAPI {
							if bj.patch[0], err = paddles.ParseJobPatch(bj.body[0]); err != nil {
								return 0, nil, nil, err
							}
						}
						if bj.patch[1], err = paddles.ParseJobPatch(bj.body[1]); err != nil {
							return 0, nil, nil, err
						}
						mj := newMinJob(bj, []*paddles.JobPatch{&bj.patch[0], &bj.patch[1]})
						mj.done = 1
						bj.apiDone = 1
						creates = append(creates, mj.writes[0])
						sideJobs[w] = append(sideJobs[w], mj)
					}
				}
				if err := runBatch(ctx, b.floor.pool, creates); err != nil {
					return 0, nil, nil, fmt.Errorf("making the queued jobs: %w", err)
				}
				if side == sideMin {
					mjobs = sideJobs
				}
			}
			api := func(ctx context.Context, w, k int) string {
				bj := jobs[sideAPI][w][k]
				res := do(ctx, b.client, http.MethodPut, b.jobURL(bj), bj.body[1])
				bj.noteAPI(res, 2)
				return res
			}
			floor := func(ctx context.Context, w, k int) string {
				bj := jobs[sideFloor][w][k]
				return dbResult(ctx, b.floor.updateJob(ctx, bj, &bj.patch[1]))
			}
			return per, api, floor, nil
		},
		minimal: func(ctx context.Context) (op, func(context.Context) (string, error), error) {
			return func(ctx context.Context, w, k int) string { return mjobs[w][k].run(ctx, b.floor.pool, 1) },
				func(ctx context.Context) (string, error) { return b.checkMinimal(ctx, jobs[sideAPI], mjobs) }, nil
		},
	}
}

// contentionPhase has every worker on one run: POST a job, PUT it running (with targets).
func (b *bench) contentionPhase() *Phase {
	var jobs [3][][]*benchJob
	var mjobs [][]*minJob
	return &Phase{
		Name: "contention", Kind: "write", Request: "POST then PUT (running) jobs of one run, every worker on the same run",
		Target: &target{MinMinimalRatio: 0.5},
		prepare: func(ctx context.Context) (int, op, op, error) {
			per := b.writeCap(4000)
			for side := range jobs {
				run := b.benchRun(side, 99, 0, "contention")
				run.njobs = per * b.cfg.concurrency
				params := newRunParams(run.name)
				jobs[side] = make([][]*benchJob, b.cfg.concurrency)
				for w := range jobs[side] {
					for k := 0; k < per/2+1; k++ {
						bj, err := b.newBenchJob(run, w*per+k, params, side != sideAPI)
						if err != nil {
							return 0, nil, nil, err
						}
						jobs[side][w] = append(jobs[side][w], bj)
					}
				}
			}
			mjobs = b.minJobs(jobs[sideMin], func(bj *benchJob) []*paddles.JobPatch {
				return []*paddles.JobPatch{&bj.patch[0], &bj.patch[1]}
			})
			api := func(ctx context.Context, w, k int) string {
				bj := jobs[sideAPI][w][k/2]
				if k%2 == 0 {
					res := do(ctx, b.client, http.MethodPost, b.postURL(bj), bj.body[0])
					bj.noteAPI(res, 1)
					return res
				}
				res := do(ctx, b.client, http.MethodPut, b.jobURL(bj), bj.body[1])
				bj.noteAPI(res, 2)
				return res
			}
			floor := func(ctx context.Context, w, k int) string {
				bj := jobs[sideFloor][w][k/2]
				if k%2 == 0 {
					return dbResult(ctx, b.floor.createJob(ctx, bj, &bj.patch[0]))
				}
				return dbResult(ctx, b.floor.updateJob(ctx, bj, &bj.patch[1]))
			}
			return per, api, floor, nil
		},
		minimal: func(ctx context.Context) (op, func(context.Context) (string, error), error) {
			return func(ctx context.Context, w, k int) string { return mjobs[w][k/2].run(ctx, b.floor.pool, k%2) },
				func(ctx context.Context) (string, error) { return b.checkMinimal(ctx, jobs[sideAPI], mjobs) }, nil
		},
	}
}

// readPhase is a read phase whose operation picks its request with a per-worker random source
// (the same sequence on both sides): path gives the API path, fl runs the floor.
func (b *bench) readPhase(name, request string, maxP99 float64, pick func(r *rand.Rand) (path string, fl func(ctx context.Context) error)) *Phase {
	var t *target
	if maxP99 > 0 {
		t = &target{MaxP99: maxP99}
	}
	return &Phase{
		Name: name, Kind: "read", Request: request, Target: t,
		prepare: func(ctx context.Context) (int, op, op, error) {
			var rs [2][]*rand.Rand
			for side := range rs {
				for w := 0; w < b.cfg.concurrency; w++ {
					rs[side] = append(rs[side], rand.New(rand.NewPCG(b.w.seed, uint64(1000+w))))
				}
			}
			api := func(ctx context.Context, w, k int) string {
				path, _ := pick(rs[sideAPI][w])
				return do(ctx, b.client, http.MethodGet, b.base+path, nil)
			}
			floor := func(ctx context.Context, w, k int) string {
				_, fl := pick(rs[sideFloor][w])
				return dbResult(ctx, fl(ctx))
			}
			return 0, api, floor, nil
		},
	}
}

func (b *bench) readPhases() []*Phase {
	w := b.w
	var runs100 []*runSpec
	for _, s := range w.runs {
		if s.njobs == 100 {
			runs100 = append(runs100, s)
		}
	}
	if len(runs100) == 0 {
		runs100 = w.runs
	}
	anyRun := func(r *rand.Rand) *runSpec { return w.runs[r.IntN(len(w.runs))] }
	// filter builds a phase for a run filter path (segments after /runs/).
	filter := func(name string, maxP99 float64, segments func(r *rand.Rand) []string) *Phase {
		var example []string
		for _, s := range segments(rand.New(rand.NewPCG(1, 1))) {
			example = append(example, pathEscape(s))
		}
		return b.readPhase(name, "GET /runs/"+strings.Join(example, "/")+"/", maxP99, func(r *rand.Rand) (string, func(context.Context) error) {
			segs := segments(r)
			esc := make([]string, len(segs))
			for i, s := range segs {
				esc[i] = pathEscape(s)
			}
			return "/runs/" + strings.Join(esc, "/") + "/", func(ctx context.Context) error {
				return b.floor.runQuery(ctx, segs, int64(b.cfg.runsPageSize))
			}
		})
	}
	fixed := func(segs ...string) func(*rand.Rand) []string { return func(*rand.Rand) []string { return segs } }
	return []*Phase{
		b.readPhase("runs_list", "GET /runs/?count=100", 10, func(r *rand.Rand) (string, func(context.Context) error) {
			return "/runs/?count=100", func(ctx context.Context) error { return b.floor.listRuns(ctx, 100) }
		}),
		b.readPhase("run_get", "GET /runs/{run}/ (a run of 100 jobs)", 15, func(r *rand.Rand) (string, func(context.Context) error) {
			s := runs100[r.IntN(len(runs100))]
			return "/runs/" + pathEscape(s.name) + "/", func(ctx context.Context) error { return b.floor.getRun(ctx, s.name) }
		}),
		b.readPhase("run_jobs", "GET /runs/{run}/jobs/ (a run of 100 jobs)", 0, func(r *rand.Rand) (string, func(context.Context) error) {
			s := runs100[r.IntN(len(runs100))]
			return "/runs/" + pathEscape(s.name) + "/jobs/", func(ctx context.Context) error { return b.floor.runJobs(ctx, s.name) }
		}),
		b.readPhase("job_get", "GET /runs/{run}/jobs/{job}/", 0, func(r *rand.Rand) (string, func(context.Context) error) {
			s := anyRun(r)
			id := w.job(s, r.IntN(s.njobs)).jobID
			return "/runs/" + pathEscape(s.name) + "/jobs/" + id + "/", func(ctx context.Context) error { return b.floor.getJob(ctx, s.name, id) }
		}),
		filter("filter_branch", 20, fixed("branch", "main")),
		filter("filter_suite", 20, fixed("suite", "rados")),
		filter("filter_machine_type", 20, fixed("machine_type", "smithi")),
		filter("filter_status", 20, fixed("status", "finished pass")),
		filter("filter_user", 20, fixed("user", "teuthology")),
		filter("filter_sha1", 20, func(r *rand.Rand) []string { return []string{"sha1", anyRun(r).sha1[:8]} }),
		filter("filter_date", 20, func(r *rand.Rand) []string {
			return []string{"date", anyRun(r).scheduled.Format("2006-01-02")}
		}),
		filter("filter_nested", 20, fixed("branch", "main", "suite", "rados", "status", "finished fail")),
		filter("values_branch", 20, fixed("branch")),
		// The same list a page at a time (count and page on a value list, this server's addition).
		b.readPhase("values_branch_page", "GET /runs/branch/?count=100&page=50", 20, func(r *rand.Rand) (string, func(context.Context) error) {
			return "/runs/branch/?count=100&page=50", func(ctx context.Context) error { return b.floor.runValues(ctx, "branch", 100, 4900) }
		}),
		filter("values_nested", 20, fixed("branch", "main", "suite")),
		filter("values_date", 20, fixed("date")),
		b.readPhase("jobs_search", "GET /jobs/?status=fail&branch=main", 50, func(r *rand.Rand) (string, func(context.Context) error) {
			status, branch := "fail", "main"
			return "/jobs/?status=fail&branch=main", func(ctx context.Context) error {
				return b.floor.searchJobs(ctx, paddles.JobSearch{Statuses: []string{status}, Branch: &branch}, 10)
			}
		}),
		// pulpito-ng's "Past 25 jobs with same description".
		b.readPhase("jobs_history", "GET /jobs/?description={a job's description}&count=25", 50, func(r *rand.Rand) (string, func(context.Context) error) {
			s := anyRun(r)
			j := w.job(s, r.IntN(s.njobs))
			d := w.description(&j)
			return "/jobs/?description=" + url.QueryEscape(d) + "&count=25", func(ctx context.Context) error {
				return b.floor.searchJobs(ctx, paddles.JobSearch{Description: &d}, 25)
			}
		}),
		b.readPhase("jobs_sha1", "GET /jobs/?sha1={a run's sha1}", 50, func(r *rand.Rand) (string, func(context.Context) error) {
			sha1 := anyRun(r).sha1
			return "/jobs/?sha1=" + sha1, func(ctx context.Context) error {
				return b.floor.searchJobs(ctx, paddles.JobSearch{Sha1: &sha1}, 10)
			}
		}),
		b.readPhase("jobs_branch", "GET /jobs/?branch={a run's branch}&status=fail", 50, func(r *rand.Rand) (string, func(context.Context) error) {
			branch, status := anyRun(r).branch, "fail"
			return "/jobs/?branch=" + url.QueryEscape(branch) + "&status=fail", func(ctx context.Context) error {
				return b.floor.searchJobs(ctx, paddles.JobSearch{Branch: &branch, Statuses: []string{status}}, 10)
			}
		}),
		b.readPhase("node_jobs", "GET /nodes/{node}/jobs/?count=50", 20, func(r *rand.Rand) (string, func(context.Context) error) {
			n := w.nodes[r.IntN(len(w.nodes))].name
			return "/nodes/" + pathEscape(n) + "/jobs/?count=50", func(ctx context.Context) error { return b.floor.nodeJobs(ctx, n, 50) }
		}),
		b.runRegressionsPhase(runs100),
		b.testsHistoryPhase(), b.testsFlakyPhase(),
		b.failuresListPhase(), b.failureJobsPhase(),
	}
}

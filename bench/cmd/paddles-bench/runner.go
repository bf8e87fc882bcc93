package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// op runs the k-th operation of worker w and says how it went: "" for success, else an error
// class (an HTTP status, a SQLSTATE, "transport").
type op func(ctx context.Context, w, k int) string

// Stats describe one side (API or floor) of one phase.
type Stats struct {
	Ops        int            `json:"ops"`
	Seconds    float64        `json:"seconds"`
	Throughput float64        `json:"throughput_per_s"`
	P50        float64        `json:"p50_ms"`
	P95        float64        `json:"p95_ms"`
	P99        float64        `json:"p99_ms"`
	Max        float64        `json:"max_ms"`
	Mean       float64        `json:"mean_ms"`
	Errors     map[string]int `json:"errors,omitempty"`
	Exhausted  bool           `json:"exhausted,omitempty"` // ran out of prepared operations before the time was up
	// CPU time per operation (ms) of the server process and of PostgreSQL (all its processes),
	// from /proc: unlike latencies, it barely depends on what else the machine runs.
	ServerCPU float64 `json:"server_cpu_ms_per_op,omitempty"`
	DBCPU     float64 `json:"db_cpu_ms_per_op,omitempty"`
}

// cpuMeter reads the CPU time used so far by the server and by PostgreSQL (0 when unknown).
type cpuMeter struct{ serverPID, postmasterPID int }

func (m cpuMeter) read() (server, db int64) {
	if m.serverPID > 0 {
		server = cpuTicks(m.serverPID)
	}
	if m.postmasterPID > 0 {
		db = childrenTicks(m.postmasterPID)
	}
	return server, db
}

// side accumulates one side's samples over the slices of a phase. Worker w runs its operations
// k = 0, 1, ... in order across slices, at most perWorker of them when perWorker > 0.
type side struct {
	conc      int
	perWorker int
	fn        op
	next      []int
	durs      []time.Duration
	errors    map[string]int
	seconds   float64
	exhausted bool
	cpu       cpuMeter
	serverCPU int64 // ticks, over the measured parts of the slices
	dbCPU     int64
}

func newSide(conc, perWorker int, fn op) *side {
	return &side{conc: conc, perWorker: perWorker, fn: fn, next: make([]int, conc), errors: map[string]int{}}
}

// run runs the side's workers for warmup (not recorded), then for dur.
func (s *side) run(ctx context.Context, warmup, dur time.Duration) {
	type sample struct {
		d   time.Duration
		err string
	}
	start := time.Now()
	measureFrom := start.Add(warmup)
	deadline := measureFrom.Add(dur)
	samples := make([][]sample, s.conc)
	// CPU is read when the warmup ends and when the last worker is done.
	cpuStart := make(chan [2]int64, 1)
	go func() {
		time.Sleep(time.Until(measureFrom))
		a, b := s.cpu.read()
		cpuStart <- [2]int64{a, b}
	}()
	var lastEnd atomic.Int64
	lastEnd.Store(measureFrom.UnixNano())
	var exhausted atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < s.conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ; ; s.next[w]++ {
				k := s.next[w]
				if s.perWorker > 0 && k >= s.perWorker {
					exhausted.Store(true)
					return
				}
				t0 := time.Now()
				if !t0.Before(deadline) || ctx.Err() != nil {
					return
				}
				res := s.fn(ctx, w, k)
				t1 := time.Now()
				if t0.Before(measureFrom) {
					continue
				}
				samples[w] = append(samples[w], sample{t1.Sub(t0), res})
				for {
					old := lastEnd.Load()
					if t1.UnixNano() <= old || lastEnd.CompareAndSwap(old, t1.UnixNano()) {
						break
					}
				}
			}
		}(w)
	}
	wg.Wait()
	srv, db := s.cpu.read()
	c0 := <-cpuStart
	s.serverCPU += srv - c0[0]
	s.dbCPU += db - c0[1]
	for _, ss := range samples {
		for _, x := range ss {
			s.durs = append(s.durs, x.d)
			if x.err != "" {
				s.errors[x.err]++
			}
		}
	}
	s.seconds += time.Unix(0, lastEnd.Load()).Sub(measureFrom).Seconds()
	s.exhausted = s.exhausted || exhausted.Load()
}

// stats sums up the side's samples.
func (s *side) stats() Stats {
	st := Stats{Ops: len(s.durs), Seconds: s.seconds, Exhausted: s.exhausted}
	if len(s.errors) > 0 {
		st.Errors = s.errors
	}
	if st.Ops == 0 {
		return st
	}
	st.Throughput = float64(st.Ops) / st.Seconds
	const msPerTick = 10 // USER_HZ is 100 on Linux
	st.ServerCPU = float64(s.serverCPU*msPerTick) / float64(st.Ops)
	st.DBCPU = float64(s.dbCPU*msPerTick) / float64(st.Ops)
	all := slices.Clone(s.durs)
	slices.Sort(all)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	pct := func(p float64) float64 {
		i := int(p*float64(len(all))+0.999999) - 1
		i = max(0, min(i, len(all)-1))
		return ms(all[i])
	}
	st.P50, st.P95, st.P99 = pct(0.50), pct(0.95), pct(0.99)
	st.Max = ms(all[len(all)-1])
	st.Mean = ms(sum / time.Duration(len(all)))
	return st
}

// compare runs the floor, the minimal floor (when minOp is not nil) and the API in alternating
// slices, so that what else the machine is doing weighs on all alike, and returns their figures.
func compare(ctx context.Context, cpu cpuMeter, conc, perWorker, slices int, warmup, dur time.Duration, floorOp, minOp, apiOp op) (floor, minimal, api Stats) {
	f, a := newSide(conc, perWorker, floorOp), newSide(conc, perWorker, apiOp)
	f.cpu, a.cpu = cpuMeter{postmasterPID: cpu.postmasterPID}, cpu
	var m *side
	if minOp != nil {
		m = newSide(conc, perWorker, minOp)
		m.cpu = cpuMeter{postmasterPID: cpu.postmasterPID}
	}
	for i := 0; i < slices; i++ {
		f.run(ctx, warmup/time.Duration(slices), dur/time.Duration(slices))
		if m != nil {
			m.run(ctx, warmup/time.Duration(slices), dur/time.Duration(slices))
		}
		a.run(ctx, warmup/time.Duration(slices), dur/time.Duration(slices))
	}
	if m != nil {
		minimal = m.stats()
	}
	return f.stats(), minimal, a.stats()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// do sends one request and reads the whole answer.
func do(ctx context.Context, client *http.Client, method, url string, body []byte) string {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return "request"
	}
	res, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "canceled"
		}
		return "transport"
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	switch {
	case res.StatusCode != http.StatusOK:
		return strconv.Itoa(res.StatusCode)
	case err != nil:
		return "transport"
	}
	return ""
}

// dbResult classifies a floor operation's error.
func dbResult(ctx context.Context, err error) string {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pgErr):
		return "sqlstate " + pgErr.Code
	case ctx.Err() != nil:
		return "canceled"
	}
	return "error: " + err.Error()
}

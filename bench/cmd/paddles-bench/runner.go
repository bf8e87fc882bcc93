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
}

// load runs op on conc workers: first for warmup (not recorded), then for dur. Worker w runs its
// operations k = 0, 1, ... in order, at most perWorker of them when perWorker > 0.
func load(ctx context.Context, conc int, warmup, dur time.Duration, perWorker int, fn op) Stats {
	type sample struct {
		d   time.Duration
		err string
	}
	start := time.Now()
	measureFrom := start.Add(warmup)
	deadline := measureFrom.Add(dur)
	samples := make([][]sample, conc)
	var lastEnd atomic.Int64
	var exhausted atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := 0; ; k++ {
				if perWorker > 0 && k >= perWorker {
					exhausted.Store(true)
					return
				}
				t0 := time.Now()
				if !t0.Before(deadline) || ctx.Err() != nil {
					return
				}
				res := fn(ctx, w, k)
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
	var all []time.Duration
	st := Stats{Errors: map[string]int{}, Exhausted: exhausted.Load()}
	var sum time.Duration
	for _, ss := range samples {
		for _, s := range ss {
			all = append(all, s.d)
			sum += s.d
			if s.err != "" {
				st.Errors[s.err]++
			}
		}
	}
	if len(st.Errors) == 0 {
		st.Errors = nil
	}
	st.Ops = len(all)
	if st.Ops == 0 {
		return st
	}
	st.Seconds = time.Unix(0, lastEnd.Load()).Sub(measureFrom).Seconds()
	st.Throughput = float64(st.Ops) / st.Seconds
	slices.Sort(all)
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

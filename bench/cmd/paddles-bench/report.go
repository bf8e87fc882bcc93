package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Result is everything one run of the benchmark measured; it is written as JSON and rendered as
// Markdown.
type Result struct {
	Label    string         `json:"label"`
	Started  string         `json:"started"`
	Command  string         `json:"command"`
	Machine  map[string]any `json:"machine"`
	Config   map[string]any `json:"config"`
	Data     DataSet        `json:"data"`
	Memory   Memory         `json:"memory"`
	Phases   []PhaseResult  `json:"phases"`
	Baseline string         `json:"baseline,omitempty"` // the result file p99s are compared with
}

// DataSet describes the seeded data.
type DataSet struct {
	Runs            int                `json:"runs"`
	Jobs            int                `json:"jobs"`
	Nodes           int                `json:"nodes"`
	JobNodes        int64              `json:"job_nodes"`
	RunsOf100Jobs   int                `json:"runs_of_100_jobs"`
	AvgBodyBytes    int                `json:"avg_job_body_bytes"`
	SeedSeconds     map[string]float64 `json:"seed_seconds"`
	DatabaseBytes   int64              `json:"database_bytes"`
	VerifiedSamples int                `json:"verified_samples"`
	After           map[string]int64   `json:"rows_after_benchmark"`
}

// Memory is the server's resident memory in KiB.
type Memory struct {
	IdleStartKiB int64 `json:"idle_start_kib"` // just started (migrated, nothing served)
	IdleKiB      int64 `json:"idle_kib"`       // after seeding and the API sample check, before load
	PeakKiB      int64 `json:"peak_kib"`       // VmHWM after all phases
	EndKiB       int64 `json:"end_kib"`
}

// PhaseResult is one phase's figures on both sides: at the benchmark's concurrency and, for
// reads, at concurrency 1 (the latency pass).
type PhaseResult struct {
	*Phase
	API    Stats   `json:"api"`
	Floor  Stats   `json:"floor"`
	API1   *Stats  `json:"api_c1,omitempty"`
	Floor1 *Stats  `json:"floor_c1,omitempty"`
	Ratio  float64 `json:"throughput_ratio"` // API / floor
	// The minimal-SQL floor of a write phase (minfloor.go), the API's throughput over it, whether
	// the ratio is met, and what the check of its rows found.
	Min      *Stats  `json:"minimal_floor,omitempty"`
	MinRatio float64 `json:"minimal_throughput_ratio,omitempty"`
	MinMet   *bool   `json:"minimal_target_met,omitempty"`
	MinCheck string  `json:"minimal_check,omitempty"`
	P50Ratio float64 `json:"p50_ratio"` // API p50 / floor p50

	RSSPeakKiB int64 `json:"rss_peak_kib"`
	// Baseline p99s (the 10k result's, by default) and this run's p99 over them.
	BaselineP99  float64 `json:"baseline_p99_ms,omitempty"`
	BaselineP991 float64 `json:"baseline_p99_c1_ms,omitempty"`
	VsBaseline   float64 `json:"p99_vs_baseline,omitempty"`
	VsBaseline1  float64 `json:"p99_c1_vs_baseline,omitempty"`
	Met          *bool   `json:"target_met,omitempty"`    // at the benchmark's concurrency
	Met1         *bool   `json:"target_met_c1,omitempty"` // reads at concurrency 1
	Skipped      string  `json:"skipped,omitempty"`
}

func (p *PhaseResult) judge(baseline map[string][2]float64) {
	if p.Floor.Throughput > 0 {
		p.Ratio = p.API.Throughput / p.Floor.Throughput
	}
	if p.Min != nil && p.Min.Throughput > 0 {
		p.MinRatio = p.API.Throughput / p.Min.Throughput
	}
	if p.Floor.P50 > 0 {
		p.P50Ratio = p.API.P50 / p.Floor.P50
	}
	if b, ok := baseline[p.Name]; ok {
		if b[0] > 0 {
			p.BaselineP99, p.VsBaseline = b[0], p.API.P99/b[0]
		}
		if b[1] > 0 && p.API1 != nil {
			p.BaselineP991, p.VsBaseline1 = b[1], p.API1.P99/b[1]
		}
	}
	if p.Target == nil || p.Skipped != "" {
		return
	}
	ok := func(st *Stats, vs float64) *bool {
		met := st.Ops > 0 && len(st.Errors) == 0 && st.P99 <= p.Target.MaxP99 && (vs == 0 || vs <= 2)
		return &met
	}
	if p.Target.MinFloorRatio > 0 {
		met := p.API.Ops > 0 && len(p.API.Errors) == 0 && p.Ratio >= p.Target.MinFloorRatio
		p.Met = &met
	}
	if p.Target.MinMinimalRatio > 0 && p.Min != nil {
		met := p.API.Ops > 0 && len(p.API.Errors) == 0 && p.MinRatio >= p.Target.MinMinimalRatio
		p.MinMet = &met
	}
	if p.Target.MaxP99 > 0 {
		p.Met = ok(&p.API, p.VsBaseline)
		if p.API1 != nil {
			p.Met1 = ok(p.API1, p.VsBaseline1)
		}
	}
}

// Memory targets, KiB.
const (
	idleTargetKiB = 64 << 10
	peakTargetKiB = 256 << 10
)

func writeResult(dir string, r *Result) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, r.Label+".json"), append(b, '\n'), 0o644); err != nil {
		return "", err
	}
	md := filepath.Join(dir, r.Label+".md")
	return md, os.WriteFile(md, []byte(markdown(r)), 0o644)
}

// loadBaseline reads the p99s of an earlier result by phase: at its concurrency and at 1.
func loadBaseline(path string) (map[string][2]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	p99 := map[string][2]float64{}
	for _, p := range r.Phases {
		v := [2]float64{p.API.P99}
		if p.API1 != nil {
			v[1] = p.API1.P99
		}
		p99[p.Name] = v
	}
	return p99, nil
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func markdown(r *Result) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# paddles-go benchmark: %s (%d jobs)\n\n", r.Label, r.Data.Jobs)
	p("Written by `%s` on %s.\n\n", r.Command, r.Started)
	keys := make([]string, 0, len(r.Machine))
	for k := range r.Machine {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p("| machine | |\n|---|---|\n")
	for _, k := range keys {
		p("| %s | %v |\n", k, r.Machine[k])
	}
	p("\n| configuration | |\n|---|---|\n")
	keys = keys[:0]
	for k := range r.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p("| %s | %v |\n", k, r.Config[k])
	}
	d := r.Data
	var seedTotal float64
	for _, s := range d.SeedSeconds {
		seedTotal += s
	}
	p("\nData set: %d runs (%d of exactly 100 jobs), %d jobs (job bodies average %d bytes), %d nodes, %d job-node links; "+
		"database %.2f GiB; seeded by COPY in %.1f s; %d seeded jobs and their runs read back through the API exactly as generated.\n",
		d.Runs, d.RunsOf100Jobs, d.Jobs, d.AvgBodyBytes, d.Nodes, d.JobNodes, float64(d.DatabaseBytes)/(1<<30), seedTotal, d.VerifiedSamples)
	m := r.Memory
	p("\n| server memory (VmRSS) | measured | target |\n|---|---|---|\n")
	p("| idle, just started | %s | ≤ 64 MiB: %s |\n", mib(m.IdleStartKiB), verdict(m.IdleStartKiB <= idleTargetKiB))
	p("| idle, after seeding, before load | %s | ≤ 64 MiB: %s |\n", mib(m.IdleKiB), verdict(m.IdleKiB <= idleTargetKiB))
	p("| peak under the benchmark (VmHWM) | %s | ≤ 256 MiB: %s |\n", mib(m.PeakKiB), verdict(m.PeakKiB <= peakTargetKiB))
	p("| at the end | %s | |\n", mib(m.EndKiB))

	p("\nEach phase runs the floor (the server's SQL from Go over pgx) and the API for the same time at the same concurrency (%v), "+
		"alternating in %v slices so that other load on the machine weighs on both alike. Throughput is operations per second; "+
		"latencies are client-side, in ms. Ratio = API throughput / floor throughput.\n\n", r.Config["concurrency"], r.Config["slices"])
	p("CPU columns are CPU time per operation in ms, read from /proc: the server's, and PostgreSQL's for the API and for the floor.\n\n")
	p("| phase | request | API ops/s | floor ops/s | ratio | API p50 | p95 | p99 | max | floor p50 | floor p99 | server CPU | DB CPU | floor DB CPU | errors | target |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|\n")
	for _, ph := range r.Phases {
		if ph.Skipped != "" {
			p("| %s | %s | skipped: %s |\n", ph.Name, ph.Request, ph.Skipped)
			continue
		}
		errs := errorText(ph.API.Errors)
		if fe := errorText(ph.Floor.Errors); fe != "" {
			errs += " floor: " + fe
		}
		t := ""
		if ph.Target != nil && ph.Target.MinFloorRatio > 0 && ph.Met != nil {
			t = fmt.Sprintf("ratio ≥ %.2f: %s", ph.Target.MinFloorRatio, verdict(*ph.Met))
		}
		p("| %s | `%s` | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f | %.3f | %s | %s |\n",
			ph.Name, ph.Request, ph.API.Throughput, ph.Floor.Throughput, ph.Ratio, ph.API.P50, ph.API.P95, ph.API.P99, ph.API.Max,
			ph.Floor.P50, ph.Floor.P99, ph.API.ServerCPU, ph.API.DBCPU, ph.Floor.DBCPU, errs, t)
	}
	p("\nWrite phases against both floors: the same-queries floor above (the server's SQL from Go) and the minimal-SQL floor " +
		"(the least SQL any server must run for the same rows: one statement a write, one round trip; bench/cmd/paddles-bench/minfloor.go), " +
		"run in the same slices. DB CPU is PostgreSQL's CPU time per write, ms. The check reads back the rows both the minimal floor " +
		"and the API wrote and compares them with what the server's rules make of the bodies.\n\n")
	p("| phase | API ops/s | same-queries floor ops/s | ratio | minimal floor ops/s | ratio | API DB CPU | floor DB CPU | minimal DB CPU | minimal p50 | minimal p99 | minimal errors | target | check |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|\n")
	for _, ph := range r.Phases {
		if ph.Skipped != "" || ph.Min == nil {
			continue
		}
		t := ""
		if ph.MinMet != nil {
			t = fmt.Sprintf("ratio ≥ %.2f: %s", ph.Target.MinMinimalRatio, verdict(*ph.MinMet))
		}
		p("| %s | %.0f | %.0f | %.2f | %.0f | %.2f | %.3f | %.3f | %.3f | %.2f | %.2f | %s | %s | %s |\n",
			ph.Name, ph.API.Throughput, ph.Floor.Throughput, ph.Ratio, ph.Min.Throughput, ph.MinRatio,
			ph.API.DBCPU, ph.Floor.DBCPU, ph.Min.DBCPU, ph.Min.P50, ph.Min.P99, errorText(ph.Min.Errors), t, ph.MinCheck)
	}
	p("\nRead latency targets: the API's p99 at concurrency %v (from the table above) and in a second pass at concurrency 1 "+
		"(one client: the time a request takes, without queueing behind the others on 2 cores), with the floor's at 1.", r.Config["concurrency"])
	if r.Baseline != "" {
		p(" \"vs\" is this p99 over %s's, which the target wants ≤ 2×.", filepath.Base(r.Baseline))
	}
	p("\n\n| phase | target | API p99 | vs | met | API p50 c1 | API p99 c1 | floor p99 c1 | vs c1 | met c1 |\n|---|---|--:|--:|---|--:|--:|--:|--:|---|\n")
	for _, ph := range r.Phases {
		if ph.Skipped != "" || ph.Kind != "read" {
			continue
		}
		want := ""
		if ph.Target != nil {
			want = fmt.Sprintf("≤ %.0f ms", ph.Target.MaxP99)
		}
		vs := func(x float64) string {
			if x == 0 {
				return ""
			}
			return fmt.Sprintf("%.2f×", x)
		}
		met := func(m *bool) string {
			if m == nil {
				return ""
			}
			return verdict(*m)
		}
		c1 := "| | | | | "
		if ph.API1 != nil {
			c1 = fmt.Sprintf("| %.2f | %.2f | %.2f | %s | %s ", ph.API1.P50, ph.API1.P99, ph.Floor1.P99, vs(ph.VsBaseline1), met(ph.Met1))
		}
		p("| %s | %s | %.2f | %s | %s %s|\n", ph.Name, want, ph.API.P99, vs(ph.VsBaseline), met(ph.Met), c1)
	}
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func errorText(errs map[string]int) string {
	var parts []string
	for k, n := range errs {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

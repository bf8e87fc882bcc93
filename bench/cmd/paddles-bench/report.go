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

// PhaseResult is one phase's figures on both sides.
type PhaseResult struct {
	*phase
	API           Stats   `json:"api"`
	Floor         Stats   `json:"floor"`
	Ratio         float64 `json:"throughput_ratio"` // API / floor
	P50Ratio      float64 `json:"p50_ratio"`        // API p50 / floor p50
	RSSPeakKiB    int64   `json:"rss_peak_kib"`
	Met           *bool   `json:"target_met,omitempty"`
	BaselineP99   float64 `json:"baseline_p99_ms,omitempty"`
	BaselineRatio float64 `json:"p99_vs_baseline,omitempty"`
	Skipped       string  `json:"skipped,omitempty"`
}

func (p *PhaseResult) judge() {
	if p.Floor.Throughput > 0 {
		p.Ratio = p.API.Throughput / p.Floor.Throughput
	}
	if p.Floor.P50 > 0 {
		p.P50Ratio = p.API.P50 / p.Floor.P50
	}
	if p.Target == nil || p.Skipped != "" {
		return
	}
	met := len(p.API.Errors) == 0
	if p.Target.MinFloorRatio > 0 {
		met = met && p.Ratio >= p.Target.MinFloorRatio
	}
	if p.Target.MaxP99 > 0 {
		met = met && p.API.P99 <= p.Target.MaxP99
		if p.BaselineP99 > 0 {
			met = met && p.BaselineRatio <= 2
		}
	}
	p.Met = &met
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

// loadBaseline reads the p99s of an earlier result, by phase.
func loadBaseline(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	p99 := map[string]float64{}
	for _, p := range r.Phases {
		p99[p.Name] = p.API.P99
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

	p("\nEach phase runs the floor (the server's SQL from Go over pgx) and then the API, each for the same time at the same concurrency. " +
		"Throughput is operations per second; latencies are client-side, in ms. Ratio = API throughput / floor throughput.\n\n")
	base := ""
	if r.Baseline != "" {
		base = " p99 / " + strings.TrimSuffix(filepath.Base(r.Baseline), ".json") + " |"
	}
	p("| phase | request | API ops/s | floor ops/s | ratio | API p50 | p95 | p99 | max | floor p50 | floor p99 | errors |%s target |\n", base)
	sep := ""
	if base != "" {
		sep = "--:|"
	}
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|%s---|\n", sep)
	for _, ph := range r.Phases {
		if ph.Skipped != "" {
			p("| %s | %s | skipped: %s |\n", ph.Name, ph.Request, ph.Skipped)
			continue
		}
		errs := errorText(ph.API.Errors)
		if fe := errorText(ph.Floor.Errors); fe != "" {
			errs += " floor: " + fe
		}
		bl := ""
		if r.Baseline != "" {
			if ph.BaselineP99 > 0 {
				bl = fmt.Sprintf(" %.2f× |", ph.BaselineRatio)
			} else {
				bl = " |"
			}
		}
		p("| %s | `%s` | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |%s %s |\n",
			ph.Name, ph.Request, ph.API.Throughput, ph.Floor.Throughput, ph.Ratio, ph.API.P50, ph.API.P95, ph.API.P99, ph.API.Max,
			ph.Floor.P50, ph.Floor.P99, errs, bl, targetText(&ph))
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

func targetText(p *PhaseResult) string {
	if p.Target == nil || p.Met == nil {
		return ""
	}
	var want string
	switch {
	case p.Target.MinFloorRatio > 0:
		want = fmt.Sprintf("ratio ≥ %.2f", p.Target.MinFloorRatio)
	case p.BaselineP99 > 0:
		want = fmt.Sprintf("p99 ≤ %.0f ms, ≤ 2× baseline", p.Target.MaxP99)
	default:
		want = fmt.Sprintf("p99 ≤ %.0f ms", p.Target.MaxP99)
	}
	return want + ": " + verdict(*p.Met)
}

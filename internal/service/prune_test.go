package service_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
	"github.com/ceph/paddles-go/internal/testserver"
)

// pruneRun is a run of the retention tests' data set.
type pruneRun struct {
	name   string
	tags   []string
	failed bool
}

// seedPrune reports, as of t0, runs from 14 months to 1 week old: each with three jobs on two
// nodes of a few, sharing tests and sha1s across runs old and new (so that the counters a prune
// decrements are shared with runs that stay), some tagged, some with a failure.
func seedPrune(t testing.TB, svc *service.Service) []pruneRun {
	t.Helper()
	ctx := context.Background()
	var runs []pruneRun
	for i := 0; i < 24; i++ {
		day := t0.AddDate(0, -14, 0).Add(time.Duration(i) * 18 * 24 * time.Hour)
		r := pruneRun{name: fmt.Sprintf("teuthology-%s-rados-main-distro-default-smithi", day.Format("2006-01-02_15:04:05"))}
		switch i % 6 {
		case 1:
			r.tags = []string{"release"}
		case 2:
			r.tags = []string{"nightly"}
		}
		r.failed = i%4 == 3
		if err := svc.CreateRun(ctx, paddles.RunCreate{Name: r.name, Tags: r.tags}); err != nil {
			t.Fatal(err)
		}
		for j := 1; j <= 3; j++ {
			status, reason := "pass", ""
			if r.failed && j == 2 {
				status, reason = "fail", fmt.Sprintf(`, "failure_reason": "Command failed on smithi%03d with status 1: 'sudo ceph osd pool create base %d'"`, i%5, j)
			}
			body := fmt.Sprintf(`{"job_id": "%d", "status": %q, "description": "rados/basic/test-%d", "sha1": "sha%d",
				"branch": "main", "suite": "rados", "machine_type": "smithi",
				"targets": {"ubuntu@smithi%03d.front.sepia.ceph.com": "ssh-rsa x", "ubuntu@smithi%03d.front.sepia.ceph.com": "ssh-rsa y"}%s}`,
				j, status, j, i%3, (i+j)%5, (i+j+1)%5, reason)
			patch, err := paddles.ParseJobPatch([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CreateJob(ctx, r.name, patch); err != nil {
				t.Fatal(err)
			}
		}
		runs = append(runs, r)
	}
	return runs
}

// kept is which runs of seedPrune's a policy keeps, as of t0.
func kept(runs []pruneRun, pol paddles.PrunePolicy) []string {
	var out []string
	for _, r := range runs {
		day, _ := time.Parse("2006-01-02_15:04:05", strings.TrimPrefix(r.name, "teuthology-")[:19])
		age := t0.Sub(day)
		keep := age <= pol.OlderThan || r.failed && age <= pol.KeepFailedFor
		for _, tag := range r.tags {
			for _, k := range pol.KeepTags {
				keep = keep || tag == k
			}
		}
		if keep {
			out = append(out, r.name)
		}
	}
	sort.Strings(out)
	return out
}

func runNames(t testing.TB, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT name FROM runs ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// checkRecount fails the test unless every maintained table agrees with a recount from the jobs
// and runs: job counts and run status, run_values (the value lists and tag counts), test_results
// (history, failure signatures), test_sha1s (flaky tests) and the links' times.
func checkRecount(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	v, err := testserver.Recount(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	if msg := testserver.RecountErrors(v); msg != "" {
		t.Fatal("after the prune: " + msg)
	}
	var orphans int64
	err = pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM test_results t WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = t.id))
		     + (SELECT count(*) FROM job_nodes l WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = l.job_id))
		     + (SELECT count(*) FROM test_sha1s WHERE pass < 0 OR fail < 0)
		     + (SELECT count(*) FROM run_values WHERE runs < 0)`).Scan(&orphans)
	if err != nil || orphans != 0 {
		t.Fatalf("%d rows left behind by deleted jobs, or counted below zero (%v)", orphans, err)
	}
}

var prunePolicy = paddles.PrunePolicy{OlderThan: 180 * 24 * time.Hour, KeepTags: []string{"release"}, KeepFailedFor: 300 * 24 * time.Hour}

// Acceptance 2: a dry run counts exactly what the real run then deletes, batch by batch; the
// survivors are the policy's, and every maintained table agrees with a recount afterwards.
func TestPruneDryRunMatches(t *testing.T) {
	pool := open(t)
	svc := newService(pool, service.Options{Now: func() time.Time { return t0 }})
	runs := seedPrune(t, svc)
	ctx := context.Background()
	before := runNames(t, pool)
	dry, busy, err := svc.Prune(ctx, service.PruneOptions{Policy: prunePolicy, DryRun: true, MaxBatchJobs: 7})
	if err != nil || busy {
		t.Fatal(err, busy)
	}
	if got := runNames(t, pool); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Fatalf("the dry run deleted runs")
	}
	real, busy, err := svc.Prune(ctx, service.PruneOptions{Policy: prunePolicy, MaxBatchJobs: 7})
	if err != nil || busy {
		t.Fatal(err, busy)
	}
	want := kept(runs, prunePolicy)
	deleted := int64(len(runs) - len(want))
	if dry.Runs != real.Runs || dry.Jobs != real.Jobs || dry.Links != real.Links || real.Runs != deleted || real.Jobs != 3*deleted ||
		real.Links != 6*deleted || dry.ExpectRuns != deleted || dry.Batches != real.Batches {
		t.Errorf("dry run %+v, real run %+v; want %d runs, %d jobs, %d links", dry, real, deleted, 3*deleted, 6*deleted)
	}
	t.Logf("dry %+v real %+v", dry, real)
	if real.Batches < 2 {
		t.Errorf("%d batches of at most 7 jobs for %d jobs", real.Batches, real.Jobs)
	}
	if got := runNames(t, pool); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("runs left %v, want %v", got, want)
	}
	checkRecount(t, pool)
	if again, _, err := svc.Prune(ctx, service.PruneOptions{Policy: prunePolicy, DryRun: true}); err != nil || again.Runs != 0 {
		t.Errorf("a dry run after the prune: %+v %v", again, err)
	}

	// The failure signatures stay, with the jobs that are left; the flaky counts are what is left.
	failures, err := svc.ListFailures(ctx, paddles.FailureFilter{}, ptr(90), service.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failures.Failures {
		if f.Jobs <= 0 {
			t.Errorf("failure %s lists %d jobs", f.ID, f.Jobs)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Acceptance 2: a prune interrupted between batches leaves whole runs deleted or kept, with every
// counter right, and a rerun deletes the rest: the same runs an uninterrupted prune deletes.
func TestPruneResume(t *testing.T) {
	pool := open(t)
	svc := newService(pool, service.Options{Now: func() time.Time { return t0 }})
	runs := seedPrune(t, svc)
	ctx, cancel := context.WithCancel(context.Background())
	first, _, err := svc.Prune(ctx, service.PruneOptions{Policy: prunePolicy, MaxBatchJobs: 3,
		Progress: func(p service.PruneProgress) {
			if p.Batches == 3 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || first.Runs != 3 || first.Batches != 3 {
		t.Fatalf("interrupted prune: %+v, %v", first, err)
	}
	if n := len(runNames(t, pool)); n != len(runs)-3 {
		t.Fatalf("%d runs after 3 batches of one run, want %d", n, len(runs)-3)
	}
	checkRecount(t, pool)
	rest, _, err := svc.Prune(context.Background(), service.PruneOptions{Policy: prunePolicy})
	if err != nil {
		t.Fatal(err)
	}
	want := kept(runs, prunePolicy)
	if got := runNames(t, pool); strings.Join(got, " ") != strings.Join(want, " ") || first.Runs+rest.Runs != int64(len(runs)-len(want)) {
		t.Errorf("after the rerun (%+v) runs %v, want %v", rest, got, want)
	}
	checkRecount(t, pool)
}

// Passes take turns: one that finds another running reports busy and deletes nothing; a policy
// younger than an hour is refused.
func TestPruneBusyAndRefused(t *testing.T) {
	pool := open(t)
	svc := newService(pool, service.Options{Now: func() time.Time { return t0 }})
	runs := seedPrune(t, svc)
	ctx := context.Background()
	if _, _, err := svc.Prune(ctx, service.PruneOptions{Policy: paddles.PrunePolicy{OlderThan: time.Minute}}); paddles.ErrorCode(err) != paddles.Invalid {
		t.Errorf("older-than 1m: %v", err)
	}
	inside := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.Prune(ctx, service.PruneOptions{Policy: prunePolicy, MaxBatchJobs: 3, Progress: func(p service.PruneProgress) {
			if p.Batches == 1 {
				close(inside)
				<-release
			}
		}})
	}()
	<-inside
	p, busy, err := svc.Prune(ctx, service.PruneOptions{Policy: prunePolicy})
	close(release)
	wg.Wait()
	if !busy || err != nil || p.Runs != 0 {
		t.Errorf("a second pass: %+v busy %v err %v", p, busy, err)
	}
	if got, want := runNames(t, pool), kept(runs, prunePolicy); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("runs left %v, want %v", got, want)
	}
}

// Writers keep reporting jobs of new runs, sharing the pruned runs' tests, sha1s and value-list
// counters, while a prune deletes old runs: nothing fails, and every counter agrees afterwards.
func TestPruneWhileWriting(t *testing.T) {
	pool := open(t)
	svc := newService(pool, service.Options{Now: func() time.Time { return t0 }})
	seedPrune(t, svc)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				run := fmt.Sprintf("teuthology-2026-02-2%d_00:00:00-rados-main-distro-default-smithi", w)
				body := fmt.Sprintf(`{"job_id": "%d", "status": "fail", "description": "rados/basic/test-%d", "sha1": "sha%d",
					"failure_reason": "Command failed on smithi001 with status 1: 'x'",
					"targets": {"ubuntu@smithi%03d.front.sepia.ceph.com": "k"}}`, i, i%3+1, i%3, i%5)
				patch, _ := paddles.ParseJobPatch([]byte(body))
				if _, err := svc.CreateJob(ctx, run, patch); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	p, _, err := svc.Prune(ctx, service.PruneOptions{Policy: paddles.PrunePolicy{OlderThan: 30 * 24 * time.Hour}, MaxBatchJobs: 3})
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error("writer:", e)
	}
	if err != nil || p.Runs == 0 {
		t.Fatalf("prune %+v %v", p, err)
	}
	checkRecount(t, pool)
}

package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/service"
	"github.com/ceph/paddles-go/internal/store"
	"github.com/ceph/paddles-go/internal/testserver"
)

func TestMain(m *testing.M) { pgtest.Main(m, testserver.Migrated) }

func open(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := database.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// seedStale reports jobs in every status, some updated long ago, as of t0.
func seedStale(t testing.TB, svc *service.Service) {
	t.Helper()
	ctx := context.Background()
	jobs := []struct {
		id, status string
		age        time.Duration
	}{
		{"running-stale", "running", 31 * time.Minute},
		{"running-fresh", "running", 29 * time.Minute},
		{"waiting-stale", "waiting", 2 * time.Hour},
		{"unknown-stale", "unknown", 40 * time.Minute},
		{"queued-fresh", "queued", 13 * 24 * time.Hour},
		{"queued-stale", "queued", 15 * 24 * time.Hour},
		{"pass-old", "pass", 30 * 24 * time.Hour},
		{"fail-old", "fail", 30 * 24 * time.Hour},
		{"dead-old", "dead", 30 * 24 * time.Hour},
	}
	for i, j := range jobs {
		run := fmt.Sprintf("run-%d", i%3)
		body := fmt.Sprintf(`{"job_id": %q, "status": %q, "updated": %q}`, j.id, j.status, paddles.FormatTime(t0.Add(-j.age)))
		patch, err := paddles.ParseJobPatch([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateJob(ctx, run, patch); err != nil {
			t.Fatal(err)
		}
	}
}

// statuses reads every job's status and every run's status and counts, straight from the tables.
func statuses(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT j.job_id || '=' || j.status FROM jobs j
		UNION ALL
		SELECT r.name || '=' || r.status || '/' || r.dead_count || '/' || r.running_count FROM runs r`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return strings.Join(got, " ")
}

// Acceptance 4: expiry marks exactly the stale jobs dead and recomputes their runs.
func TestExpireJobs(t *testing.T) {
	pool := open(t)
	var transitions []string
	svc := newService(pool, service.Options{Now: func() time.Time { return t0 },
		StatusChanged: func(from, to string) { transitions = append(transitions, from+">"+to) }})
	seedStale(t, svc)
	transitions = nil
	n, busy, err := svc.ExpireJobs(context.Background(), service.Expiry{Active: 30 * time.Minute, Queued: 14 * 24 * time.Hour})
	if err != nil || busy || n != 4 {
		t.Fatalf("expired %d (busy %v, err %v), want 4", n, busy, err)
	}
	want := "dead-old=dead fail-old=fail pass-old=pass queued-fresh=queued queued-stale=dead run-0=finished fail/2/0 " +
		"run-1=running/0/1 run-2=finished dead/3/0 running-fresh=running running-stale=dead unknown-stale=dead waiting-stale=dead"
	if got := statuses(t, pool); got != want {
		t.Errorf("after expiry:\n got %s\nwant %s", got, want)
	}
	sort.Strings(transitions)
	if got := strings.Join(transitions, " "); got != "queued>dead running>dead unknown>dead waiting>dead" {
		t.Errorf("status transitions reported: %s", got)
	}
	if n, _, _ := svc.ExpireJobs(context.Background(), service.Expiry{Active: 30 * time.Minute, Queued: 14 * 24 * time.Hour}); n != 0 {
		t.Errorf("a second pass expired %d jobs", n)
	}
}

// Acceptance 4: two concurrent passes (two replicas) end where one pass does.
func TestConcurrentExpiry(t *testing.T) {
	e := service.Expiry{Active: 30 * time.Minute, Queued: 14 * 24 * time.Hour}
	one := open(t)
	svcOne := newService(one, service.Options{Now: func() time.Time { return t0 }})
	seedStale(t, svcOne)
	if _, _, err := svcOne.ExpireJobs(context.Background(), e); err != nil {
		t.Fatal(err)
	}

	two := open(t)
	seedStale(t, newService(two, service.Options{Now: func() time.Time { return t0 }}))
	var wg sync.WaitGroup
	var total, busy int64
	var mu sync.Mutex
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each replica has a service of its own.
			svc := newService(two, service.Options{Now: func() time.Time { return t0 }})
			n, b, err := svc.ExpireJobs(context.Background(), e)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			if b {
				busy++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 4 {
		t.Errorf("the two passes expired %d jobs together (%d found the other busy), want 4", total, busy)
	}
	if a, b := statuses(t, one), statuses(t, two); a != b {
		t.Errorf("one pass:\n%s\ntwo concurrent passes:\n%s", a, b)
	}
}

// newService is a service on pool, without a replica, logging nothing.
func newService(pool *pgxpool.Pool, opts service.Options) *service.Service {
	log := slog.New(slog.DiscardHandler)
	return service.New(store.New(pool, nil, 0, log), opts, log)
}

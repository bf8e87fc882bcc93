package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/service"
)

// The retention pass deletes the events older than the window, oldest first, in batches, keeps
// the younger ones, and records the highest id it deleted (what a resuming client is told).
func TestPruneEvents(t *testing.T) {
	ctx := context.Background()
	pool := open(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc := newService(pool, service.Options{Now: func() time.Time { return now }})
	// 12,000 events two hours old, then 100 of a minute ago.
	if _, err := pool.Exec(ctx, `INSERT INTO events (type, at, detail)
		SELECT 'node', $1::timestamptz - interval '2 hours', '{}' FROM generate_series(1, 12000);
		`, now); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO events (type, at, detail) SELECT 'node', $1::timestamptz - interval '1 minute', '{}' FROM generate_series(1, 100)`, now); err != nil {
		t.Fatal(err)
	}
	n, err := svc.PruneEvents(ctx, time.Hour)
	if err != nil || n != 12000 {
		t.Fatalf("pruned %d, %v; want 12000", n, err)
	}
	var left, oldest, pruned int64
	if err := pool.QueryRow(ctx, `SELECT count(*), min(id), (SELECT pruned_through FROM events_pruned) FROM events`).Scan(&left, &oldest, &pruned); err != nil {
		t.Fatal(err)
	}
	if left != 100 || pruned != oldest-1 {
		t.Errorf("%d events left from id %d, pruned through %d", left, oldest, pruned)
	}
	if n, err := svc.PruneEvents(ctx, time.Hour); err != nil || n != 0 {
		t.Errorf("a second pass pruned %d, %v", n, err)
	}
}

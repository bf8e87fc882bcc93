package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/gen/db"
	"github.com/ceph/paddles-go/internal/paddles"
)

// EventsAfter returns at most max events with ids in (after, upto], in id order.
func (q *Q) EventsAfter(ctx context.Context, after, upto int64, max int) ([]paddles.Event, error) {
	rows, err := q.q().EventsAfter(ctx, db.EventsAfterParams{After: after, Upto: upto, Max: int64(max)})
	if err != nil {
		return nil, interpret(err)
	}
	events := make([]paddles.Event, len(rows))
	var compact bytes.Buffer
	for i, r := range rows {
		// json_build_object spaces its keys and values out; the stream sends each event on a line.
		compact.Reset()
		if err := json.Compact(&compact, r.Detail); err == nil {
			r.Detail = bytes.Clone(compact.Bytes())
		}
		events[i] = paddles.Event{ID: r.ID, At: r.At, Type: r.Type, Run: orEmpty(r.Run), JobID: orEmpty(r.JobID),
			Node: orEmpty(r.Node), Branch: orEmpty(r.Branch), MachineType: orEmpty(r.MachineType), Detail: r.Detail}
	}
	return events, nil
}

// Horizon is what a reader of events needs to know of the transactions still running, in the
// snapshot of its read: Xmin, the oldest of them, and Xmax, the first transaction id not assigned
// yet (PostgreSQL's xid8 values); Newest is the newest event id committed.
type Horizon struct {
	Xmin, Xmax uint64
	Newest     int64
}

// EventHorizon reads the horizon in the transaction's snapshot.
func (q *Q) EventHorizon(ctx context.Context) (Horizon, error) {
	r, err := q.q().EventHorizon(ctx)
	if err != nil {
		return Horizon{}, interpret(err)
	}
	h := Horizon{Newest: r.Newest}
	if h.Xmin, err = strconv.ParseUint(r.Xmin, 10, 64); err == nil {
		h.Xmax, err = strconv.ParseUint(r.Xmax, 10, 64)
	}
	if err != nil {
		return Horizon{}, fmt.Errorf("reading the transaction horizon: %w", err)
	}
	return h, nil
}

// EventsPrunedThrough returns the highest event id the retention pass deleted.
func (q *Q) EventsPrunedThrough(ctx context.Context) (int64, error) {
	id, err := q.q().EventsPrunedThrough(ctx)
	return id, interpret(err)
}

// DeleteEvents deletes up to max events older than before, oldest first, and returns how many.
func (q *Q) DeleteEvents(ctx context.Context, before time.Time, max int) (int64, error) {
	n, err := q.q().DeleteEvents(ctx, db.DeleteEventsParams{Before: before, Max: int64(max)})
	return n, interpret(err)
}

// ListenEvents calls notify whenever an event may have been written (a signal on the channel
// paddles_events), on a connection of its own, until ctx ends or the connection fails; the
// error says which. notify is called once when listening starts, for what was written before.
func (s *Store) ListenEvents(ctx context.Context, notify func()) error {
	// A connection of its own, not the pool's: it would hold one of the requests' for good.
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return interpret(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN paddles_events"); err != nil {
		return interpret(err)
	}
	notify()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return interpret(err)
		}
		notify()
	}
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

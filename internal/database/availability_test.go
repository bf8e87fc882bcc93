package database

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestAvailability: one outage takes the database down once and logs two lines, whatever the
// number of reports; waiters wake when the prober finds it back, give up at their deadline, and
// beyond the bound fail at once.
func TestAvailability(t *testing.T) {
	var log bytes.Buffer
	var pingOK atomic.Bool
	resets := 0
	a := newAvailability(func(context.Context) error {
		if pingOK.Load() {
			return nil
		}
		return errors.New("connection refused")
	}, func() { resets++ }, 2, slog.New(slog.NewTextHandler(&log, nil)))
	defer a.Close()
	ctx := context.Background()
	if err := a.Wait(ctx, time.Now()); err != nil || !a.Up() {
		t.Fatalf("up: Wait = %v", err)
	}
	gen := a.Generation()
	lost := errors.New("unexpected EOF")
	for range 5 {
		a.Down(gen, lost) // every request of the outage reports it
	}
	if a.Up() || resets != 1 || !errors.Is(a.Cause(), lost) {
		t.Fatalf("after Down: up %v, %d resets, cause %v", a.Up(), resets, a.Cause())
	}
	if err := a.Wait(ctx, time.Now().Add(30*time.Millisecond)); !errors.Is(err, ErrDown) || !errors.Is(err, lost) {
		t.Errorf("Wait past its deadline = %v, want ErrDown", err)
	}
	woken := make(chan error, 2)
	for range 2 {
		go func() { woken <- a.Wait(ctx, time.Now().Add(10*time.Second)) }()
	}
	for a.Waiting() < 2 {
		time.Sleep(time.Millisecond)
	}
	if err := a.Wait(ctx, time.Now().Add(10*time.Second)); !errors.Is(err, ErrTooManyWaiting) {
		t.Errorf("a third waiter: %v, want ErrTooManyWaiting", err)
	}
	pingOK.Store(true)
	for range 2 {
		select {
		case err := <-woken:
			if err != nil {
				t.Errorf("woken with %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("waiters not woken when the database came back")
		}
	}
	if !a.Up() {
		t.Error("not up after the prober's ping answered")
	}
	a.Down(gen, lost) // a report from an attempt begun before the outage changes nothing
	if !a.Up() {
		t.Error("a stale report took the database down again")
	}
	if n, m := strings.Count(log.String(), "the database is unreachable"), strings.Count(log.String(), "the database is back"); n != 1 || m != 1 {
		t.Errorf("logged %d unreachable and %d back lines, want one each:\n%s", n, m, log.String())
	}
}

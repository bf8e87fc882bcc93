package service

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// Events follows the events table for this process's subscribers (GET /events/). One reader
// LISTENs for the writers' signal and reads what was committed, in id order, into a window of
// recent events that subscribers read from; a subscriber behind the window reads the database.
//
// Ids are taken when an event is written and committed later, so a reader can see id 8 before 7
// commits. The reader delivers ids in order and stops at a gap; a gap fills when its transaction
// commits, or is known for good (a rollback) once every transaction running when the gap was seen
// has ended: the transaction holding the missing id had its transaction id before it took the
// event id, which was before the later event committed, so the gap's transaction is older than
// the first transaction id not assigned when the gap was seen (xmax). So no subscriber misses an
// event, or sees one twice, and every subscriber on every replica sees them in one order.
type Events struct {
	st  *store.Store
	log *slog.Logger

	mu     sync.Mutex
	window []paddles.Event // the latest events delivered, in id order
	last   int64           // every event up to this id is delivered (or known never to commit)
	gap    *gap            // the first missing id past last, once events past it are seen
	subs   map[*Subscription]struct{}
	byRun  map[string]map[*Subscription]struct{}
	closed bool

	poke        chan struct{} // a writer's signal, or a subscriber's start
	started     chan struct{} // closed once last is known
	subscribers atomic.Int64
	delivered   atomic.Int64
}

type gap struct {
	id   int64
	xmax uint64 // the first transaction id not assigned when the gap was seen
}

const (
	eventWindow = 10000 // events kept in memory
	eventBatch  = 1000  // events read at a time
	// eventSettle is how long the reader lets a burst of signals gather before it reads, and how
	// often it looks again at an open gap.
	eventSettle = 20 * time.Millisecond
	// eventPoll bounds how long an event can wait for a signal that was lost (a reconnect).
	eventPoll = time.Second
	// eventStartWait bounds the wait for older transactions at start.
	eventStartWait = 10 * time.Second
)

// NewEvents returns the follower of the events table; Run follows it.
func NewEvents(st *store.Store, log *slog.Logger) *Events {
	return &Events{st: st, log: log, subs: map[*Subscription]struct{}{}, byRun: map[string]map[*Subscription]struct{}{},
		poke: make(chan struct{}, 1), started: make(chan struct{})}
}

// Subscribers returns how many subscriptions are open.
func (e *Events) Subscribers() int64 { return e.subscribers.Load() }

// Delivered returns how many events the reader has delivered since it started.
func (e *Events) Delivered() int64 { return e.delivered.Load() }

// Run follows the events until ctx ends, then ends every subscription.
func (e *Events) Run(ctx context.Context) {
	defer e.close()
	listening := make(chan error, 1)
	go func() { listening <- e.listen(ctx) }()
	for ctx.Err() == nil {
		if err := e.start(ctx); err != nil {
			e.log.Warn("events: reading the newest event failed; trying again", "err", err)
			sleep(ctx, eventPoll)
			continue
		}
		break
	}
	timer := time.NewTimer(eventPoll)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.poke:
			sleep(ctx, eventSettle)
		case <-timer.C:
		}
		more, err := e.read(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			e.log.Warn("events: reading failed; trying again", "err", err)
			sleep(ctx, eventPoll)
		case more:
			e.wake()
		}
		e.mu.Lock()
		open := e.gap != nil
		e.mu.Unlock()
		if open {
			timer.Reset(eventSettle)
		} else {
			timer.Reset(eventPoll)
		}
	}
}

// listen relays the writers' signals to the reader, reconnecting when its connection fails.
func (e *Events) listen(ctx context.Context) error {
	for ctx.Err() == nil {
		err := e.st.ListenEvents(ctx, e.wake)
		if ctx.Err() != nil {
			break
		}
		e.log.Debug("events: listening failed; listening again", "err", err)
		e.wake()
		sleep(ctx, eventPoll)
	}
	return ctx.Err()
}

func (e *Events) wake() {
	select {
	case e.poke <- struct{}{}:
	default:
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// start begins at the newest event committed: earlier ones are read from the database by the
// subscribers that ask for them. It first waits (for eventStartWait at most) for the
// transactions running now to end, one of which may hold a lower id that commits later.
func (e *Events) start(ctx context.Context) error {
	var first store.Horizon
	deadline := time.Now().Add(eventStartWait)
	for {
		var h store.Horizon
		err := e.st.Read(ctx, func(q *store.Q) (err error) {
			h, err = q.EventHorizon(ctx)
			return err
		})
		if err != nil {
			return err
		}
		if first.Xmax == 0 {
			first = h
		}
		if h.Xmin >= first.Xmax || time.Now().After(deadline) {
			if h.Xmin < first.Xmax {
				e.log.Warn("events: a transaction older than the server holds on; starting anyway", "xmin", h.Xmin)
			}
			break
		}
		sleep(ctx, eventSettle)
	}
	e.mu.Lock()
	e.last = first.Newest
	e.mu.Unlock()
	close(e.started)
	return nil
}

// read delivers the events committed past last, up to the first gap; more says whether a full
// batch was read (there may be more).
func (e *Events) read(ctx context.Context) (more bool, err error) {
	e.mu.Lock()
	after := e.last
	e.mu.Unlock()
	var (
		events []paddles.Event
		h      store.Horizon
	)
	err = e.st.Read(ctx, func(q *store.Q) (err error) {
		if h, err = q.EventHorizon(ctx); err != nil {
			return err
		}
		events, err = q.EventsAfter(ctx, after, h.Newest, eventBatch)
		return err
	})
	if err != nil {
		return false, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var fresh []paddles.Event
	for _, ev := range events {
		if ev.ID != e.last+1 {
			switch {
			case e.gap == nil || e.gap.id != e.last+1:
				e.gap = &gap{id: e.last + 1, xmax: h.Xmax}
			case h.Xmin >= e.gap.xmax:
				// Every transaction that could hold the missing ids has ended: they rolled back.
				e.gap = nil
				e.last = ev.ID - 1
			}
			if e.gap != nil {
				break
			}
		}
		e.gap = nil
		e.last = ev.ID
		fresh = append(fresh, ev)
	}
	if len(fresh) > 0 {
		e.deliver(fresh)
	}
	return len(events) == eventBatch && e.gap == nil, nil
}

// deliver adds events to the window and wakes the subscriptions they concern. e.mu is held.
func (e *Events) deliver(events []paddles.Event) {
	e.window = append(e.window, events...)
	if n := len(e.window) - eventWindow; n > 0 {
		e.window = append(e.window[:0:0], e.window[n:]...)
	}
	e.delivered.Add(int64(len(events)))
	for _, ev := range events {
		for s := range e.byRun[""] {
			s.poke(&ev)
		}
		if ev.Run != "" {
			for s := range e.byRun[ev.Run] {
				s.poke(&ev)
			}
		}
	}
}

func (e *Events) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	for s := range e.subs {
		close(s.done)
	}
	e.subs = map[*Subscription]struct{}{}
	e.byRun = map[string]map[*Subscription]struct{}{}
}

// ErrEventsGone: the events after the subscription's id were deleted (the retention window);
// the client should reload what it shows.
var ErrEventsGone = errors.New("events after this id are past the retention window")

// errEventsClosed: the server is shutting down.
var errEventsClosed = errors.New("the event stream is closed")

// Subscription is one client's view of the events.
type Subscription struct {
	e      *Events
	filter paddles.EventFilter
	cursor int64 // the last event id the client has (or skipped as not its own)
	ready  chan struct{}
	done   chan struct{}
}

func (s *Subscription) poke(ev *paddles.Event) {
	if !s.filter.Matches(ev) {
		return
	}
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Subscribe opens a subscription to the events the filter selects, after the event with id
// after (a client's Last-Event-ID), or, when after is negative, from now on. Close it when done.
func (e *Events) Subscribe(ctx context.Context, f paddles.EventFilter, after int64) (*Subscription, error) {
	select {
	case <-e.started:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s := &Subscription{e: e, filter: f, ready: make(chan struct{}, 1), done: make(chan struct{})}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errEventsClosed
	}
	s.cursor = after
	if after < 0 {
		s.cursor = e.last
	}
	e.subs[s] = struct{}{}
	if e.byRun[f.Run] == nil {
		e.byRun[f.Run] = map[*Subscription]struct{}{}
	}
	e.byRun[f.Run][s] = struct{}{}
	e.subscribers.Add(1)
	return s, nil
}

// Cursor returns the id of the last event the subscription has passed.
func (s *Subscription) Cursor() int64 { return s.cursor }

// Close ends the subscription.
func (s *Subscription) Close() {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.subs[s]; !ok {
		return
	}
	delete(e.subs, s)
	delete(e.byRun[s.filter.Run], s)
	if len(e.byRun[s.filter.Run]) == 0 {
		delete(e.byRun, s.filter.Run)
	}
	e.subscribers.Add(-1)
}

// Next returns the subscription's next events, waiting for some until ctx ends or wait passes
// (then it returns none). ErrEventsGone says the client missed events; the subscription then
// goes on from the oldest event kept.
func (s *Subscription) Next(ctx context.Context, wait time.Duration) ([]paddles.Event, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		before := s.cursor
		events, err := s.take(ctx)
		if err != nil || len(events) > 0 {
			return events, err
		}
		if s.cursor != before {
			continue // a batch of the database's held none of the client's: read the next one
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.done:
			return nil, errEventsClosed
		case <-timer.C:
			return nil, nil
		case <-s.ready:
		}
	}
}

// Poll returns the subscription's events past its cursor that are delivered now, without
// waiting; ErrEventsGone as Next.
func (s *Subscription) Poll(ctx context.Context) ([]paddles.Event, error) { return s.take(ctx) }

// take returns the subscription's events past its cursor that are delivered: from the window, or
// from the database when the cursor is behind the window.
func (s *Subscription) take(ctx context.Context) ([]paddles.Event, error) {
	e := s.e
	e.mu.Lock()
	last := e.last
	inWindow := len(e.window) > 0 && s.cursor >= e.window[0].ID-1 || s.cursor >= last
	var events []paddles.Event
	if inWindow {
		i := sort.Search(len(e.window), func(i int) bool { return e.window[i].ID > s.cursor })
		for _, ev := range e.window[i:] {
			if s.filter.Matches(&ev) {
				events = append(events, ev)
			}
		}
		s.cursor = max(s.cursor, last) // a client may come from a replica ahead of this one
	}
	e.mu.Unlock()
	if inWindow {
		return events, nil
	}
	return s.catchUp(ctx, last)
}

// catchUp reads the events past the cursor, up to last, from the database, a batch at a time.
func (s *Subscription) catchUp(ctx context.Context, last int64) ([]paddles.Event, error) {
	var (
		batch  []paddles.Event
		pruned int64
	)
	err := s.e.st.Read(ctx, func(q *store.Q) (err error) {
		if pruned, err = q.EventsPrunedThrough(ctx); err != nil {
			return err
		}
		batch, err = q.EventsAfter(ctx, max(s.cursor, pruned), last, eventBatch)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.cursor < pruned {
		s.cursor = pruned
		return nil, ErrEventsGone
	}
	var events []paddles.Event
	for _, ev := range batch {
		if s.filter.Matches(&ev) {
			events = append(events, ev)
		}
	}
	if len(batch) < eventBatch {
		s.cursor = last
	} else {
		s.cursor = batch[len(batch)-1].ID
	}
	return events, nil
}

// PruneEvents deletes the events older than retention, in batches, and returns how many.
func (s *Service) PruneEvents(ctx context.Context, retention time.Duration) (int64, error) {
	before := s.now().Add(-retention)
	var total int64
	for {
		var n int64
		err := s.st.Write(ctx, func(q *store.Q) (err error) {
			n, err = q.DeleteEvents(ctx, before, 5000)
			return err
		})
		total += n
		if err != nil || n < 5000 {
			return total, err
		}
	}
}

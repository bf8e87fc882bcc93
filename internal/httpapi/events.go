package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// DefaultEventHeartbeat is how often an idle event stream gets a comment line, well under the
// minute after which proxies (nginx's proxy_read_timeout) close a quiet connection.
const DefaultEventHeartbeat = 15 * time.Second

func (h *handlers) StreamEvents(ctx context.Context, req api.StreamEventsRequestObject) (api.StreamEventsResponseObject, error) {
	if h.cfg.Events == nil {
		return nil, paddles.Errorf(paddles.Unavailable, "this server does not stream events")
	}
	p := req.Params
	f, err := eventFilter(p.Run, p.Branch, p.MachineType, p.Types)
	if err != nil {
		return nil, err
	}
	after := int64(-1)
	if p.LastEventID != nil {
		if *p.LastEventID < 0 {
			return nil, paddles.Errorf(paddles.Invalid, "Last-Event-ID must be an event id, not %d", *p.LastEventID)
		}
		after = *p.LastEventID
	}
	sub, err := h.cfg.Events.Subscribe(ctx, f, after)
	if err != nil {
		return nil, err
	}
	return eventStream{h: h, ctx: ctx, sub: sub}, nil
}

func (h *handlers) ListEvents(ctx context.Context, req api.ListEventsRequestObject) (api.ListEventsResponseObject, error) {
	if h.cfg.Events == nil {
		return nil, paddles.Errorf(paddles.Unavailable, "this server does not stream events")
	}
	p := req.Params
	f, err := eventFilter(p.Run, p.Branch, p.MachineType, p.Types)
	if err != nil {
		return nil, err
	}
	after, limit := int64(0), 100
	if p.After != nil {
		if after = *p.After; after < 0 {
			return nil, paddles.Errorf(paddles.Invalid, "after must be an event id, not %d", after)
		}
	}
	if p.Limit != nil {
		if limit = *p.Limit; limit < 1 || limit > 1000 {
			return nil, paddles.Errorf(paddles.Invalid, "limit must be between 1 and 1000, not %d", limit)
		}
	}
	sub, err := h.cfg.Events.Subscribe(ctx, f, after)
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	b := []byte{'['}
	var events []paddles.Event
	for len(events) < limit {
		before := sub.Cursor()
		more, err := sub.Poll(ctx)
		if errors.Is(err, service.ErrEventsGone) {
			b = appendReset(b, sub.Cursor())
			continue
		}
		if err != nil {
			return nil, err
		}
		events = append(events, more...)
		if sub.Cursor() == before {
			break // caught up
		}
	}
	for i := range events[:min(len(events), limit)] {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = paddles.AppendEvent(b, &events[i], h.eventHref(&events[i]))
	}
	return jsonBody(append(b, ']')), nil
}

// eventFilter reads the filters that the stream and the event log share.
func eventFilter(run, branch, machineType, types *string) (paddles.EventFilter, error) {
	t, err := paddles.ParseEventTypes(deref(types))
	return paddles.EventFilter{Run: deref(run), Branch: deref(branch), MachineType: deref(machineType), Types: t}, err
}

func (b jsonBody) VisitListEventsResponse(w http.ResponseWriter) error { return b.write(w) }

// appendReset writes the reset event of a client that asked for events past the retention window.
func appendReset(b []byte, pruned int64) []byte {
	b = append(b, `{"type":"reset","message":"events up to `...)
	b = strconv.AppendInt(b, pruned, 10)
	return append(b, ` are past the retention window; reload"}`...)
}

// eventStream writes a subscription as Server-Sent Events until the client goes or the server
// shuts down.
type eventStream struct {
	h   *handlers
	ctx context.Context
	sub *service.Subscription
}

func (s eventStream) VisitStreamEventsResponse(w http.ResponseWriter) error {
	defer s.sub.Close()
	rc := http.NewResponseController(w)
	// The server's write timeout is for answers, not for a stream that lasts.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	heartbeat := s.h.cfg.EventHeartbeat
	if heartbeat <= 0 {
		heartbeat = DefaultEventHeartbeat
	}
	b := []byte("retry: 2000\n\n")
	for {
		if len(b) > 0 {
			if _, err := w.Write(b); err != nil {
				return nil // the client went
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
		events, err := s.sub.Next(s.ctx, heartbeat)
		b = b[:0]
		switch {
		case errors.Is(err, service.ErrEventsGone):
			b = append(b, "id: "...)
			b = strconv.AppendInt(b, s.sub.Cursor(), 10)
			b = append(b, "\nevent: reset\ndata: "...)
			b = appendReset(b, s.sub.Cursor())
			b = append(b, "\n\n"...)
		case err != nil:
			return nil // the client went, or the server is shutting down: the stream ends
		case len(events) == 0:
			b = append(b, ": heartbeat\n\n"...)
		}
		for i := range events {
			ev := &events[i]
			b = append(b, "id: "...)
			b = strconv.AppendInt(b, ev.ID, 10)
			b = append(b, "\nevent: "...)
			b = append(b, ev.Type...)
			b = append(b, "\ndata: "...)
			b = paddles.AppendEvent(b, ev, s.h.eventHref(ev))
			b = append(b, "\n\n"...)
		}
	}
}

// eventHref is the URL of what an event is about.
func (h *handlers) eventHref(ev *paddles.Event) string {
	switch ev.Type {
	case paddles.EventJob:
		return h.runHref(ev.Run) + "jobs/" + url.PathEscape(ev.JobID) + "/"
	case paddles.EventNode:
		return h.cfg.PublicURL + "/nodes/" + url.PathEscape(ev.Node) + "/"
	}
	return h.runHref(ev.Run)
}

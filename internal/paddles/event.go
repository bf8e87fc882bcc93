package paddles

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Event is a change that GET /events/ streams: a job's or a run's status changed, or a node was
// locked, unlocked, or went up or down. Ids grow in the order the changes committed, across every
// replica of the server.
type Event struct {
	ID   int64
	At   time.Time
	Type string // EventJob, EventRun or EventNode
	// Run, Branch and MachineType are what the filters match ("" when the event has none).
	Run, Branch, MachineType string
	// JobID and Node name what changed, with Run ("" when the event has none).
	JobID, Node string
	// Detail holds the event's own fields as the stream sends them, a JSON object.
	Detail json.RawMessage
}

// The types of events.
const (
	EventJob  = "job"
	EventRun  = "run"
	EventNode = "node"
)

// EventFilter selects events; empty fields select any.
type EventFilter struct {
	Run, Branch, MachineType string
	// Types lists the types wanted (nil: all).
	Types []string
}

// ParseEventTypes reads a comma-separated list of event types.
func ParseEventTypes(list string) ([]string, error) {
	var types []string
	for _, t := range splitFields(list) {
		if t != EventJob && t != EventRun && t != EventNode {
			return nil, Errorf(Invalid, "invalid event type %q: the types are job, run and node", t)
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	return types, nil
}

// Matches reports whether the filter selects e. A filter on a run, a branch or a machine type
// selects only events that have one.
func (f *EventFilter) Matches(e *Event) bool {
	return (f.Types == nil || slices.Contains(f.Types, e.Type)) &&
		(f.Run == "" || f.Run == e.Run) &&
		(f.Branch == "" || f.Branch == e.Branch) &&
		(f.MachineType == "" || f.MachineType == e.MachineType)
}

// AppendEvent writes e as the stream's data: its detail with its id, type and time first, and
// href, the URL of what changed, last.
func AppendEvent(b []byte, e *Event, href string) []byte {
	b = append(b, `{"id":`...)
	b = appendInt(b, &e.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	b = append(b, `,"at":`...)
	b = appendTime(b, &e.At)
	if d := strings.TrimSpace(string(e.Detail)); len(d) > 2 {
		b = append(b, ',')
		b = append(b, d[1:len(d)-1]...)
	}
	b = append(b, `,"href":`...)
	b = appendString(b, href)
	return append(b, '}')
}

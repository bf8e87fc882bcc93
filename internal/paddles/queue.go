package paddles

import (
	"encoding/json"
	"math"
	"time"
)

// Queue is a job queue (one per machine type, or "multi"), which can be paused for a while.
type Queue struct {
	Queue       string
	PausedBy    *string
	PausedSince *time.Time
	PausedUntil *time.Time
}

// Paused reports whether the queue is paused at now: a pause simply expires.
func (q *Queue) Paused(now time.Time) bool {
	return q.PausedUntil != nil && !now.After(*q.PausedUntil)
}

// AppendQueue writes q as upstream's queue object, plus queued_jobs when counted is not nil.
func AppendQueue(b []byte, q *Queue, now time.Time, queued *int64) []byte {
	paused := q.Paused(now)
	b = append(b, `{"queue":`...)
	b = appendString(b, q.Queue)
	if queued != nil {
		b = append(b, `,"queued_jobs":`...)
		b = appendInt(b, queued)
	}
	b = append(b, `,"paused":`...)
	b = appendBool(b, &paused)
	if queued != nil && !paused {
		// upstream's stats of a running queue stop here
		return append(b, '}')
	}
	b = append(b, `,"paused_by":`...)
	b = appendText(b, q.PausedBy)
	b = append(b, `,"paused_since":`...)
	b = appendTime(b, q.PausedSince)
	b = append(b, `,"paused_until":`...)
	b = appendTime(b, q.PausedUntil)
	return append(b, '}')
}

// QueuePatch is a queue request body: its name, and what it sets.
type QueuePatch struct {
	Name string
	// PauseFor pauses the queue that long from now, if set.
	PauseFor                 *time.Duration
	PausedBy                 *string
	PausedSince, PausedUntil *time.Time
	set                      map[string]bool
}

// ParseQueuePatch reads a queue body: {"queue": name, "paused_by", "pause_duration" (seconds),
// "paused_since", "paused_until"}; other keys are ignored. A missing name answers
// upstream's "could not find required key: 'queue'".
func ParseQueuePatch(body []byte) (QueuePatch, error) {
	obj, err := parseObject(body)
	if err != nil {
		return QueuePatch{}, err
	}
	p := QueuePatch{set: map[string]bool{}}
	for _, k := range normalizedKeys(obj) {
		raw := obj[k.raw]
		var msg string
		switch k.normal {
		case "queue":
			var s *string
			if s, msg = decodeText(raw); s != nil {
				p.Name = *s
			}
		case "paused_by":
			p.PausedBy, msg = decodeText(raw)
		case "paused_since":
			p.PausedSince, msg = decodeTime(raw)
		case "paused_until":
			p.PausedUntil, msg = decodeTime(raw)
		case "pause_duration":
			var f float64
			if json.Unmarshal(raw, &f) != nil || f < 0 || f > math.MaxInt32 {
				msg = "must be a number of seconds"
			} else {
				d := time.Duration(f * float64(time.Second))
				p.PauseFor = &d
			}
		default:
			continue
		}
		if msg != "" {
			return QueuePatch{}, Errorf(Invalid, "invalid value for '%s': %s", k.raw, msg)
		}
		p.set[k.normal] = true
	}
	if p.Name == "" {
		return QueuePatch{}, Errorf(Invalid, "could not find required key: 'queue'")
	}
	return p, nil
}

// Apply updates q at now, following upstream: pausing (pause_duration) needs paused_by and a queue
// that is not paused already; paused_by, paused_since and paused_until may also be set directly
// (setting paused_until in the past ends a pause).
func (p *QueuePatch) Apply(q *Queue, now time.Time) error {
	if p.set["paused_by"] {
		q.PausedBy = p.PausedBy
	}
	if p.set["paused_since"] {
		q.PausedSince = p.PausedSince
	}
	if p.set["paused_until"] {
		q.PausedUntil = p.PausedUntil
	}
	if p.PauseFor == nil {
		return nil
	}
	if q.Paused(now) {
		return Errorf(Forbidden, "Cannot pause an already-paused queue")
	}
	if p.PausedBy == nil || *p.PausedBy == "" {
		return Errorf(Invalid, "Cannot pause without specifying paused_by")
	}
	until := now.Add(*p.PauseFor)
	q.PausedSince, q.PausedUntil = &now, &until
	return nil
}

// QueueName reads the queue a request names, from a query value or a JSON body
// ({"queue": name}), as upstream's queue endpoints accept both.
func QueueName(query string, body []byte) (string, error) {
	if query != "" {
		return query, nil
	}
	if len(body) > 0 {
		obj, err := parseObject(body)
		if err != nil {
			return "", err
		}
		if raw, ok := obj["queue"]; ok {
			if s, msg := decodeText(raw); msg == "" && s != nil && *s != "" {
				return *s, nil
			}
		}
	}
	return "", Errorf(Invalid, "could not find required key: 'queue'")
}

// QueueForMachineType names the queue of a machine type: "a|b" types share the "multi" queue.
func QueueForMachineType(mt string) string {
	for _, c := range mt {
		if c == '|' || c == ',' {
			return "multi"
		}
	}
	return mt
}

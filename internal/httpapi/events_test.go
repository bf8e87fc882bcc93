package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/testserver"
)

// sseEvent is one event of a stream as a client reads it.
type sseEvent struct {
	ID    int64
	Type  string
	Data  object
	Raw   string
	Reset bool
}

// stream reads GET /events/ as an EventSource would.
type stream struct {
	t       testing.TB
	events  chan sseEvent
	comment chan string
	cancel  context.CancelFunc
	done    chan struct{}
}

// subscribe opens an event stream on c; after, when not "", is sent as Last-Event-ID.
func (c *client) subscribe(query, after string) *stream {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/events/"+query, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if after != "" {
		req.Header.Set("Last-Event-ID", after)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		c.t.Fatalf("GET /events/%s: %d %s", query, res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{t: c.t, events: make(chan sseEvent, 10000), comment: make(chan string, 100), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Type != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				select {
				case s.comment <- line:
				default:
				}
			case strings.HasPrefix(line, "id: "):
				ev.ID, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.Type = line[7:]
				ev.Reset = ev.Type == "reset"
			case strings.HasPrefix(line, "data: "):
				ev.Raw = line[6:]
				if err := json.Unmarshal([]byte(ev.Raw), &ev.Data); err != nil {
					s.t.Errorf("event data is not JSON: %s", ev.Raw)
				}
				if err := testserver.ValidateEvent([]byte(ev.Raw)); err != nil {
					s.t.Errorf("event does not match the spec: %v\n%s", err, ev.Raw)
				}
			}
		}
	}()
	c.t.Cleanup(s.close)
	return s
}

func (s *stream) close() { s.cancel(); <-s.done }

// next returns the next event, failing the test after a few seconds without one.
func (s *stream) next() sseEvent {
	s.t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event within 5 s")
	}
	return sseEvent{}
}

// until reads events until one satisfies done, and returns them all.
func (s *stream) until(done func(sseEvent) bool) []sseEvent {
	s.t.Helper()
	var got []sseEvent
	for {
		ev := s.next()
		got = append(got, ev)
		if done(ev) {
			return got
		}
	}
}

// quiet fails the test if an event arrives within d.
func (s *stream) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case ev := <-s.events:
		s.t.Errorf("unexpected event %s", ev.Raw)
	case <-time.After(d):
	}
}

func describe(evs []sseEvent) string {
	var parts []string
	for _, ev := range evs {
		switch ev.Type {
		case "job":
			parts = append(parts, fmt.Sprintf("job %v %v>%v", ev.Data["job_id"], ev.Data["from"], ev.Data["to"]))
		case "run":
			parts = append(parts, fmt.Sprintf("run %v>%v", ev.Data["from"], ev.Data["to"]))
		case "node":
			parts = append(parts, fmt.Sprintf("node %v locked=%v", ev.Data["node"], ev.Data["locked"]))
		default:
			parts = append(parts, ev.Type)
		}
	}
	return strings.Join(parts, ", ")
}

// Issue 19: two replicas on one database; a subscriber on one sees the writes made through the
// other, in commit order, and a client that reconnects with Last-Event-ID gets exactly what it
// missed, from either replica.
func TestEventsAcrossReplicas(t *testing.T) {
	a := newServer(t)
	b := &client{t: t, base: testserver.Start(t, serverOptions{DatabaseURL: a.db}).URL, db: a.db, http: testserver.Client(t)}
	all := b.subscribe("", "")
	mine := b.subscribe("?run="+runName+"&types=job", "")
	nodes := a.subscribe("?types=node", "")

	a.post("/runs/"+runName+"/jobs/", object{"job_id": "1", "status": "queued"}).must(t, 200)
	a.put("/runs/"+runName+"/jobs/1/", object{"status": "running"}).must(t, 200)
	a.put("/runs/"+runName+"/jobs/1/", object{"status": "running", "description": "heartbeat"}).must(t, 200) // no change of status: no event
	a.post("/runs/other-run/jobs/", object{"job_id": "9"}).must(t, 200)
	a.put("/runs/"+runName+"/jobs/1/", object{"success": true}).must(t, 200)

	got := all.until(func(ev sseEvent) bool { return ev.Type == "run" && ev.Data["to"] == "finished pass" })
	want := "run <nil>>empty, job 1 <nil>>queued, run empty>queued, job 1 queued>running, run queued>running, " +
		"run <nil>>empty, job 9 <nil>>unknown, run empty>unknown, job 1 running>pass, run running>finished pass"
	if d := describe(got); d != want {
		t.Errorf("events on the other replica:\n got %s\nwant %s", d, want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID {
			t.Errorf("ids out of order: %d after %d", got[i].ID, got[i-1].ID)
		}
	}
	job := got[3]
	if job.Data["run"] != runName || job.Data["href"] != testserver.PublicURL+"/runs/"+runName+"/jobs/1/" || job.Data["id"] != float64(job.ID) {
		t.Errorf("job event %s", job.Raw)
	}
	if d := describe(mine.until(func(ev sseEvent) bool { return ev.Data["to"] == "pass" })); d != "job 1 <nil>>queued, job 1 queued>running, job 1 running>pass" {
		t.Errorf("?run=&types=job: %s", d)
	}

	a.post("/nodes/", object{"name": "smithi001", "machine_type": "smithi", "up": true}).must(t, 200)
	a.put("/nodes/smithi001/lock/", object{"locked": true, "locked_by": "me@host"}).must(t, 200)
	if d := describe(nodes.until(func(ev sseEvent) bool { return ev.Data["locked"] == true })); d != "node smithi001 locked=false, node smithi001 locked=true" {
		t.Errorf("?types=node: %s", d)
	}
	mine.quiet(100 * time.Millisecond)

	// A client drops after the job started, misses the rest, and comes back with Last-Event-ID:
	// to the replica the writes went through, and to the other one.
	started := got[3].ID
	for _, c := range []*client{a, b} {
		again := c.subscribe("", strconv.FormatInt(started, 10))
		missed := again.until(func(ev sseEvent) bool { return ev.ID == got[len(got)-1].ID })
		if d, w := describe(missed), describe(got[4:]); d != w {
			t.Errorf("resumed at %d:\n got %s\nwant %s", started, d, w)
		}
	}
}

// The stream keeps idle connections open with comments, answers 400 for bad filters, and tells a
// client that asks for events past the retention window to reload. (Events a replica still holds
// in memory it sends, pruned or not: nothing is missed.)
func TestEventsHeartbeatAndRetention(t *testing.T) {
	c := newServer(t, func(o *serverOptions) { o.EventHeartbeat = 50 * time.Millisecond })
	s := c.subscribe("?run=nothing", "")
	select {
	case line := <-s.comment:
		if line != ": heartbeat" {
			t.Errorf("comment %q", line)
		}
	case <-time.After(2 * time.Second):
		t.Error("no heartbeat within 2 s")
	}
	c.get("/events/?types=job,bogus").wantError(t, 400, `invalid event type "bogus": the types are job, run and node`)

	c.post("/runs/"+runName+"/jobs/", object{"job_id": "1"}).must(t, 200)
	first := c.subscribe("", "0").next()
	// The retention pass deleted the first events.
	conn, err := pgx.Connect(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{`DELETE FROM events WHERE id <= $1`, `UPDATE events_pruned SET pruned_through = $1`} {
		if _, err := conn.Exec(context.Background(), sql, first.ID+1); err != nil {
			t.Fatal(err)
		}
	}
	// A replica started since (which holds none of them in memory) reads them from the database.
	other := &client{t: t, base: testserver.Start(t, serverOptions{DatabaseURL: c.db}).URL, db: c.db, http: testserver.Client(t)}
	late := other.subscribe("", strconv.FormatInt(first.ID-1, 10))
	reset := late.next()
	if !reset.Reset || reset.ID != first.ID+1 || !strings.Contains(reset.Data["message"].(string), "reload") {
		t.Errorf("first event after the window: %s (id %d)", reset.Raw, reset.ID)
	}
	if next := late.next(); next.ID != first.ID+2 {
		t.Errorf("after the reset: %s (id %d), want id %d", next.Raw, next.ID, first.ID+2)
	}
}

// Event ids are taken before their transactions commit, so a later id can commit first: the
// stream holds it back until the earlier one commits, and skips an id whose transaction rolled
// back, so that every subscriber sees every event once, in id order.
func TestEventsInCommitOrder(t *testing.T) {
	c := newServer(t)
	s := c.subscribe("?types=job,node", "")
	ctx := context.Background()
	// The slow writer locks a node: no lock or count of the jobs' is in the way.
	c.post("/nodes/", object{"name": "slow-node", "machine_type": "smithi", "up": true}).must(t, 200)
	if ev := s.next(); ev.Data["node"] != "slow-node" {
		t.Fatalf("first event %s", ev.Raw)
	}
	conn, err := pgx.Connect(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, end := range []string{"COMMIT", "ROLLBACK"} {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A slow writer takes an event id and holds its transaction open.
		if _, err := tx.Exec(ctx, `UPDATE nodes SET locked = NOT locked, locked_by = CASE WHEN locked THEN NULL ELSE 'slow' END WHERE name = 'slow-node'`); err != nil {
			t.Fatal(err)
		}
		c.post("/runs/"+runName+"/jobs/", object{"job_id": end}).must(t, 200)
		s.quiet(300 * time.Millisecond) // the later event waits for the earlier one
		if _, err := tx.Exec(ctx, end); err != nil {
			t.Fatal(err)
		}
		want := "job " + end + " <nil>>unknown"
		if end == "COMMIT" {
			want = "node slow-node locked=true, " + want
		}
		if d := describe(s.until(func(ev sseEvent) bool { return ev.Data["job_id"] == end })); d != want {
			t.Errorf("after %s: %s, want %s", end, d, want)
		}
	}
}

// A stream lives through a database restart and a crash: it pauses while the database is away,
// then goes on with every event in order, none missed or repeated (the events are the
// database's, and the reader resumes where it was).
func TestEventsThroughRestart(t *testing.T) {
	t.Parallel()
	db := startFaultDB(t)
	c := &client{t: t, base: serveOn(t, db.url), http: testserver.Client(t)}
	s := c.subscribe("?types=job", "")
	post := func(id string) {
		for deadline := time.Now().Add(15 * time.Second); ; {
			r := c.do("POST", "/runs/"+runName+"/jobs/", fmt.Sprintf(`{"job_id": %q}`, id))
			if r.Status == 200 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("POST of job %s: %d %s", id, r.Status, r.Body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	post("before")
	restart(db, 500*time.Millisecond)
	post("after-restart")
	crash(db, 200*time.Millisecond)
	post("after-crash")
	got := s.until(func(ev sseEvent) bool { return ev.Data["job_id"] == "after-crash" })
	if d := describe(got); d != "job before <nil>>unknown, job after-restart <nil>>unknown, job after-crash <nil>>unknown" {
		t.Errorf("events through the faults: %s", d)
	}
}

// GET /events/log/ lists what the stream sends, as JSON, for pollers: after an id, filtered,
// limited, and with a reset first when the events asked for are past the retention window.
func TestEventLog(t *testing.T) {
	c := newServer(t)
	for i := range 5 {
		c.post("/runs/"+runName+"/jobs/", object{"job_id": strconv.Itoa(i)}).must(t, 200)
	}
	c.post("/runs/other-run/jobs/", object{"job_id": "x"}).must(t, 200)
	// list polls until the stream's reader has delivered want events (it follows the writes a
	// few milliseconds behind).
	list := func(query string, want int) []object {
		t.Helper()
		var out []object
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			out = decode[[]object](t, c.get("/events/log/?"+query).must(t, 200))
			if len(out) >= want || time.Now().After(deadline) {
				return out
			}
		}
	}
	jobs := list("types=job&run="+runName, 5)
	if len(jobs) != 5 || jobs[0]["job_id"] != "0" || jobs[4]["job_id"] != "4" {
		t.Fatalf("the run's job events: %v", jobs)
	}
	for _, ev := range jobs {
		b, _ := json.Marshal(ev)
		if err := testserver.ValidateEvent(b); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	after := fmt.Sprint(jobs[1]["id"]) // decode keeps numbers as json.Number
	if next := list("types=job&run="+runName+"&limit=2&after="+after, 2); len(next) != 2 || next[0]["job_id"] != "2" || next[1]["job_id"] != "3" {
		t.Errorf("after=%s&limit=2: %v", after, next)
	}
	if other := list("types=job&run=other-run", 1); len(other) != 1 || other[0]["job_id"] != "x" {
		t.Errorf("the other run's: %v", other)
	}
	if none := decode[[]object](t, c.get("/events/log/?after=1000000").must(t, 200)); len(none) != 0 {
		t.Errorf("after the newest: %v", none)
	}
	c.get("/events/log/?limit=0").wantError(t, 400, "limit must be between 1 and 1000, not 0")
	c.get("/events/log/?types=jobs").wantError(t, 400, `invalid event type "jobs": the types are job, run and node`)

	// Past the retention window, from a replica that holds none of them in memory.
	conn, err := pgx.Connect(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{`DELETE FROM events WHERE id <= 3`, `UPDATE events_pruned SET pruned_through = 3`} {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	other := &client{t: t, base: testserver.Start(t, serverOptions{DatabaseURL: c.db}).URL, db: c.db, http: testserver.Client(t)}
	got := decode[[]object](t, other.get("/events/log/?after=1&limit=2").must(t, 200))
	if len(got) != 3 || got[0]["type"] != "reset" || fmt.Sprint(got[1]["id"]) != "4" {
		t.Errorf("after=1 past the window: %v", got)
	}
}

package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// FuzzServerJobBody posts job bodies to a real server on a real database. No body gets a 5xx; a
// refused body writes nothing (its run does not appear); an accepted one reads back exactly as the
// domain layer wrote it (the paddles fuzz targets check the domain layer against the documented
// rules), and so does the same body PUT again on the job it created.
func FuzzServerJobBody(f *testing.F) {
	for _, r := range seedRequests(f) {
		if strings.Contains(r.Path, "/jobs/") {
			f.Add(r.Body)
		}
	}
	for _, v := range hostileValues {
		b, _ := json.Marshal(v)
		f.Add([]byte(`{"job_id": "1", "description": ` + string(b) + `, "tasks": [` + string(b) + `]}`))
	}
	f.Add([]byte(`{"job_id": "1", "tasks": "\ud800"}`))
	f.Add([]byte(`{"job_id": "1", "timestamp": "0000-01-01 00:00:00", "updated": "9999-12-31 23:59:59.999999"}`))
	f.Add([]byte(`{"job_id": "1", "duration": 9223372036854775807, "seed": -9223372036854775808}`))
	c := newServer(f)
	c.countGaps()
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, body []byte) {
		postJobBody(c.forT(t), fmt.Sprintf("fuzz-%d", n.Add(1)), body)
	})
}

// postJobBody posts body as a new job of a new run, checks the answer as FuzzServerJobBody
// describes, and reports whether the server accepted it.
func postJobBody(c *client, run string, body []byte) bool {
	t := c.t
	t.Helper()
	r := c.post("/runs/"+url.PathEscape(run)+"/jobs/", body)
	if r.Status != 200 {
		if r.Status < 400 || r.Status >= 500 {
			t.Fatalf("POST job: %d %s\nbody: %.300q", r.Status, r.Body, body)
		}
		c.head("/runs/"+url.PathEscape(run)+"/").must(t, 404)
		return false
	}
	var created struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal(r.Body, &created); err != nil {
		t.Fatalf("POST job answered %s", r.Body)
	}
	path := "/runs/" + url.PathEscape(run) + "/jobs/" + url.PathEscape(created.JobID) + "/"
	got := c.get(path).must(t, 200).Body
	checkReadBack(t, got, domainJob(t, nil, body), body)
	r = c.put(path, body)
	if r.Status != 200 {
		t.Fatalf("PUT of the body that created the job: %d %s", r.Status, r.Body)
	}
	checkReadBack(t, c.get(path).must(t, 200).Body, domainJob(t, got, body), body)
	return true
}

// FuzzServerRequests sends any method, path and body to a real server: never a 5xx, and every
// answer matches the contract (the client checks both).
func FuzzServerRequests(f *testing.F) {
	for _, r := range seedRequests(f) {
		f.Add(methodIndex(r.Method), r.Path, r.Body)
	}
	for _, p := range hostilePaths {
		f.Add(uint8(0), p, []byte(nil))
		f.Add(uint8(1), p, []byte(`{"job_id": "1", "name": "x"}`))
	}
	c := newServer(f)
	c.countGaps()
	f.Fuzz(func(t *testing.T, method uint8, path string, body []byte) {
		sendAny(c.forT(t), methods[int(method)%len(methods)], path, body)
	})
}

var methods = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"}

func methodIndex(m string) uint8 {
	for i, v := range methods {
		if v == m {
			return uint8(i)
		}
	}
	return 0
}

// sendAny sends a request whatever it holds (requests the client cannot even build are skipped)
// and returns its status; the validating client fails the test on a 5xx or an answer outside the
// contract. The only 503s the contract has are lock_many's and a paused queue's.
func sendAny(c *client, method, path string, body []byte) int {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(c.base + path)
	if err != nil || u.Host != strings.TrimPrefix(c.base, "http://") {
		return 0
	}
	// The client sends the query as given: escape what would make the request line malformed,
	// which net/http itself answers with a plain-text 400 before the API sees it.
	var q strings.Builder
	for _, b := range []byte(u.RawQuery) {
		if b <= ' ' || b >= 0x7f {
			fmt.Fprintf(&q, "%%%02X", b)
		} else {
			q.WriteByte(b)
		}
	}
	u.RawQuery = q.String()
	req, err := http.NewRequest(method, u.String(), strings.NewReader(string(body)))
	if err != nil {
		return 0
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	res.Body.Close()
	if res.StatusCode == 503 && !strings.Contains(u.Path, "lock_many") && !strings.Contains(u.Path, "queue") {
		c.t.Errorf("%s %s answered 503", method, path)
	}
	return res.StatusCode
}

// hostileValues are strings that have broken servers before.
var hostileValues = []string{
	"", " ", "\u0000", "a\u0000b", "\xed\xa0\x80", "\uffff", "\U0010ffff", "é", "\u2028\u2029", "\x7f",
	"'; DROP TABLE jobs; --", `" OR 1=1 --`, `\'; SELECT pg_sleep(10); --`, "%00", "%2F", "%s%s%s%n",
	"../../../../etc/passwd", "..\\..\\windows", "/", "//", "?", "#", "{run_name}", "${jndi:ldap://x}",
	"<script>alert(1)</script>", strings.Repeat("A", 513), strings.Repeat("é", 300),
}

// hostilePaths are request paths with hostile run, job and node names.
var hostilePaths = []string{
	"/runs/..%2F..%2Fetc%2Fpasswd/", "/runs/%2e%2e/jobs/", "/runs/x/jobs/..%2F1/", "/runs/x%00y/",
	"/runs/x%ffy/", "/runs/%27%3B%20DROP%20TABLE%20runs%3B%20--/jobs/", "/runs/x/jobs/1%27%20OR%20%271%27=%271/",
	"/nodes/..%2F..%2Fetc/", "/nodes/%27%3B--/lock/", "/runs/branch/%00/", "/runs/date/%ff/",
	"/runs/" + strings.Repeat("x", 5000) + "/", "/runs/x/jobs/" + strings.Repeat("9", 5000) + "/",
	"/runs/?count=-1", "/runs/?count=99999999999999999999", "/runs/?page=0", "/jobs/?posted_after=%00",
	"/runs/%E2%80%A8/", "/runs/x/jobs/?status=%00", "/runs/x/jobs/?fields=%00", "/nodes/?machine_type=%00|",
	"/queue/pop_queue/?queue=%00", "/runs/sha1/%25/", "/runs/sha1/_/", "/runs/branch/%5C/",
}

// TestRandomRequests sends mutated versions of the upstream transcripts' requests and teuthology's
// job report to a real server: bodies with values swapped for hostile ones, keys respelled, bytes
// flipped, cut or repeated, deep nesting; paths with hostile names. No 5xx, every answer in the
// contract, accepted jobs read back exactly, refused ones write nothing, and run counts always
// agree with the job rows. make reliability sends more.
func TestRandomRequests(t *testing.T) {
	t.Parallel()
	c := newServer(t)
	gaps := c.countGaps()
	rng := rand.New(rand.NewPCG(reliabilitySeed(t), 2))
	seeds := seedRequests(t)
	n := scaled(400, 20000)
	statuses := map[int]int{}
	accepted := 0
	for i := range n {
		s := seeds[rng.IntN(len(seeds))]
		if rng.IntN(3) == 0 {
			s = seeds[0] // teuthology's job report
		}
		if strings.HasSuffix(s.Path, "/jobs/") && s.Method == "POST" && rng.IntN(2) == 0 {
			// One change to a job body, so that many are still accepted and read back.
			if postJobBody(c, fmt.Sprintf("random-%d", i), mutateBody(rng, s.Body, 1)) {
				accepted++
			}
			continue
		}
		body := mutateBody(rng, s.Body, 3)
		method, path := s.Method, s.Path
		if rng.IntN(4) == 0 {
			path = hostilePaths[rng.IntN(len(hostilePaths))]
		}
		if rng.IntN(8) == 0 {
			method = methods[rng.IntN(len(methods))]
		}
		statuses[sendAny(c, method, path, body)]++
	}
	checkCounts(t, c.db)
	t.Logf("%d requests: %d job bodies accepted and read back; other answers by status: %v; %d answers held values the contract cannot describe yet",
		n, accepted, statuses, gaps.Load())
}

// mutateBody changes a JSON body in one to most random ways.
func mutateBody(rng *rand.Rand, body []byte, most int) []byte {
	for range 1 + rng.IntN(most) {
		var obj map[string]any
		_ = json.Unmarshal(body, &obj)
		switch op := rng.IntN(10); {
		case op < 4 && obj != nil: // a value swapped for a hostile or odd one
			keys := []string{"job_id", "status", "success", "duration", "description", "tasks", "timestamp",
				"updated", "priority", "name", "locked", "locked_by", "machine_type", "count", "pid", "targets"}
			for k := range obj {
				keys = append(keys, k)
			}
			k := keys[rng.IntN(len(keys))]
			obj[k] = oddValue(rng)
			body, _ = json.Marshal(obj)
		case op < 5 && obj != nil: // a key respelled
			for k, v := range obj {
				delete(obj, k)
				obj[strings.NewReplacer("_", []string{"-", ".", "_"}[rng.IntN(3)]).Replace(k)] = v
				break
			}
			body, _ = json.Marshal(obj)
		case op < 7 && len(body) > 0: // bytes flipped, cut or repeated
			b := []byte(string(body))
			i := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[i] = byte(rng.IntN(256))
			case 1:
				b = b[:i]
			default:
				b = append(b[:i:i], append([]byte(strings.Repeat(string(b[i:min(i+8, len(b))]), 4)), b[i:]...)...)
			}
			body = b
		case op < 8: // deep nesting
			d := 1 + rng.IntN(12000)
			body = []byte(`{"job_id": "1", "tasks": ` + strings.Repeat("[", d) + strings.Repeat("]", d) + `}`)
		case op < 9:
			body = []byte([]string{``, `null`, `[]`, `"x"`, `{}`, `{"a":1}{}`, `{"job_id":`, "\xff\xfe{}"}[rng.IntN(8)])
		}
	}
	return body
}

// oddValue returns a JSON value of a random kind, often hostile.
func oddValue(rng *rand.Rand) any {
	switch rng.IntN(9) {
	case 0:
		return nil
	case 1:
		return rng.IntN(3) == 0
	case 2:
		return []any{rng.Int64() - rng.Int64(), rng.Float64() * 1e6, -0.5, 2.5, 1e300}[rng.IntN(5)]
	case 3:
		return json.Number([]string{"1e400", "-0", "9223372036854775808", "1E2", "0.5"}[rng.IntN(5)])
	case 4:
		return []any{oddValue(rng), map[string]any{"k": oddValue(rng)}}
	case 5:
		return []string{"pass", "fail", "queued", "running", "dead", "unknown", "waiting", "bogus"}[rng.IntN(8)]
	case 6:
		return []string{"2026-01-15_10:20:30", "2026-01-15 10:20:30.123456", "0000-01-01 00:00:00", "2026-02-30 00:00:00", "9999-12-31 23:59:59.9999999"}[rng.IntN(5)]
	default:
		return hostileValues[rng.IntN(len(hostileValues))]
	}
}

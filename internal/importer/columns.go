package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// kind is how a column's value travels: how it is read from upstream, cleaned, and staged.
type kind int

const (
	kText kind = iota // varchar/text -> text
	kJSON             // JSON text in a text column (upstream's JSONType) -> json
	kBool             // boolean
	kInt              // integer -> bigint
	kTime             // timestamp without time zone, holding UTC -> timestamptz
	kTags             // an array of strings (varchar[] or text[]) -> text[], never NULL
)

// sourceType is the type a column is read as from upstream (cast in the SELECT, so that a column
// declared a little differently by an older upstream schema reads the same).
func (k kind) sourceType() string {
	switch k {
	case kBool:
		return "boolean"
	case kInt:
		return "bigint"
	case kTime:
		return "timestamp"
	case kTags:
		return "text[]"
	}
	return "text"
}

// stagingType is the column's type in this server's schema.
func (k kind) stagingType() string {
	switch k {
	case kJSON:
		return "json"
	case kBool:
		return "boolean"
	case kInt:
		return "bigint"
	case kTime:
		return "timestamptz"
	case kTags:
		return "text[]"
	}
	return "text"
}

// column is one column copied from an upstream table to ours.
type column struct {
	name string // ours, and upstream's
	kind kind
}

// Upstream's columns without a counterpart here are not copied: jobs.repo,
// sleep_before_teardown, teuthology_sha1, issue_url and comment (upstream never accepted or
// returned them through its API) and queue.pause_duration (never written by upstream).

// runColumns are the run columns copied, in staging order. A run's status and job counts are not
// copied: the jobs trigger derives them from the imported jobs.
//
// tags comes from upstream's run tags (ceph/paddles#140, an ARRAY(String) column), which an
// upstream without that column imports as '{}'. Such an upstream says nothing about tags, so a
// run upstream has again leaves the tags set here alone (runsUpsert); an upstream with the column
// overwrites them as it overwrites the run's other columns.
var runColumns = []column{
	{"name", kText}, {"user", kText}, {"scheduled", kTime}, {"suite", kText}, {"branch", kText},
	{"machine_type", kText}, {"posted", kTime}, {"started", kTime}, {"updated", kTime},
	{"tags", kTags},
}

// upstreamJobColumns are the columns of upstream's jobs table (its last schema) besides id and
// run_id: a fact about upstream, which no longer changes.
var upstreamJobColumns = map[string]bool{
	"posted": true, "started": true, "updated": true, "status": true, "archive_path": true,
	"description": true, "duration": true, "email": true, "failure_reason": true, "flavor": true,
	"job_id": true, "kernel": true, "last_in_suite": true, "machine_type": true, "name": true,
	"nuke_on_error": true, "os_type": true, "os_version": true, "overrides": true, "owner": true,
	"priority": true, "pid": true, "repo": true, "roles": true, "sentry_event": true, "success": true,
	"branch": true, "seed": true, "sha1": true, "sleep_before_teardown": true, "subset": true,
	"suite": true, "suite_branch": true, "suite_path": true, "suite_relpath": true, "suite_repo": true,
	"suite_sha1": true, "targets": true, "tasks": true, "teuthology_branch": true,
	"teuthology_sha1": true, "timestamp": true, "user": true, "verbose": true, "issue_url": true,
	"comment": true, "pcp_grafana_url": true, "queue": true, "package_source": true,
}

// jobColumns are the job columns copied, in staging order: the job keys' columns
// (store.JobColumns, generated from the contract's Job schema) that upstream has too. The others,
// mon_a_kernel_sha1 and mon_b_kernel_sha1 (upstream dropped them) and any key added here since,
// are left alone, so that importing again keeps what teuthology has written into them.
var jobColumns = func() []column {
	kinds := map[string]kind{"text": kText, "json": kJSON, "boolean": kBool, "bigint": kInt, "timestamptz": kTime}
	var cols []column
	for _, c := range store.JobColumns {
		k, ok := kinds[c.Type]
		if !ok {
			panic("importer: no kind for SQL type " + c.Type)
		}
		if upstreamJobColumns[c.Name] {
			cols = append(cols, column{c.Name, k})
		}
	}
	return cols
}()

// nodeColumns are the node columns copied; vm_host is the host's name (upstream's vm_host_id is
// remapped to this server's ids by name).
var nodeColumns = []column{
	{"name", kText}, {"description", kText}, {"up", kBool}, {"machine_type", kText},
	{"arch", kText}, {"is_vm", kBool}, {"os_type", kText}, {"os_version", kText},
	{"locked", kBool}, {"locked_by", kText}, {"locked_since", kTime}, {"mac_address", kText},
	{"ssh_pub_key", kText},
}

var queueColumns = []column{
	{"queue", kText}, {"paused_by", kText}, {"paused_since", kTime}, {"paused_until", kTime},
}

// index returns the position of the named column.
func index(cols []column, name string) int {
	for i, c := range cols {
		if c.name == name {
			return i
		}
	}
	panic("importer: no column " + name)
}

// Positions of the columns the importer treats specially.
var (
	runName      = index(runColumns, "name")
	runUser      = index(runColumns, "user")
	runScheduled = index(runColumns, "scheduled")
	runPosted    = index(runColumns, "posted")
	runStarted   = index(runColumns, "started")
	runUpdated   = index(runColumns, "updated")
	runTags      = index(runColumns, "tags")

	jobJobID   = index(jobColumns, "job_id")
	jobStatus  = index(jobColumns, "status")
	jobPosted  = index(jobColumns, "posted")
	jobStarted = index(jobColumns, "started")
	jobUpdated = index(jobColumns, "updated")

	nodeName     = index(nodeColumns, "name")
	nodeIsVM     = index(nodeColumns, "is_vm")
	nodeLocked   = index(nodeColumns, "locked")
	nodeLockedBy = index(nodeColumns, "locked_by")
)

// without returns cols less the named column.
func without(cols []column, name string) []column {
	return slices.DeleteFunc(slices.Clone(cols), func(c column) bool { return c.name == name })
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// selectList reads cols from the upstream table aliased alias, each cast to its source type; a
// column the upstream table lacks (an older schema) reads as NULL.
func selectList(alias string, cols []column, have map[string]bool) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		if have[c.name] {
			parts[i] = alias + "." + ident(c.name) + "::" + c.kind.sourceType()
		} else {
			parts[i] = "NULL::" + c.kind.sourceType()
		}
	}
	return strings.Join(parts, ", ")
}

// names lists the columns' names, quoted, each prefixed with prefix.
func names(prefix string, cols []column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = prefix + ident(c.name)
	}
	return strings.Join(parts, ", ")
}

// stagingDefs declares cols for a staging table. job_id is compared with jobs.job_id, which is
// COLLATE "C".
func stagingDefs(cols []column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = ident(c.name) + " " + c.kind.stagingType()
		if c.name == "job_id" {
			parts[i] += ` COLLATE "C"`
		}
	}
	return strings.Join(parts, ", ")
}

// comparableExpr is a column's value in a form PostgreSQL can compare (json has no equality).
func comparableExpr(prefix string, c column) string {
	if c.kind == kJSON {
		return prefix + ident(c.name) + "::text"
	}
	return prefix + ident(c.name)
}

// changed is an ON CONFLICT ... WHERE condition: the incoming row differs from the stored one in
// one of cols, so unchanged rows are not rewritten when an import runs again.
func changed(table string, cols []column) string {
	a := make([]string, len(cols))
	b := make([]string, len(cols))
	for i, c := range cols {
		a[i] = comparableExpr(table+".", c)
		b[i] = comparableExpr("EXCLUDED.", c)
	}
	return "(" + strings.Join(a, ", ") + ") IS DISTINCT FROM (" + strings.Join(b, ", ") + ")"
}

// setAll is an ON CONFLICT ... SET list writing every one of cols.
func setAll(cols []column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = ident(c.name) + " = EXCLUDED." + ident(c.name)
	}
	return strings.Join(parts, ", ")
}

// scanner reads rows of a fixed column layout into reusable pgtype values.
type scanner struct {
	kinds []kind
	dest  []any
	// raw keeps text and JSON as read, for rows read back from this server's database.
	raw bool
}

func newScanner(kinds []kind) *scanner {
	s := &scanner{kinds: kinds, dest: make([]any, len(kinds))}
	for i, k := range kinds {
		switch k {
		case kBool:
			s.dest[i] = new(pgtype.Bool)
		case kInt:
			s.dest[i] = new(pgtype.Int8)
		case kTime:
			s.dest[i] = new(pgtype.Timestamp)
		case kTags:
			s.dest[i] = new([]pgtype.Text)
		default:
			s.dest[i] = new(pgtype.Text)
		}
	}
	return s
}

func kindsOf(cols []column) []kind {
	ks := make([]kind, len(cols))
	for i, c := range cols {
		ks[i] = c.kind
	}
	return ks
}

// scan reads the current row and converts it: every value is nil (SQL NULL) or a string, bool,
// int64, time.Time (UTC) or json.RawMessage, cleaned and counted in st.
func (s *scanner) scan(rows pgx.Rows, st *Fixes) ([]any, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return nil, err
	}
	out := make([]any, len(s.kinds))
	for i, k := range s.kinds {
		switch k {
		case kText:
			if v := s.dest[i].(*pgtype.Text); v.Valid && s.raw {
				out[i] = v.String
			} else if v.Valid {
				out[i] = st.clean(v.String)
			}
		case kJSON:
			if v := s.dest[i].(*pgtype.Text); v.Valid && s.raw {
				out[i] = json.RawMessage(v.String)
			} else if v.Valid {
				if j := st.json(v.String); j != nil {
					out[i] = j
				}
			}
		case kBool:
			if v := s.dest[i].(*pgtype.Bool); v.Valid {
				out[i] = v.Bool
			}
		case kInt:
			if v := s.dest[i].(*pgtype.Int8); v.Valid {
				out[i] = v.Int64
			}
		case kTime:
			if v := s.dest[i].(*pgtype.Timestamp); v.Valid {
				if v.InfinityModifier != pgtype.Finite {
					st.InfiniteTimestamps++
				} else {
					out[i] = v.Time.UTC()
				}
			}
		case kTags:
			if v := *s.dest[i].(*[]pgtype.Text); s.raw {
				out[i] = rawTags(v)
			} else {
				out[i] = st.tags(v)
			}
		}
	}
	return out, nil
}

// rawTags are tags as read back from this server's database.
func rawTags(v []pgtype.Text) []string {
	out := make([]string, 0, len(v))
	for _, t := range v {
		out = append(out, t.String)
	}
	return out
}

// Fixes counts the values the import had to change to fit this server's schema.
type Fixes struct {
	JSONNullText       int64 // JSON columns holding the text "null", stored as SQL NULL (expected: upstream's usual unset value)
	JSONEmpty          int64 // JSON columns holding empty text, stored as SQL NULL
	JSONInvalid        int64 // JSON columns holding text that is not JSON, stored as a JSON string of that text
	NULStripped        int64 // text values with NUL characters, which were removed
	InvalidUTF8        int64 // text values with bytes that are not UTF-8, replaced by U+FFFD
	InfiniteTimestamps int64 // timestamps of +-infinity, stored as NULL
	MissingTimestamps  int64 // NULL posted/updated/scheduled values, filled from the row's other timestamps
	InvalidStatus      int64 // job statuses NULL or outside pass, fail, queued, running, dead, unknown, waiting: stored as unknown
	UnlockedOwners     int64 // unlocked nodes with a locked_by, which was cleared (an unlocked node has no owner here)
	DroppedTags        int64 // NULL, repeated or invalid elements of a run's tags, which were left out
}

func (f *Fixes) add(g *Fixes) {
	f.JSONNullText += g.JSONNullText
	f.JSONEmpty += g.JSONEmpty
	f.JSONInvalid += g.JSONInvalid
	f.NULStripped += g.NULStripped
	f.InvalidUTF8 += g.InvalidUTF8
	f.InfiniteTimestamps += g.InfiniteTimestamps
	f.MissingTimestamps += g.MissingTimestamps
	f.InvalidStatus += g.InvalidStatus
	f.UnlockedOwners += g.UnlockedOwners
	f.DroppedTags += g.DroppedTags
}

// clean makes s storable in a text column: NUL characters are removed and bytes that are not
// UTF-8 (a SQL_ASCII upstream database) are replaced.
func (f *Fixes) clean(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		f.NULStripped++
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if !utf8.ValidString(s) {
		f.InvalidUTF8++
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// tags converts upstream's run tags to this server's: a NULL array is no tags ('{}', never
// NULL: runs.tags is NOT NULL); NULL elements, tags the API refuses (empty, or with a ',' or '/'
// that no filter could name: paddles.ValidateTag) and repeats of an earlier one are left out,
// counted; the order is kept.
func (f *Fixes) tags(v []pgtype.Text) []string {
	out := make([]string, 0, len(v))
	for _, t := range v {
		if !t.Valid {
			f.DroppedTags++
			continue
		}
		s := f.clean(t.String)
		if paddles.ValidateTag(s) != nil || slices.Contains(out, s) {
			f.DroppedTags++
			continue
		}
		out = append(out, s)
	}
	return out
}

// json converts upstream's JSON text (json.dumps of the value) to a json value, without
// insignificant whitespace as this server stores what clients send. The text "null" (what
// upstream writes for an unset value) and empty text become SQL NULL (nil); text that is not JSON
// is kept as a JSON string.
func (f *Fixes) json(s string) json.RawMessage {
	s = f.clean(s)
	switch strings.TrimSpace(s) {
	case "":
		f.JSONEmpty++
		return nil
	case "null":
		f.JSONNullText++
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(s))
	if err := json.Compact(&buf, []byte(s)); err != nil {
		f.JSONInvalid++
		return jsonString(s)
	}
	return buf.Bytes()
}

// jsonString encodes s as a JSON string, without escaping HTML characters.
func jsonString(s string) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(fmt.Sprintf("importer: encoding a string: %v", err)) // a string always encodes
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// timeOf returns a converted value as a time, if it is one.
func timeOf(v any) (time.Time, bool) {
	t, ok := v.(time.Time)
	return t, ok
}

// firstTime returns the first of vs that is a time, or nil.
func firstTime(vs ...any) any {
	for _, v := range vs {
		if _, ok := v.(time.Time); ok {
			return v
		}
	}
	return nil
}

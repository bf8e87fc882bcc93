package migrations

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The rules of README.md, checked on the text of every migration: no database needed. They are
// deliberately simple (regular expressions over each statement, DO blocks included), so they err
// towards refusing; a migration that has a good reason to break one says so in its exemption below.

// initialSchema are the migrations that make the initial schema: a lab applies them to an empty
// database (paddles import runs after paddles migrate), so their locks block nobody.
const initialSchema = 4

var (
	// Tables a job write touches: a lock that conflicts with writes must give up within 1 s.
	writeTables = `(?:runs|jobs|job_nodes|nodes|test_results|test_sha1s)`
	// Tables with millions of rows: no index built without CONCURRENTLY, no scan or rewrite under a
	// lock that blocks writes, no backfill in one transaction.
	bigTables = `(?:runs|jobs|job_nodes|test_results|test_sha1s)`

	tableRef = `(?:if\s+exists\s+)?(?:only\s+)?(?:public\.)?"?`

	reSetLockTimeout = regexp.MustCompile(`(?i)^\s*set\s+(?:local\s+|session\s+)?lock_timeout\s*(?:=|to)\s*'?([0-9.]+)\s*([a-z]*)'?\s*$`)
	reResetTimeout   = regexp.MustCompile(`(?i)^\s*reset\s+lock_timeout\s*$`)
	reCreateIndex    = regexp.MustCompile(`(?i)\bcreate\s+(?:unique\s+)?index\s+(concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:"?\w+"?\s+)?on\s+(?:only\s+)?(?:public\.)?"?(\w+)`)
	reDropIndex      = regexp.MustCompile(`(?i)\bdrop\s+index\s+(concurrently\s+)?`)
	reAlterTable     = regexp.MustCompile(`(?i)\balter\s+table\s+` + tableRef + writeTables + `\b"?([^;]*)`)
	reTrigger        = regexp.MustCompile(`(?i)\b(?:create\s+(?:or\s+replace\s+)?(?:constraint\s+)?|drop\s+)trigger\b[^;]*?\bon\s+` + tableRef + writeTables + `\b`)
	reLockTable      = regexp.MustCompile(`(?i)\b(?:lock\s+(?:table\s+)?|truncate\s+(?:table\s+)?|cluster\s+|vacuum\s+(?:\(\s*)?full\b[^;]*?)` + tableRef + writeTables + `\b`)
	reValidateOnly   = regexp.MustCompile(`(?i)^\s*validate\s+constraint\s+"?\w+"?\s*$`)
	reRewrite        = regexp.MustCompile(`(?i)\balter\s+(?:column\s+)?"?\w+"?\s+(?:set\s+data\s+)?type\b|\badd\s+(?:constraint\s+"?\w+"?\s+)?(?:primary\s+key|unique)\b(?:[^,]*using\s+index)?|\bdefault\s+\(?\s*(?:now|clock_timestamp|random|gen_random_uuid|nextval|uuid_generate_v4)\s*\(`)
	reUsingIndex     = regexp.MustCompile(`(?i)using\s+index`)
	reAddConstraint  = regexp.MustCompile(`(?i)\badd\s+(?:constraint\s+"?\w+"?\s+)?(check|foreign\s+key)\b`)
	reNotValid       = regexp.MustCompile(`(?i)\bnot\s+valid\b`)
	reSetNotNull     = regexp.MustCompile(`(?i)\bset\s+not\s+null\b`)
	reValidate       = regexp.MustCompile(`(?i)\bvalidate\s+constraint\b`)
	reBackfill       = regexp.MustCompile(`(?i)(?:^|[;\s(])(?:update\s+(?:only\s+)?|delete\s+from\s+(?:only\s+)?)(?:public\.)?"?` + bigTables + `\b`)
	reCommit         = regexp.MustCompile(`(?i)\bcommit\s*;`)
	reDo             = regexp.MustCompile(`(?i)^\s*do\b`)
	reFunction       = regexp.MustCompile(`(?i)^\s*create\s+(?:or\s+replace\s+)?(?:function|procedure)\b`)
)

// violations lists how the Up section of a migration breaks the rules.
func violations(text string) []string {
	up, _, _ := strings.Cut(text, "-- +goose Down")
	noTx := strings.Contains(up, "-- +goose NO TRANSACTION")
	var out []string
	bad := func(stmt, format string, args ...any) {
		s := strings.Join(strings.Fields(stmt), " ")
		if len(s) > 80 {
			s = s[:80] + "..."
		}
		out = append(out, fmt.Sprintf(format, args...)+": "+s)
	}
	var timeout time.Duration // the lock_timeout in force; 0: none
	validated := false
	for _, stmt := range statements(up) {
		if m := reSetLockTimeout.FindStringSubmatch(stmt); m != nil {
			timeout = parseTimeout(m[1], m[2])
			continue
		}
		if reResetTimeout.MatchString(stmt) {
			timeout = 0
			continue
		}
		if reFunction.MatchString(stmt) {
			continue // a function's body runs when it is called, not now
		}
		blocking := false // takes a lock that makes job writes wait
		for _, m := range reCreateIndex.FindAllStringSubmatch(stmt, -1) {
			concurrently, table := m[1] != "", strings.ToLower(m[2])
			big := regexp.MustCompile(`^` + bigTables + `$`).MatchString(table)
			switch {
			case big && !concurrently:
				bad(stmt, "CREATE INDEX on %s must be CONCURRENTLY", table)
			case big && !noTx:
				bad(stmt, "CREATE INDEX CONCURRENTLY needs -- +goose NO TRANSACTION")
			case !concurrently && regexp.MustCompile(`^`+writeTables+`$`).MatchString(table):
				blocking = true
			}
		}
		for _, m := range reDropIndex.FindAllStringSubmatch(stmt, -1) {
			if m[1] == "" {
				blocking = true // the index's table, whichever it is, is locked ACCESS EXCLUSIVE
			}
		}
		for _, m := range reAlterTable.FindAllStringSubmatch(stmt, -1) {
			action := m[1]
			if reValidateOnly.MatchString(action) {
				continue // SHARE UPDATE EXCLUSIVE: writes go on
			}
			blocking = true
			if reRewrite.MatchString(action) && !reUsingIndex.MatchString(action) {
				bad(stmt, "rewrites or scans the table under ACCESS EXCLUSIVE (a type change, a new unique key without USING INDEX, a volatile default)")
			}
			if c := reAddConstraint.FindStringSubmatch(action); c != nil && !reNotValid.MatchString(action) {
				bad(stmt, "ADD CONSTRAINT %s must be NOT VALID, then VALIDATE CONSTRAINT in a statement of its own", strings.ToUpper(c[1]))
			}
			if reSetNotNull.MatchString(action) && !validated {
				bad(stmt, "SET NOT NULL scans the table under ACCESS EXCLUSIVE unless a validated CHECK (col IS NOT NULL) comes first")
			}
		}
		if reTrigger.MatchString(stmt) || reLockTable.MatchString(stmt) {
			blocking = true
		}
		if blocking && (timeout == 0 || timeout > time.Second) {
			bad(stmt, "takes a lock that blocks job writes: SET lock_timeout to at most 1s before it (now %v)", timeout)
		}
		if reValidate.MatchString(stmt) {
			validated = true
		}
		if reBackfill.MatchString(stmt) {
			switch {
			case !reDo.MatchString(stmt):
				bad(stmt, "an UPDATE or DELETE of a big table must be batched: a DO block that COMMITs between key ranges")
			case !reCommit.MatchString(stmt):
				bad(stmt, "a DO block updating a big table must COMMIT between batches")
			case !noTx:
				bad(stmt, "COMMIT in a DO block needs -- +goose NO TRANSACTION")
			}
		}
	}
	return out
}

// statements splits an Up section as goose does: a StatementBegin/End block is one statement,
// otherwise a line ending with ";" ends one. Comments are dropped.
func statements(up string) []string {
	var out []string
	var cur strings.Builder
	block := false
	for _, line := range strings.Split(up, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "-- +goose StatementBegin"):
			block = true
			continue
		case strings.HasPrefix(t, "-- +goose StatementEnd"):
			block = false
			out = append(out, cur.String())
			cur.Reset()
			continue
		case strings.HasPrefix(t, "--"):
			continue
		}
		if i := strings.Index(line, " --"); i >= 0 && !block {
			line = line[:i]
		}
		cur.WriteString(line + "\n")
		if !block && strings.HasSuffix(strings.TrimSpace(line), ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func parseTimeout(n, unit string) time.Duration {
	v, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return 0
	}
	d := map[string]time.Duration{"": time.Millisecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour}[strings.ToLower(unit)]
	return time.Duration(v * float64(d))
}

// TestMigrationsAreOnline checks every migration after the initial schema against the rules.
func TestMigrationsAreOnline(t *testing.T) {
	files, err := fs.Glob(FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	for _, f := range files {
		var version int
		if _, err := fmt.Sscanf(f, "%05d_", &version); err != nil {
			t.Errorf("%s: not named NNNNN_name.sql", f)
			continue
		}
		if version <= initialSchema {
			continue
		}
		b, err := fs.ReadFile(FS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range violations(string(b)) {
			t.Errorf("%s: %s (see db/migrations/README.md)", f, v)
		}
	}
}

// TestOnlineRules checks that the rules refuse what they should and let pass what they should.
func TestOnlineRules(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       int // violations
	}{
		{"jobkeys' migration", "-- +goose Up\n-- Generated by internal/jobkeys: the column of each key new to the Job schema.\nSET LOCAL lock_timeout = '1s';\nALTER TABLE jobs ADD COLUMN \"a_key\" text;\nALTER TABLE jobs ADD COLUMN \"b_key\" json;\n\n-- +goose Down\nALTER TABLE jobs DROP COLUMN \"b_key\";\n", 0},
		{"ALTER TABLE without lock_timeout", "-- +goose Up\nALTER TABLE jobs ADD COLUMN x text;\n", 1},
		{"lock_timeout too long", "-- +goose Up\nSET lock_timeout = '10s';\nALTER TABLE runs ADD COLUMN x text;\n", 1},
		{"lock_timeout in ms", "-- +goose Up\nSET lock_timeout = 500;\nALTER TABLE runs ADD COLUMN x text;\n", 0},
		{"lock_timeout reset", "-- +goose Up\nSET lock_timeout = '1s';\nRESET lock_timeout;\nCREATE TRIGGER t AFTER INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION f();\n", 1},
		{"a small table", "-- +goose Up\nALTER TABLE queues ADD COLUMN x text;\nCREATE INDEX q ON queues (x);\n", 0},
		{"index in a transaction", "-- +goose Up\nCREATE INDEX CONCURRENTLY i ON jobs (x);\n", 1},
		{"index without CONCURRENTLY", "-- +goose NO TRANSACTION\n-- +goose Up\nSET lock_timeout = '1s';\nCREATE INDEX i ON job_nodes (x);\n", 1},
		{"index on nodes", "-- +goose Up\nCREATE INDEX i ON nodes (x);\n", 1},
		{"online index", "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON runs (x);\n", 0},
		{"DROP INDEX", "-- +goose Up\nDROP INDEX i;\n", 1},
		{"DROP INDEX CONCURRENTLY", "-- +goose NO TRANSACTION\n-- +goose Up\nDROP INDEX CONCURRENTLY IF EXISTS i;\n", 0},
		{"type change", "-- +goose Up\nSET LOCAL lock_timeout = '1s';\nALTER TABLE jobs ALTER COLUMN seed TYPE numeric;\n", 1},
		{"volatile default", "-- +goose Up\nSET LOCAL lock_timeout = '1s';\nALTER TABLE runs ADD COLUMN u uuid DEFAULT gen_random_uuid();\n", 1},
		{"valid check", "-- +goose Up\nSET LOCAL lock_timeout = '1s';\nALTER TABLE runs ADD CONSTRAINT c CHECK (x > 0);\n", 1},
		{"SET NOT NULL unproven", "-- +goose Up\nSET LOCAL lock_timeout = '1s';\nALTER TABLE runs ALTER COLUMN x SET NOT NULL;\n", 1},
		{"whole-table backfill", "-- +goose Up\nUPDATE job_nodes SET posted = now();\n", 1},
		{"backfill without COMMIT", "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nDO $$ BEGIN UPDATE jobs SET x = 1 WHERE id < 10; END $$;\n-- +goose StatementEnd\n", 1},
		{"function bodies run later", "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE runs SET x = 1 WHERE id = NEW.run_id; RETURN NULL; END $$;\n-- +goose StatementEnd\n", 0},
		{"the old 00005", oldNodeJobHistory, 6},
	} {
		got := violations(tc.text)
		if len(got) != tc.want {
			t.Errorf("%s: %d violations, want %d:\n%s", tc.name, len(got), tc.want, strings.Join(got, "\n"))
		}
	}
}

// oldNodeJobHistory is 00005 as it was first written: minutes of blocked job writes at lab size.
const oldNodeJobHistory = `-- +goose Up
ALTER TABLE job_nodes ADD COLUMN posted timestamptz;
UPDATE job_nodes jn SET posted = j.posted FROM jobs j WHERE j.id = jn.job_id;
ALTER TABLE job_nodes ALTER COLUMN posted SET NOT NULL;
CREATE INDEX job_nodes_node_posted_idx ON job_nodes (node_id, posted DESC, job_id DESC);
-- +goose StatementBegin
CREATE FUNCTION job_nodes_set_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT j.posted INTO NEW.posted FROM jobs j WHERE j.id = NEW.job_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER job_nodes_set_posted BEFORE INSERT OR UPDATE OF job_id ON job_nodes
    FOR EACH ROW EXECUTE FUNCTION job_nodes_set_posted();
`

package importer_test

import (
	"bytes"
	"context"
	_ "embed"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/importer"
	"github.com/ceph/paddles-go/internal/pgtest"
)

//go:embed testdata/upstream-run-tags.sql
var upstreamRunTags string

// tagsOf reads every run's tags here, by name.
func tagsOf(t testing.TB, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT name, tags FROM runs`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	var name string
	var tags []string
	if _, err := pgx.ForEachRow(rows, []any{&name, &tags}, func() error {
		out[name] = tags
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantTags compares the tags of the named runs here.
func wantTags(t testing.TB, pool *pgxpool.Pool, want map[string][]string) {
	t.Helper()
	got := tagsOf(t, pool)
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("run %s: missing", name)
			continue
		}
		if strings.Join(g, ",") != strings.Join(w, ",") || g == nil || len(g) != len(w) {
			t.Errorf("run %s: tags %q, want %q", name, g, w)
		}
	}
}

// checkTagCounts fails the test when run_values' 'tag' rows are not the runs' tags counted.
func checkTagCounts(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	got := lines(t, pool, `SELECT value || ' ' || runs FROM run_values WHERE key = 'tag' AND runs <> 0`)
	want := lines(t, pool, `SELECT tag || ' ' || count(*) FROM runs, unnest(tags) tag GROUP BY tag`)
	if got != want {
		t.Errorf("run_values' tag rows (-) are not the runs' tags counted (+):\n%s", diff(got, want))
	}
}

// moreRunTags tags the runs of moreRuns: every one "gen", and one of three others.
const moreRunTags = `UPDATE runs SET tags = ARRAY['gen', 'gen-' || (id % 3)] WHERE id > 1000`

// Run tags from an upstream that has them (ceph/paddles#140): NULL is no tags, NULL and repeated
// elements are left out, the bulk and batch paths write the same tags and count them in
// run_values, a re-import carries changed tags over, and upstream's tags win over tags set here.
func TestImportRunTags(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(12), upstreamRunTags, moreRunTags)
	opts := importer.Options{BatchSize: 10}
	wantFirst := map[string][]string{
		runA: {"rados-nightly", "squid-backport"}, runB: {"rados-nightly", "wip"}, runC: {}, runD: {},
		"gen-2026-02-01_00:00:00-rados-main-distro-default-smithi-3": {"gen", "gen-1"},
	}

	bulk := newTarget(t)
	r := mustImport(t, from, bulk, opts)
	if !r.Bulk || r.Fixes.DroppedTags != 4 {
		t.Errorf("bulk %v, %d tags dropped", r.Bulk, r.Fixes.DroppedTags)
	}
	var out bytes.Buffer
	r.Write(&out)
	if !strings.Contains(out.String(), "4  NULL, repeated or invalid run tags left out") {
		t.Errorf("report:\n%s", &out)
	}
	wantTags(t, bulk, wantFirst)
	checkTagCounts(t, bulk)
	checkRecount(t, bulk)
	if m := maintained(t, bulk); !strings.Contains(m, "\nvalue tag=rados-nightly 2") || !strings.Contains(m, "\nvalue tag=gen 12") ||
		strings.Contains(m, "ghost") {
		t.Errorf("run_values' tags:\n%s", m)
	}
	v := mustVerify(t, from, bulk)
	wantPrint, wantMaintained := fingerprint(t, bulk), maintained(t, bulk)

	for _, c := range []struct {
		name   string
		upsert bool
	}{{"--no-bulk", false}, {"every batch upserted", true}} {
		t.Run(c.name, func(t *testing.T) {
			pool := newTarget(t)
			o := opts
			o.NoBulk = true
			if c.upsert {
				importer.UpsertOnly(&o)
			}
			if r := mustImport(t, from, pool, o); r.Bulk || r.Batches < 2 {
				t.Fatalf("bulk %v, %d batches", r.Bulk, r.Batches)
			}
			if got := fingerprint(t, pool); got != wantPrint {
				t.Errorf("differs from the bulk import:\n%s", diff(wantPrint, got))
			}
			if got := maintained(t, pool); got != wantMaintained {
				t.Errorf("maintained tables differ from the bulk import's:\n%s", diff(wantMaintained, got))
			}
			checkTagCounts(t, pool)
			checkRecount(t, pool)
		})
	}

	// Tags changed upstream are carried over, and only the runs whose tags changed are written.
	pgtest.Script(t, from,
		`UPDATE runs SET tags = '{squid-backport,reimaged}' WHERE id = 10`,
		`UPDATE runs SET tags = NULL WHERE id = 11`,
		`UPDATE runs SET tags = '{new}' WHERE id = 12`,
		`UPDATE runs SET tags = '{gen}' WHERE id = 1003`,
		`UPDATE runs SET tags = NULL WHERE id = 1002`)
	r = mustImport(t, from, bulk, opts)
	if r.Bulk || r.RunsWritten != 5 {
		t.Errorf("re-import: bulk %v, %d runs written", r.Bulk, r.RunsWritten)
	}
	wantTags(t, bulk, map[string][]string{
		runA: {"squid-backport", "reimaged"}, runB: {}, runC: {"new"}, runD: {},
		"gen-2026-02-01_00:00:00-rados-main-distro-default-smithi-3": {"gen"},
		"gen-2026-02-01_00:00:00-rados-main-distro-default-smithi-2": {},
	})
	checkTagCounts(t, bulk)
	checkRecount(t, bulk)
	mustVerify(t, from, bulk)
	if r = mustImport(t, from, bulk, opts); r.RunsWritten != 0 {
		t.Errorf("a re-import of unchanged tags wrote %d runs", r.RunsWritten)
	}

	// Tags set here on a run upstream holds without tags: the verification sees them, and the
	// next import gives the run upstream's tags again (upstream's row is as recent). (A run the
	// verification's sample of seed 1 holds.)
	gen2 := "gen-2026-02-01_00:00:00-rados-main-distro-default-smithi-2"
	pgtest.Script(t, bulk.Config().ConnString(), `UPDATE runs SET tags = '{here}' WHERE name = '`+gen2+`'`)
	checkTagCounts(t, bulk)
	vv, err := importer.Verify(context.Background(), from, bulk, importer.VerifyOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	vv.Write(&out)
	if vv.OK() || !strings.Contains(out.String(), `run `+gen2+`: tags: upstream [], here ["here"]`) || vv.Fields != v.Fields {
		t.Errorf("verification (%d fields, %d before):\n%s", vv.Fields, v.Fields, &out)
	}
	if r = mustImport(t, from, bulk, opts); r.RunsWritten != 1 {
		t.Errorf("re-import over tags set here wrote %d runs", r.RunsWritten)
	}
	wantTags(t, bulk, map[string][]string{gen2: {}})
	checkTagCounts(t, bulk)
	mustVerify(t, from, bulk)
}

// An upstream without run tags imports every run with none; tags set here since are neither
// compared by the verification nor overwritten by a re-import, even of a run changed upstream.
func TestImportWithoutRunTags(t *testing.T) {
	from := newUpstream(t, upstreamFixture, moreRuns(12))
	opts := importer.Options{BatchSize: 10}
	pool := newTarget(t)
	if r := mustImport(t, from, pool, opts); !r.Bulk || r.Fixes.DroppedTags != 0 {
		t.Errorf("bulk %v, %d tags dropped", r.Bulk, r.Fixes.DroppedTags)
	}
	for name, tags := range tagsOf(t, pool) {
		if tags == nil || len(tags) != 0 {
			t.Errorf("run %s: tags %q", name, tags)
		}
	}
	checkTagCounts(t, pool)
	batch := newTarget(t)
	mustImport(t, from, batch, importer.Options{BatchSize: 10, NoBulk: true})
	wantTags(t, batch, map[string][]string{runA: {}, runB: {}})

	pgtest.Script(t, pool.Config().ConnString(),
		`UPDATE runs SET tags = '{here-1}' WHERE name = '`+runA+`'`,
		`UPDATE runs SET tags = '{here-1,here-2}' WHERE name = '`+runB+`'`)
	checkTagCounts(t, pool)
	mustVerify(t, from, pool)
	pgtest.Script(t, from, `UPDATE runs SET suite = 'rados-x', updated = '2026-01-15 12:00:00' WHERE id = 10`,
		`INSERT INTO runs (id, name, "user", scheduled, posted) VALUES (20, 'new-run', 'x', '2026-01-20', '2026-01-20')`)
	if r := mustImport(t, from, pool, opts); r.RunsWritten != 2 {
		t.Errorf("re-import wrote %d runs", r.RunsWritten)
	}
	want(t, "run A", getJSON[object](t, api(t, pool)+"/runs/"+runA+"/?fields=suite"), object{"suite": "rados-x"})
	wantTags(t, pool, map[string][]string{runA: {"here-1"}, runB: {"here-1", "here-2"}, runC: {}, "new-run": {}})
	checkTagCounts(t, pool)
	checkRecount(t, pool)
	mustVerify(t, from, pool)
}

// Upstream's tags may be text[] as well as varchar[]; a tags column that is not an array stops
// the import before it writes anything.
func TestImportRunTagTypes(t *testing.T) {
	from := newUpstream(t, upstreamFixture, upstreamRunTags, `ALTER TABLE runs ALTER COLUMN tags TYPE text[]`)
	pool := newTarget(t)
	mustImport(t, from, pool, importer.Options{NoBulk: true})
	wantTags(t, pool, map[string][]string{runA: {"rados-nightly", "squid-backport"}, runB: {"rados-nightly", "wip"}, runC: {}})
	checkTagCounts(t, pool)
	mustVerify(t, from, pool)

	text := newUpstream(t, upstreamFixture, `ALTER TABLE runs ADD COLUMN tags text`)
	empty := newTarget(t)
	if _, err := importer.Import(context.Background(), text, empty, importer.Options{}); err == nil ||
		!strings.Contains(err.Error(), "runs.tags column is text, not an array") {
		t.Errorf("importing text tags: %v", err)
	}
	if got := lines(t, empty, `SELECT count(*)::text FROM runs`); got != "0" {
		t.Errorf("after the failed import: %s runs", got)
	}
}

package service_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/service"
)

// recorder keeps the SQL and arguments of the listing queries the service runs.
type recorder struct {
	mu      sync.Mutex
	queries []recorded
}

type recorded struct {
	name string
	sql  string
	args []any
}

var queryName = regexp.MustCompile(`^-- name: (\w+) `)

// byID are the queries that read the rows a listing selected, by their ids.
var byID = map[string]bool{"RunsByID": true, "JobsByID": true}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if m := queryName.FindStringSubmatch(d.SQL); m != nil && !byID[m[1]] {
		r.mu.Lock()
		r.queries = append(r.queries, recorded{m[1], d.SQL, d.Args})
		r.mu.Unlock()
	}
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// explainDB creates a database seeded by the SQL seed, and a pool whose queries rec records,
// planned with their actual arguments (custom plans) as the server plans them; setup is a
// connection of its own to explain them on.
func explainDB(t *testing.T, seed string) (setup *pgx.Conn, pool *pgxpool.Pool, rec *recorder) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	setup, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { setup.Close(context.Background()) })
	if _, err := setup.Exec(ctx, seed); err != nil {
		t.Fatal(err)
	}
	rec = &recorder{}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = rec
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	if pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return setup, pool, rec
}

var execTime = regexp.MustCompile(`Execution Time: ([0-9.]+) ms`)

// explain runs EXPLAIN (ANALYZE, BUFFERS) of the recorded query on conn: its plan, and its
// execution time in ms.
func (q recorded) explain(t *testing.T, conn *pgx.Conn) (plan, ms string) {
	t.Helper()
	rows, err := conn.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+q.sql, q.args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan = strings.Join(lines, "\n")
	return plan, execTime.FindStringSubmatch(plan)[1]
}

// The listings read their pages, totals and value lists off indexes or the maintained tables, never
// a sequential scan of runs or jobs, so page N costs about what page 1 does. The data set has 60,000 runs and 240,000 jobs; the plans are those
// of the exact queries the service runs, with their arguments (go test -v logs their timings).
// indexOnly says which listing queries need no heap row (migration 00014): a filter's count and
// value list, and a search's count by branch (pulpito-ng's). (The value lists of run_values are
// index-only too at the lab's size; here the table is one page, which a scan reads faster.)
func indexOnly(q recorded) bool {
	switch q.name {
	case "CountFilteredRuns", "FilteredRunValues":
		// A tag filter reads the runs its GIN index finds (GIN has no index-only scans); a tag
		// names few runs.
		return !slices.ContainsFunc(q.args, func(a any) bool { tags, ok := a.([]string); return ok && tags != nil })
	case "CountSearchedJobs":
		return slices.ContainsFunc(q.args, func(a any) bool { s, ok := a.(*string); return ok && s != nil && *s == "branch-7" })
	}
	return false
}

func TestListingsUseIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 240,000 jobs")
	}
	ctx := context.Background()
	setup, pool, rec := explainDB(t, `
		SET LOCAL synchronous_commit = on;
		ALTER TABLE jobs DISABLE TRIGGER USER;
		INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted, updated, tags)
		SELECT 'teuthology-run-' || i, 'teuthology', now() - i * interval '1 minute', 'suite-' || (i % 40),
		       'branch-' || (i % 25), 'smithi', now() - i * interval '1 minute', now() - i * interval '1 minute',
		       CASE WHEN i % 300 = 0 THEN ARRAY['rc', 'nightly'] WHEN i % 30 = 0 THEN ARRAY['nightly'] ELSE '{}' END
		FROM generate_series(1, 60000) i;
		INSERT INTO jobs (run_id, job_id, status, sha1, flavor, branch, "user", description, posted, updated)
		SELECT r.id, k::text, (ARRAY['pass','fail','running','queued','dead'])[1 + (r.id + k) % 5],
		       md5(r.id::text), 'default', r.branch, 'teuthology', 'rados/thrash/' || k, r.posted, r.posted
		FROM runs r, generate_series(1, 4) k;
		INSERT INTO job_descriptions SELECT DISTINCT ON (1) md5(description)::uuid, description FROM jobs;
		ALTER TABLE jobs ENABLE TRIGGER USER;
		ANALYZE runs; ANALYZE jobs;`)
	// As autovacuum leaves a lab's tables: the visibility map lets index-only scans skip the heap.
	// (VACUUM marks a page all-visible only once its rows' commit is on disk: the seed commits
	// synchronously, which the test cluster does not by default.)
	if _, err := setup.Exec(ctx, "VACUUM (ANALYZE) runs, jobs, run_values"); err != nil {
		t.Fatal(err)
	}

	svc := newService(pool, service.Options{})
	count, first, far := 100, 1, 20
	branch, sha1, fail, suite, finished := "branch-7", "c4ca42", "fail", "suite-7", "finished pass"
	description, jobSha1 := "rados/thrash/3", "a87ff679a2f3e71d9181a67b7542122c" // md5('4')
	firstPage := 0                                                               // how many queries the first page's calls ran
	// Incremental reads (issue 19): what changed in the last half hour (30 runs, 120 jobs), and
	// since long ago (everything: the listing's own order reads it).
	recent, long := time.Now().Add(-30*time.Minute), time.Now().AddDate(-3, 0, 0)
	for _, page := range []int{first, far} {
		p := service.Page{Count: &count, Page: &page}
		calls := []error{
			func() error { _, err := svc.ListRuns(ctx, p); return err }(),
			func() error { _, err := svc.FilterRuns(ctx, paddles.RunFilter{Branch: &branch}, p, false); return err }(),
			func() error {
				_, err := svc.FilterRuns(ctx, paddles.RunFilter{Branch: &branch, Suite: &suite, Status: &finished}, p, false)
				return err
			}(),
			func() error {
				_, err := svc.FilterRuns(ctx, paddles.RunFilter{Sha1Prefix: &sha1}, p, false)
				return err
			}(),
			func() error {
				_, err := svc.FilterRuns(ctx, paddles.RunFilter{Tags: []string{"nightly"}}, p, false)
				return err
			}(),
			func() error {
				_, err := svc.FilterRuns(ctx, paddles.RunFilter{Tags: []string{"nightly", "rc"}, Branch: &branch}, p, false)
				return err
			}(),
			func() error {
				_, err := svc.SortRuns(ctx, paddles.RunFilter{Branch: &branch}, p, service.ByPosted)
				return err
			}(),
			func() error { _, err := svc.SortRuns(ctx, paddles.RunFilter{}, p, service.ByScheduled); return err }(),
			func() error { _, err := svc.QueuedRuns(ctx, p); return err }(),
			func() error { _, err := svc.SearchJobs(ctx, paddles.JobSearch{}, p); return err }(),
			func() error {
				_, err := svc.SearchJobs(ctx, paddles.JobSearch{Description: &description}, p)
				return err
			}(),
			func() error {
				_, err := svc.SearchJobs(ctx, paddles.JobSearch{Branch: &branch, Statuses: []string{fail}}, p)
				return err
			}(),
			func() error {
				_, err := svc.SearchJobs(ctx, paddles.JobSearch{Statuses: []string{fail, "dead"}}, p)
				return err
			}(),
			func() error { _, err := svc.SearchJobs(ctx, paddles.JobSearch{Sha1: &jobSha1}, p); return err }(),
			func() error {
				_, err := svc.SortRuns(ctx, paddles.RunFilter{UpdatedSince: &recent}, p, service.ByPosted)
				return err
			}(),
			func() error {
				_, err := svc.SortRuns(ctx, paddles.RunFilter{UpdatedSince: &long}, p, service.ByPosted)
				return err
			}(),
			func() error {
				_, err := svc.FilterRuns(ctx, paddles.RunFilter{Branch: &branch, UpdatedSince: &recent}, p, false)
				return err
			}(),
			func() error {
				_, err := svc.SearchJobs(ctx, paddles.JobSearch{UpdatedSince: &recent}, p)
				return err
			}(),
			func() error {
				_, err := svc.SearchJobs(ctx, paddles.JobSearch{UpdatedSince: &long}, p)
				return err
			}(),
			func() error {
				_, err := svc.SearchJobs(ctx, paddles.JobSearch{Statuses: []string{fail}, UpdatedSince: &recent}, p)
				return err
			}(),
		}
		if page == first {
			calls = append(calls,
				func() error { _, err := svc.RunValues(ctx, paddles.RunFilter{}, "branch", service.Page{}); return err }(),
				func() error { _, err := svc.RunValues(ctx, paddles.RunFilter{}, "date", service.Page{}); return err }(),
				func() error { _, err := svc.RunValues(ctx, paddles.RunFilter{}, "sha1", service.Page{}); return err }(),
				func() error { _, err := svc.RunValues(ctx, paddles.RunFilter{}, "flavor", service.Page{}); return err }(),
				func() error { _, err := svc.RunValues(ctx, paddles.RunFilter{}, "tag", service.Page{}); return err }(),
				func() error {
					_, err := svc.RunValues(ctx, paddles.RunFilter{Tags: []string{"rc"}}, "tag", service.Page{})
					return err
				}(),
				func() error {
					_, err := svc.RunValues(ctx, paddles.RunFilter{Branch: &branch}, "suite", service.Page{})
					return err
				}(),
				func() error {
					_, err := svc.ListRunJobs(ctx, "teuthology-run-7", paddles.RunJobFilter{UpdatedSince: &recent})
					return err
				}(),
			)
		}
		for _, err := range calls {
			if err != nil {
				t.Fatal(err)
			}
		}
		if page == first {
			firstPage = len(rec.queries)
		}
	}
	for i, q := range rec.queries {
		plan, ms := q.explain(t, setup)
		page := "page 1"
		if i >= firstPage {
			page = "page 20"
		}
		t.Logf("%s, %s: %s ms", q.name, page, ms)
		if strings.Contains(plan, "Seq Scan on runs") || strings.Contains(plan, "Seq Scan on jobs") {
			t.Errorf("%s (%s) scans or sorts a table:\n%s", q.name, page, plan)
		}
		// What reads thousands of rows at the lab's size answers from an index alone (00014).
		if indexOnly(q) && !strings.Contains(plan, "Index Only Scan") {
			t.Errorf("%s (%s) reads the heap:\n%s", q.name, page, plan)
		}
	}
	if len(rec.queries) != 93 {
		t.Errorf("recorded %d listing queries, want 93", len(rec.queries))
	}
}

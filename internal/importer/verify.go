package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// VerifyOptions tune a verification.
type VerifyOptions struct {
	// Sample is how many upstream jobs, and runs, are compared field by field (default 1000).
	// Every node and queue is compared.
	Sample int
	// Seed picks the sample (0: a random seed, which the verification reports).
	Seed uint64
	// Progress receives progress reports of the counting, as Options.Progress does of an import.
	Progress      io.Writer
	Terminal      bool
	ProgressEvery time.Duration
}

// Verification is the outcome of comparing an upstream database with this server's.
type Verification struct {
	Upstream Counts // what this server's database should hold
	Here     store.Counts
	Seed     uint64

	Runs, Jobs, Nodes, Queues int // rows compared field by field
	Fields                    int // fields compared
	Mismatches                []string
	// Checkpoint notes an import from this upstream that has not finished.
	Checkpoint string
}

// OK reports whether the databases agree.
func (v *Verification) OK() bool { return len(v.Mismatches) == 0 }

// maxListed bounds the mismatches a verification lists.
const maxListed = 50

func (v *Verification) mismatch(format string, args ...any) {
	v.Mismatches = append(v.Mismatches, fmt.Sprintf(format, args...))
}

// Write prints the verification.
func (v *Verification) Write(w io.Writer) {
	fmt.Fprintf(w, "verify: counts upstream/here: runs %d/%d, jobs %d/%d, nodes %d/%d, links %d/%d, queues %d/%d\n",
		v.Upstream.Runs, v.Here.Runs, v.Upstream.Jobs, v.Here.Jobs, v.Upstream.Nodes, v.Here.Nodes,
		v.Upstream.Links, v.Here.Links, v.Upstream.Queues, v.Here.Queues)
	fmt.Fprintf(w, "verify: compared %d runs, %d jobs, %d nodes and %d queues field by field (%d fields; sample seed %d)\n",
		v.Runs, v.Jobs, v.Nodes, v.Queues, v.Fields, v.Seed)
	if v.Checkpoint != "" {
		fmt.Fprintf(w, "verify: %s\n", v.Checkpoint)
	}
	if v.OK() {
		fmt.Fprintln(w, "verify: OK, the databases agree")
		return
	}
	fmt.Fprintf(w, "verify: %d mismatches\n", len(v.Mismatches))
	for i, m := range v.Mismatches {
		if i == maxListed {
			fmt.Fprintf(w, "  ... and %d more\n", len(v.Mismatches)-maxListed)
			break
		}
		fmt.Fprintln(w, "  "+m)
	}
}

// Verify compares the upstream paddles database at sourceURL with target: the counts of runs,
// distinct (run, job_id) jobs, nodes, job-node links and queues (target should hold the import
// only), then a random sample of runs (with their job counts and status) and jobs (with their
// nodes), and every node and queue, field by field, as the import maps them.
func Verify(ctx context.Context, sourceURL string, target *pgxpool.Pool, opts VerifyOptions) (*Verification, error) {
	if opts.Sample <= 0 {
		opts.Sample = 1000
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	src, err := openSource(ctx, sourceURL)
	if err != nil {
		return nil, err
	}
	defer src.close()
	v := &Verification{Seed: opts.Seed}
	if v.Upstream, err = src.counts(ctx, opts.Progress, opts.Terminal, opts.ProgressEvery); err != nil {
		return nil, err
	}
	if v.Here, err = store.ImportCounts(ctx, target); err != nil {
		return nil, err
	}
	if err := v.checkpoint(ctx, target, src.key); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		what     string
		up, here int64
	}{
		{"runs", v.Upstream.Runs, v.Here.Runs}, {"jobs", v.Upstream.Jobs, v.Here.Jobs},
		{"nodes", v.Upstream.Nodes, v.Here.Nodes}, {"job-node links", v.Upstream.Links, v.Here.Links},
		{"queues", v.Upstream.Queues, v.Here.Queues},
	} {
		if c.up != c.here {
			v.mismatch("%s: upstream has %d, here %d", c.what, c.up, c.here)
		}
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	for _, step := range []func(context.Context, *source, *pgxpool.Pool, *rand.Rand, int) error{
		v.compareJobs, v.compareRuns, v.compareNodes, v.compareQueues,
	} {
		if err := step(ctx, src, target, rng, opts.Sample); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (v *Verification) checkpoint(ctx context.Context, target *pgxpool.Pool, key string) error {
	var exists bool
	if err := target.QueryRow(ctx, `SELECT to_regclass('paddles_import.checkpoints') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return err
	}
	var last int64
	var completed bool
	err := target.QueryRow(ctx, `SELECT last_run_id, completed FROM paddles_import.checkpoints WHERE source = $1`, key).Scan(&last, &completed)
	switch {
	case err == pgx.ErrNoRows:
		v.Checkpoint = "no import from this upstream database was recorded here"
	case err != nil:
		return err
	case !completed:
		v.Checkpoint = fmt.Sprintf("the import from this upstream database is not finished (done up to upstream run id %d): run it again", last)
	}
	return nil
}

// sampleIDs picks up to n upstream ids of table with the random generator: for random points
// between the smallest and largest id, the first id at or after it (gaps make the sample
// slightly uneven, which a check does not mind). cond restricts the rows considered.
func sampleIDs(ctx context.Context, src *source, table, cond string, rng *rand.Rand, n int) ([]int64, error) {
	var lo, hi *int64
	if err := src.tx.QueryRow(ctx, `SELECT min(id)::bigint, max(id)::bigint FROM `+table).Scan(&lo, &hi); err != nil {
		return nil, err
	}
	if lo == nil {
		return nil, nil
	}
	points := make([]int64, n)
	for i := range points {
		points[i] = *lo + rng.Int64N(*hi-*lo+1)
	}
	rows, err := src.tx.Query(ctx, `
		SELECT DISTINCT t.id::bigint FROM unnest($1::bigint[]) p(id)
		CROSS JOIN LATERAL (SELECT x.id FROM `+table+` x WHERE x.id >= p.id AND `+cond+` ORDER BY x.id LIMIT 1) t`, points)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// upstreamRuns reads and converts upstream runs by id.
func upstreamRuns(ctx context.Context, src *source, ids []int64) (map[int64][]any, error) {
	rows, err := src.tx.Query(ctx, `SELECT r.id::bigint, `+selectList("r", runColumns, src.cols[tRuns])+
		` FROM runs r WHERE r.id = ANY($1) AND r.name IS NOT NULL`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sc := newScanner(append([]kind{kInt}, kindsOf(runColumns)...))
	var fx Fixes
	runs := map[int64][]any{}
	for rows.Next() {
		r, err := sc.scan(rows, &fx)
		if err != nil {
			return nil, err
		}
		fixRun(r[runOff:], &fx)
		runs[r[0].(int64)] = r
	}
	return runs, rows.Err()
}

// compareJobs compares sampled jobs: upstream's rows for each sampled (run, job_id), merged as
// the import merges them, against the job stored here, and their nodes.
func (v *Verification) compareJobs(ctx context.Context, src *source, target *pgxpool.Pool, rng *rand.Rand, n int) error {
	ids, err := sampleIDs(ctx, src, "jobs", "x.run_id IS NOT NULL AND x.job_id IS NOT NULL", rng, n)
	if err != nil || len(ids) == 0 {
		return err
	}
	rows, err := src.tx.Query(ctx, `
		SELECT j.id::bigint, j.run_id::bigint, `+selectList("j", jobColumns, src.cols[tJobs])+`
		FROM jobs j WHERE (j.run_id, j.job_id) IN (SELECT s.run_id, s.job_id FROM jobs s WHERE s.id = ANY($1))`, ids)
	if err != nil {
		return err
	}
	sc := newScanner(append([]kind{kInt, kInt}, kindsOf(jobColumns)...))
	var fx Fixes
	var all [][]any
	runIDs := map[int64]bool{}
	for rows.Next() {
		j, err := sc.scan(rows, &fx)
		if err != nil {
			rows.Close()
			return err
		}
		all = append(all, j)
		runIDs[j[1].(int64)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	runs, err := upstreamRuns(ctx, src, keys(runIDs))
	if err != nil {
		return err
	}
	var named [][]any
	for _, j := range all {
		if runs[j[1].(int64)] != nil {
			named = append(named, j)
		}
	}
	jobs := mergeJobs(named)
	want := map[[2]string][]any{}
	var runNames, jobIDs []string
	for _, j := range jobs {
		run := runs[j[1].(int64)]
		fixJob(j[jobOff:], run, &fx)
		k := [2]string{run[runOff+runName].(string), j[jobOff+jobJobID].(string)}
		want[k] = j[jobOff:]
		runNames = append(runNames, k[0])
		jobIDs = append(jobIDs, k[1])
	}

	// Upstream's nodes of those jobs, by name.
	wantNodes := map[[2]string][]string{}
	if src.hasLinks() {
		rows, err := src.tx.Query(ctx, `
			SELECT DISTINCT r.name::text, j.job_id::text, n.name::text
			FROM jobs j JOIN runs r ON r.id = j.run_id JOIN job_nodes jn ON jn.job_id = j.id JOIN nodes n ON n.id = jn.node_id
			WHERE r.name IS NOT NULL
			  AND (j.run_id, j.job_id) IN (SELECT s.run_id, s.job_id FROM jobs s WHERE s.id = ANY($1))`, ids)
		if err != nil {
			return err
		}
		var run, job, node string
		if _, err := pgx.ForEachRow(rows, []any{&run, &job, &node}, func() error {
			k := [2]string{fx.clean(run), fx.clean(job)}
			wantNodes[k] = append(wantNodes[k], fx.clean(node))
			return nil
		}); err != nil {
			return err
		}
	}

	// The same jobs here.
	tcols := make([]string, len(jobColumns))
	for i, c := range jobColumns {
		tcols[i] = hereExpr("j", c)
	}
	rows, err = target.Query(ctx, `
		SELECT r.name, `+strings.Join(tcols, ", ")+`
		FROM jobs j JOIN runs r ON r.id = j.run_id
		WHERE (r.name, j.job_id) IN (SELECT u.n, u.i COLLATE "C" FROM unnest($1::text[], $2::text[]) u(n, i))`, runNames, jobIDs)
	if err != nil {
		return err
	}
	tsc := newScanner(append([]kind{kText}, kindsOf(jobColumns)...))
	tsc.raw = true
	got := map[[2]string][]any{}
	for rows.Next() {
		j, err := tsc.scan(rows, &fx)
		if err != nil {
			rows.Close()
			return err
		}
		got[[2]string{j[0].(string), j[1+jobJobID].(string)}] = j[1:]
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	gotNodes := map[[2]string][]string{}
	rows, err = target.Query(ctx, `
		SELECT r.name, j.job_id, n.name
		FROM jobs j JOIN runs r ON r.id = j.run_id JOIN job_nodes jn ON jn.job_id = j.id JOIN nodes n ON n.id = jn.node_id
		WHERE (r.name, j.job_id) IN (SELECT u.n, u.i COLLATE "C" FROM unnest($1::text[], $2::text[]) u(n, i))`, runNames, jobIDs)
	if err != nil {
		return err
	}
	var run, job, node string
	if _, err := pgx.ForEachRow(rows, []any{&run, &job, &node}, func() error {
		k := [2]string{run, job}
		gotNodes[k] = append(gotNodes[k], node)
		return nil
	}); err != nil {
		return err
	}

	for _, k := range sortedPairs(want) {
		v.Jobs++
		what := fmt.Sprintf("job %s/%s", k[0], k[1])
		g, ok := got[k]
		if !ok {
			v.mismatch("%s: missing here", what)
			continue
		}
		v.compareRow(what, jobColumns, want[k], g)
		wn, gn := wantNodes[k], gotNodes[k]
		slices.Sort(wn)
		slices.Sort(gn)
		v.Fields++
		if !slices.Equal(wn, gn) {
			v.mismatch("%s: nodes: upstream %v, here %v", what, wn, gn)
		}
	}
	return nil
}

// hereExpr reads a column of this server's table as the upstream side is read: JSON as text,
// timestamps as naive UTC.
func hereExpr(alias string, c column) string {
	switch c.kind {
	case kJSON:
		return alias + "." + ident(c.name) + "::text"
	case kTime:
		return "(" + alias + "." + ident(c.name) + " AT TIME ZONE 'UTC')"
	}
	return alias + "." + ident(c.name)
}

// counters are a run's job counts here, in the order of the runs table.
var counters = []string{"queued", "pass", "running", "waiting", "fail", "dead", "unknown"}

// compareRuns compares sampled runs: their fields, and their job counts and status against
// upstream's merged jobs (which also checks the trigger that keeps them here).
func (v *Verification) compareRuns(ctx context.Context, src *source, target *pgxpool.Pool, rng *rand.Rand, n int) error {
	ids, err := sampleIDs(ctx, src, "runs", "x.name IS NOT NULL", rng, n)
	if err != nil || len(ids) == 0 {
		return err
	}
	runs, err := upstreamRuns(ctx, src, ids)
	if err != nil {
		return err
	}
	// Upstream's job statuses, merged as the import merges them.
	rows, err := src.tx.Query(ctx, `
		SELECT j.id::bigint, j.run_id::bigint, j.job_id::text, j.status::text, j.updated::timestamp
		FROM jobs j WHERE j.run_id = ANY($1) AND j.job_id IS NOT NULL`, ids)
	if err != nil {
		return err
	}
	sc := newScanner([]kind{kInt, kInt, kText, kText, kTime})
	var fx Fixes
	var all [][]any
	for rows.Next() {
		r, err := sc.scan(rows, &fx)
		if err != nil {
			rows.Close()
			return err
		}
		j := make([]any, jobOff+len(jobColumns))
		j[0], j[1], j[jobOff+jobJobID], j[jobOff+jobStatus], j[jobOff+jobUpdated] = r[0], r[1], r[2], r[3], r[4]
		j[jobOff+jobPosted] = epoch // not compared; spares fixJob the lookup
		all = append(all, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	wantCounts := map[int64]map[string]int64{}
	for _, j := range mergeJobs(all) {
		fixJob(j[jobOff:], nil, &fx)
		run := j[1].(int64)
		if wantCounts[run] == nil {
			wantCounts[run] = map[string]int64{}
		}
		wantCounts[run][j[jobOff+jobStatus].(string)]++
	}

	var names []string
	for _, r := range runs {
		names = append(names, r[runOff+runName].(string))
	}
	tcols := make([]string, len(runColumns))
	for i, c := range runColumns {
		tcols[i] = hereExpr("r", c)
	}
	rows, err = target.Query(ctx, `SELECT `+strings.Join(tcols, ", ")+`,
		r.queued_count::bigint, r.pass_count::bigint, r.running_count::bigint, r.waiting_count::bigint,
		r.fail_count::bigint, r.dead_count::bigint, r.unknown_count::bigint, r.status
		FROM runs r WHERE r.name = ANY($1)`, names)
	if err != nil {
		return err
	}
	tkinds := kindsOf(runColumns)
	for range counters {
		tkinds = append(tkinds, kInt)
	}
	tsc := newScanner(append(tkinds, kText))
	tsc.raw = true
	got := map[string][]any{}
	for rows.Next() {
		r, err := tsc.scan(rows, &fx)
		if err != nil {
			rows.Close()
			return err
		}
		got[r[runName].(string)] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Tags here are upstream's only when upstream has them; else they are this server's own.
	var skipTags []string
	if !src.hasRunTags() {
		skipTags = []string{"tags"}
	}
	for _, id := range slices.Sorted(maps.Keys(runs)) {
		want := runs[id][runOff:]
		name := want[runName].(string)
		what := "run " + name
		v.Runs++
		g, ok := got[name]
		if !ok {
			v.mismatch("%s: missing here", what)
			continue
		}
		v.compareRow(what, runColumns, want, g[:len(runColumns)], skipTags...)
		var res paddles.Results
		counts := []*int64{&res.Queued, &res.Pass, &res.Running, &res.Waiting, &res.Fail, &res.Dead, &res.Unknown}
		for i, c := range counters {
			*counts[i] = wantCounts[id][c]
			v.Fields++
			if here := g[len(runColumns)+i].(int64); here != *counts[i] {
				v.mismatch("%s: %s jobs: upstream %d, here %d", what, c, *counts[i], here)
			}
		}
		v.Fields++
		if st, here := runStatus(res), g[len(g)-1].(string); st != here {
			v.mismatch("%s: status: expected %q, here %q", what, st, here)
		}
	}
	return nil
}

// runStatus is upstream's Run.set_status (paddles-api.md 6.3), first match wins.
func runStatus(r paddles.Results) string {
	total := r.Total()
	switch {
	case total == 0:
		return "empty"
	case r.Queued == total:
		return "queued"
	case r.Running > 0:
		return "running"
	case r.Waiting > 0:
		return "waiting"
	case r.Dead == total:
		return "finished dead"
	case r.Fail > 0 || r.Dead > 0:
		return "finished fail"
	case r.Pass == total:
		return "finished pass"
	case r.Queued > 0:
		return "queued"
	}
	return "unknown"
}

// compareNodes compares every node, with its VM host by name.
func (v *Verification) compareNodes(ctx context.Context, src *source, target *pgxpool.Pool, _ *rand.Rand, _ int) error {
	var fx Fixes
	nodes, err := src.readNodes(ctx, &fx)
	if err != nil || len(nodes) == 0 {
		return err
	}
	tcols := make([]string, len(nodeColumns))
	for i, c := range nodeColumns {
		tcols[i] = hereExpr("n", c)
	}
	rows, err := target.Query(ctx, `SELECT h.name, `+strings.Join(tcols, ", ")+` FROM nodes n LEFT JOIN nodes h ON h.id = n.vm_host_id`)
	if err != nil {
		return err
	}
	tsc := newScanner(append([]kind{kText}, kindsOf(nodeColumns)...))
	tsc.raw = true
	got := map[string][]any{}
	for rows.Next() {
		n, err := tsc.scan(rows, &fx)
		if err != nil {
			rows.Close()
			return err
		}
		got[n[1+nodeName].(string)] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	cols := append([]column{{"vm_host", kText}}, nodeColumns...)
	for _, n := range nodes {
		v.Nodes++
		name := n[2+nodeName].(string)
		g, ok := got[name]
		if !ok {
			v.mismatch("node %s: missing here", name)
			continue
		}
		v.compareRow("node "+name, cols, n[1:], g)
	}
	return nil
}

// compareQueues compares every queue.
func (v *Verification) compareQueues(ctx context.Context, src *source, target *pgxpool.Pool, _ *rand.Rand, _ int) error {
	var fx Fixes
	queues, err := src.readQueues(ctx, &fx)
	if err != nil || len(queues) == 0 {
		return err
	}
	tcols := make([]string, len(queueColumns))
	for i, c := range queueColumns {
		tcols[i] = hereExpr("q", c)
	}
	rows, err := target.Query(ctx, `SELECT `+strings.Join(tcols, ", ")+` FROM queues q`)
	if err != nil {
		return err
	}
	tsc := newScanner(kindsOf(queueColumns))
	tsc.raw = true
	got := map[string][]any{}
	for rows.Next() {
		q, err := tsc.scan(rows, &fx)
		if err != nil {
			rows.Close()
			return err
		}
		got[q[0].(string)] = q
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range queues {
		v.Queues++
		name := q[0].(string)
		g, ok := got[name]
		if !ok {
			v.mismatch("queue %s: missing here", name)
			continue
		}
		v.compareRow("queue "+name, queueColumns, q, g)
	}
	return nil
}

// compareRow compares two converted rows column by column, but for the columns skip names.
func (v *Verification) compareRow(what string, cols []column, want, got []any, skip ...string) {
	for i, c := range cols {
		if slices.Contains(skip, c.name) {
			continue
		}
		v.Fields++
		if !sameValue(want[i], got[i]) {
			v.mismatch("%s: %s: upstream %s, here %s", what, c.name, show(want[i]), show(got[i]))
		}
	}
}

func sameValue(a, b any) bool {
	switch a := a.(type) {
	case time.Time:
		b, ok := b.(time.Time)
		return ok && a.Equal(b)
	case json.RawMessage:
		b, ok := b.(json.RawMessage)
		return ok && bytes.Equal(a, b)
	case []string:
		b, ok := b.([]string)
		return ok && slices.Equal(a, b)
	}
	return a == b
}

func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return paddles.FormatTime(v)
	case json.RawMessage:
		return string(v)
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprint(v)
}

func keys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedPairs[V any](m map[[2]string]V) [][2]string {
	out := keys(m)
	slices.SortFunc(out, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return out
}

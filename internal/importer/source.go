package importer

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/paddles"
)

// source is a connection to an upstream paddles database, inside one read-only REPEATABLE READ
// transaction: everything the importer reads comes from one snapshot, and nothing is ever written
// there (a hot standby will do).
type source struct {
	conn *pgx.Conn
	tx   pgx.Tx
	// key identifies the database for checkpoints: host, port and name.
	key string
	// cols lists each upstream table's columns; a missing table has none.
	cols map[string]map[string]bool
}

// upstream's tables.
const (
	tRuns     = "runs"
	tJobs     = "jobs"
	tNodes    = "nodes"
	tJobNodes = "job_nodes"
	tQueue    = "queue"
)

func openSource(ctx context.Context, url string) (*source, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	// Upstream's timestamps are naive UTC; a session in UTC also reads any timestamptz column
	// an upstream schema might have as UTC.
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.RuntimeParams["application_name"] = "paddles import"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the upstream database: %w", err)
	}
	s := &source{conn: conn, key: fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)}
	s.tx, err = conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err == nil {
		err = s.introspect(ctx)
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return s, nil
}

func (s *source) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.tx.Rollback(ctx)
	s.conn.Close(ctx)
}

// introspect finds upstream's tables and columns, so that an older upstream schema (lacking
// columns added by later alembic migrations, or the queue table) imports too.
func (s *source) introspect(ctx context.Context) error {
	rows, err := s.tx.Query(ctx, `
		SELECT c.relname::text, a.attname::text
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = to_regnamespace(current_schema())::oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
		[]string{tRuns, tJobs, tNodes, tJobNodes, tQueue})
	if err != nil {
		return fmt.Errorf("reading the upstream schema: %w", err)
	}
	s.cols = map[string]map[string]bool{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			return err
		}
		if s.cols[table] == nil {
			s.cols[table] = map[string]bool{}
		}
		s.cols[table][col] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	required := map[string][]string{
		tRuns: {"id", "name"}, tJobs: {"id", "run_id", "job_id"},
	}
	if s.has(tNodes) {
		required[tNodes] = []string{"id", "name"}
	}
	if s.has(tJobNodes) {
		required[tJobNodes] = []string{"node_id", "job_id"}
	}
	if s.has(tQueue) {
		required[tQueue] = []string{"queue"}
	}
	for table, cols := range required {
		for _, c := range cols {
			if !s.cols[table][c] {
				return fmt.Errorf("the upstream database is not a paddles database: no column %s.%s in its current schema", table, c)
			}
		}
	}
	if s.hasRunTags() {
		// Read as text[] (selectList): any array of strings casts, anything else would fail in
		// the middle of the import, or import as one tag.
		var typ string
		var array bool
		if err := s.tx.QueryRow(ctx, `
			SELECT format_type(a.atttypid, a.atttypmod), t.typcategory = 'A'
			FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
			WHERE a.attrelid = (quote_ident(current_schema()) || '.runs')::regclass AND a.attname = 'tags'`).Scan(&typ, &array); err != nil {
			return fmt.Errorf("reading the upstream schema: %w", err)
		}
		if !array {
			return fmt.Errorf("the upstream runs.tags column is %s, not an array of strings: cannot import run tags from it", typ)
		}
	}
	return nil
}

func (s *source) has(table string) bool { return len(s.cols[table]) > 0 }

// hasRunTags reports whether upstream's runs carry tags (ceph/paddles#140).
func (s *source) hasRunTags() bool { return s.cols[tRuns]["tags"] }

// links reports whether upstream has job-node links (and nodes for them).
func (s *source) hasLinks() bool { return s.has(tJobNodes) && s.has(tNodes) }

// span is a batch of upstream runs, by id: lo < id <= hi.
type span struct {
	lo, hi     int64
	runs, jobs int64 // upstream rows
}

// plan cuts the runs after run id `after` into spans of about batchSize rows (a run and its
// jobs). All rows for one run, duplicates included, fall in one span, which is what lets each
// batch merge duplicates on its own.
func (s *source) plan(ctx context.Context, after int64, batchSize int) ([]span, error) {
	rows, err := s.tx.Query(ctx, `
		SELECT r.id::bigint, COALESCE(c.n, 0)
		FROM runs r LEFT JOIN (
			SELECT run_id, count(*) AS n FROM jobs WHERE run_id > $1 GROUP BY run_id
		) c ON c.run_id = r.id
		WHERE r.id > $1
		ORDER BY r.id`, after)
	if err != nil {
		return nil, fmt.Errorf("planning: %w", err)
	}
	defer rows.Close()
	var (
		spans []span
		cur   = span{lo: after}
		size  int64
	)
	for rows.Next() {
		var id, jobs int64
		if err := rows.Scan(&id, &jobs); err != nil {
			return nil, err
		}
		cur.hi = id
		cur.runs++
		cur.jobs += jobs
		size += 1 + jobs
		if size >= int64(batchSize) {
			spans = append(spans, cur)
			cur = span{lo: id}
			size = 0
		}
	}
	if cur.runs > 0 {
		spans = append(spans, cur)
	}
	return spans, rows.Err()
}

// checkRunNames fails when upstream has several runs of one name: upstream's schema makes names
// unique (ix_runs_name), but an old database might predate that index, and such runs would have
// to be merged by hand (upstream's own "dedupe" command) first.
func (s *source) checkRunNames(ctx context.Context) error {
	var n int64
	err := s.tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT name FROM runs WHERE name IS NOT NULL GROUP BY name HAVING count(*) > 1) d`).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("the upstream database has %d run names used by several runs; merge those runs first", n)
	}
	return nil
}

// Skipped counts upstream rows that cannot be imported.
type Skipped struct {
	RunsWithoutName   int64 `json:"runs_without_name"`     // runs.name NULL
	JobsWithoutRun    int64 `json:"jobs_without_run"`      // jobs.run_id NULL
	JobsOfUnnamedRuns int64 `json:"jobs_of_unnamed_runs"`  // jobs of runs without a name
	JobsWithoutJobID  int64 `json:"jobs_without_job_id"`   // jobs.job_id NULL
	LinksToNoNode     int64 `json:"links_to_missing_node"` // job_nodes rows naming a node that does not exist
}

func (s *Skipped) add(t *Skipped) {
	s.RunsWithoutName += t.RunsWithoutName
	s.JobsWithoutRun += t.JobsWithoutRun
	s.JobsOfUnnamedRuns += t.JobsOfUnnamedRuns
	s.JobsWithoutJobID += t.JobsWithoutJobID
	s.LinksToNoNode += t.LinksToNoNode
}

// batch is one span read from upstream and converted, ready to be written.
type batch struct {
	span    span
	runs    [][]any // src id, then runColumns
	jobs    [][]any // src id, src run id, then jobColumns; one per (run, job_id)
	links   [][]any // node id (ours), src run id, job_id
	jobRows int64   // upstream job rows read
	skipped Skipped
	fixes   Fixes
}

// epoch stands in for a timestamp this server requires when upstream has none at all.
var epoch = time.Unix(0, 0).UTC()

// converted runs and jobs carry the upstream ids in front of their columns.
const (
	runOff = 1 // src id
	jobOff = 2 // src id, src run id
)

// readRuns reads and converts the runs of a span, keyed by upstream id; runs without a name
// are counted and left out.
func (s *source) readRuns(ctx context.Context, lo, hi int64, fx *Fixes, sk *Skipped) (map[int64][]any, []int64, error) {
	rows, err := s.tx.Query(ctx, `SELECT r.id::bigint, `+selectList("r", runColumns, s.cols[tRuns])+
		` FROM runs r WHERE r.id > $1 AND r.id <= $2 ORDER BY r.id`, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	sc := newScanner(append([]kind{kInt}, kindsOf(runColumns)...))
	runs := map[int64][]any{}
	var order []int64
	for rows.Next() {
		r, err := sc.scan(rows, fx)
		if err != nil {
			return nil, nil, err
		}
		id := r[0].(int64)
		if r[runOff+runName] == nil {
			sk.RunsWithoutName++
			continue
		}
		fixRun(r[runOff:], fx)
		runs[id] = r
		order = append(order, id)
	}
	return runs, order, rows.Err()
}

// fixRun fills what this server requires of a run: a user, and posted and scheduled times
// (upstream: scheduled is posted when the name has no time).
func fixRun(r []any, fx *Fixes) {
	if r[runUser] == nil {
		r[runUser] = ""
	}
	if r[runPosted] == nil {
		fx.MissingTimestamps++
		r[runPosted] = firstTime(r[runScheduled], r[runUpdated], r[runStarted], epoch)
	}
	if r[runScheduled] == nil {
		fx.MissingTimestamps++
		r[runScheduled] = r[runPosted]
	}
}

// newer reports whether upstream job row a wins over row b, two rows for one (run, job_id): the
// most recently updated (a row never updated loses), then the highest upstream id.
func newer(a, b []any) bool {
	ta, oka := timeOf(a[jobOff+jobUpdated])
	tb, okb := timeOf(b[jobOff+jobUpdated])
	switch {
	case oka != okb:
		return oka
	case oka && !ta.Equal(tb):
		return ta.After(tb)
	}
	return a[0].(int64) > b[0].(int64)
}

type jobKey struct {
	run   int64
	jobID string
}

// mergeJobs keeps one row per (run, job_id), the newer by newer, preserving first-seen order.
func mergeJobs(rows [][]any) [][]any {
	seen := make(map[jobKey]int, len(rows))
	out := rows[:0:0]
	for _, r := range rows {
		k := jobKey{r[1].(int64), r[jobOff+jobJobID].(string)}
		if i, ok := seen[k]; ok {
			if newer(r, out[i]) {
				out[i] = r
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, r)
	}
	return out
}

// fixJob fills what this server requires of a job, after duplicates were merged: a valid status
// (upstream counts a NULL status as unknown), and posted and updated times.
func fixJob(j []any, run []any, fx *Fixes) {
	if st, ok := j[jobStatus].(string); !ok || !paddles.ValidJobStatus(st) {
		fx.InvalidStatus++
		j[jobStatus] = paddles.StatusUnknown
	}
	if j[jobPosted] == nil {
		fx.MissingTimestamps++
		j[jobPosted] = firstTime(j[jobUpdated], j[jobStarted], run[runOff+runPosted])
	}
	if j[jobUpdated] == nil {
		fx.MissingTimestamps++
		j[jobUpdated] = j[jobPosted]
	}
}

// readJobs reads the job rows of a span's runs and merges duplicates.
func (s *source) readJobs(ctx context.Context, lo, hi int64, runs map[int64][]any, b *batch) error {
	rows, err := s.tx.Query(ctx, `SELECT j.id::bigint, j.run_id::bigint, `+selectList("j", jobColumns, s.cols[tJobs])+
		` FROM jobs j WHERE j.run_id > $1 AND j.run_id <= $2`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	sc := newScanner(append([]kind{kInt, kInt}, kindsOf(jobColumns)...))
	var all [][]any
	for rows.Next() {
		j, err := sc.scan(rows, &b.fixes)
		if err != nil {
			return err
		}
		b.jobRows++
		switch {
		case runs[j[1].(int64)] == nil:
			b.skipped.JobsOfUnnamedRuns++
		case j[jobOff+jobJobID] == nil:
			b.skipped.JobsWithoutJobID++
		default:
			all = append(all, j)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	b.jobs = mergeJobs(all)
	for _, j := range b.jobs {
		fixJob(j[jobOff:], runs[j[1].(int64)], &b.fixes)
	}
	return nil
}

// readLinks reads the job-node links of a span's jobs, with upstream's node ids mapped to ours.
// Links of merged duplicates all go to the merged job.
func (s *source) readLinks(ctx context.Context, lo, hi int64, runs map[int64][]any, nodes map[int64]int64, b *batch) error {
	rows, err := s.tx.Query(ctx, `
		SELECT jn.node_id::bigint, j.run_id::bigint, j.job_id::text
		FROM jobs j JOIN job_nodes jn ON jn.job_id = j.id
		WHERE j.run_id > $1 AND j.run_id <= $2 AND j.job_id IS NOT NULL`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	type link struct {
		node int64
		job  jobKey
	}
	seen := map[link]bool{}
	var scratch Fixes // job ids were counted with their jobs
	for rows.Next() {
		var srcNode, run int64
		var jobID string
		if err := rows.Scan(&srcNode, &run, &jobID); err != nil {
			return err
		}
		if runs[run] == nil {
			continue
		}
		node, ok := nodes[srcNode]
		if !ok {
			b.skipped.LinksToNoNode++
			continue
		}
		jobID = scratch.clean(jobID)
		l := link{node: node, job: jobKey{run, jobID}}
		if seen[l] {
			continue
		}
		seen[l] = true
		b.links = append(b.links, []any{node, run, jobID})
	}
	return rows.Err()
}

// readBatch reads one span: its runs, their jobs (merged), and the jobs' links.
func (s *source) readBatch(ctx context.Context, sp span, nodes map[int64]int64) (*batch, error) {
	b := &batch{span: sp}
	runs, order, err := s.readRuns(ctx, sp.lo, sp.hi, &b.fixes, &b.skipped)
	if err != nil {
		return nil, fmt.Errorf("reading runs: %w", err)
	}
	for _, id := range order {
		b.runs = append(b.runs, runs[id])
	}
	if err := s.readJobs(ctx, sp.lo, sp.hi, runs, b); err != nil {
		return nil, fmt.Errorf("reading jobs: %w", err)
	}
	if s.hasLinks() {
		if err := s.readLinks(ctx, sp.lo, sp.hi, runs, nodes, b); err != nil {
			return nil, fmt.Errorf("reading job-node links: %w", err)
		}
	}
	return b, nil
}

// readNodes reads every node, with its VM host's name (upstream's vm_host_id, by name).
func (s *source) readNodes(ctx context.Context, fx *Fixes) ([][]any, error) {
	if !s.has(tNodes) {
		return nil, nil
	}
	host := "NULL::text"
	join := ""
	if s.cols[tNodes]["vm_host_id"] {
		host, join = "h.name::text", " LEFT JOIN nodes h ON h.id = n.vm_host_id"
	}
	rows, err := s.tx.Query(ctx, `SELECT n.id::bigint, `+host+`, `+selectList("n", nodeColumns, s.cols[tNodes])+
		` FROM nodes n`+join+` ORDER BY n.id`)
	if err != nil {
		return nil, fmt.Errorf("reading nodes: %w", err)
	}
	defer rows.Close()
	sc := newScanner(append([]kind{kInt, kText}, kindsOf(nodeColumns)...))
	var out [][]any
	for rows.Next() {
		n, err := sc.scan(rows, fx)
		if err != nil {
			return nil, err
		}
		fixNode(n[2:], fx)
		out = append(out, n)
	}
	return out, rows.Err()
}

// fixNode makes a node fit this server's constraints: an unlocked node has no owner.
func fixNode(n []any, fx *Fixes) {
	for _, i := range []int{nodeIsVM, nodeLocked} {
		if n[i] == nil {
			n[i] = false
		}
	}
	if n[nodeLocked] == false && n[nodeLockedBy] != nil {
		fx.UnlockedOwners++
		n[nodeLockedBy] = nil
	}
}

// readQueues reads every queue.
func (s *source) readQueues(ctx context.Context, fx *Fixes) ([][]any, error) {
	if !s.has(tQueue) {
		return nil, nil
	}
	rows, err := s.tx.Query(ctx, `SELECT `+selectList("q", queueColumns, s.cols[tQueue])+` FROM queue q ORDER BY q.queue`)
	if err != nil {
		return nil, fmt.Errorf("reading queues: %w", err)
	}
	defer rows.Close()
	sc := newScanner(kindsOf(queueColumns))
	var out [][]any
	for rows.Next() {
		q, err := sc.scan(rows, fx)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// Counts are what an upstream database holds in this server's terms.
type Counts struct {
	Runs       int64   `json:"runs"`       // runs with a name
	Jobs       int64   `json:"jobs"`       // distinct (run, job_id) of those runs
	JobRows    int64   `json:"job_rows"`   // every job row
	Duplicates int64   `json:"duplicates"` // importable job rows merged into another
	Nodes      int64   `json:"nodes"`      // nodes
	Links      int64   `json:"links"`      // distinct (node, run, job_id) links of imported jobs
	Queues     int64   `json:"queues"`     // queues
	Skipped    Skipped `json:"skipped"`
}

// countSpanRuns is how many upstream run ids one counting query covers: about 70,000 job rows
// at the lab's 70 jobs per run, whose grouping fits in the session's work_mem. Tests shrink it.
var countSpanRuns int64 = 1000

// counts counts what an import of upstream would write.
//
// This reads every job row once, which is what it costs (at the lab's size: 8.5M job rows, 17M
// links, 19 GB), but in ranges of run ids off ix_jobs_run_id, so that memory stays bounded and
// progress can be reported. Each range is grouped by (run, job_id), which gives its job counts
// and the few keys with duplicate rows, and joined with its links. Links are unique by (node, job
// row) upstream (job_nodes' primary key), so distinct (node, run, job_id) links differ from the
// link rows only within the duplicate keys, which are counted apart.
// Progress goes to w (nil: none), as an import's does.
func (s *source) counts(ctx context.Context, w io.Writer, terminal bool, every time.Duration) (Counts, error) {
	var c Counts
	if _, err := s.tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
		return c, err
	}
	var top, estimate int64 // the last run id; the planner's estimate of the job rows
	if err := s.tx.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE name IS NOT NULL), count(*) FILTER (WHERE name IS NULL), COALESCE(max(id), 0)::bigint,
		       (SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = 'jobs'::regclass)
		FROM runs`).Scan(&c.Runs, &c.Skipped.RunsWithoutName, &top, &estimate); err != nil {
		return c, fmt.Errorf("counting upstream runs: %w", err)
	}
	prog := startProgress("counting", w, terminal, every, c.Runs+c.Skipped.RunsWithoutName+estimate)
	defer prog.finish()
	// Job rows of no run, or of a run id past the last run (no such run): the ranges miss them.
	if err := s.tx.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE run_id IS NULL), count(*) FILTER (WHERE run_id IS NOT NULL)
		FROM jobs WHERE run_id IS NULL OR run_id > $1 OR run_id < 1`, top).Scan(
		&c.Skipped.JobsWithoutRun, &c.Skipped.JobsOfUnnamedRuns); err != nil {
		return c, fmt.Errorf("counting upstream jobs without a run: %w", err)
	}
	c.JobRows = c.Skipped.JobsWithoutRun + c.Skipped.JobsOfUnnamedRuns
	for lo := int64(0); lo < top; lo += countSpanRuns {
		if err := s.countSpan(ctx, lo, min(lo+countSpanRuns, top), &c, prog); err != nil {
			return c, err
		}
	}
	for _, q := range []struct {
		table string
		n     *int64
	}{{tNodes, &c.Nodes}, {tQueue, &c.Queues}} {
		if s.has(q.table) {
			if err := s.tx.QueryRow(ctx, `SELECT count(*) FROM `+q.table).Scan(q.n); err != nil {
				return c, fmt.Errorf("counting upstream %s: %w", q.table, err)
			}
		}
	}
	return c, nil
}

// countSpan adds the jobs and links of the runs lo < id <= hi to c.
func (s *source) countSpan(ctx context.Context, lo, hi int64, c *Counts, prog *progress) error {
	var rows, unnamed, noJobID, importable, jobs, runs int64
	var dupRuns []int64
	var dupJobIDs []string
	err := s.tx.QueryRow(ctx, `
		SELECT
			COALESCE(sum(n), 0)::bigint,
			COALESCE(sum(n) FILTER (WHERE NOT named), 0)::bigint,
			COALESCE(sum(n) FILTER (WHERE named AND job_id IS NULL), 0)::bigint,
			COALESCE(sum(n) FILTER (WHERE named AND job_id IS NOT NULL), 0)::bigint,
			count(*) FILTER (WHERE named AND job_id IS NOT NULL),
			(SELECT count(*) FROM runs WHERE id > $1 AND id <= $2),
			COALESCE(array_agg(run_id::bigint) FILTER (WHERE named AND job_id IS NOT NULL AND n > 1), '{}'),
			COALESCE(array_agg(job_id::text) FILTER (WHERE named AND job_id IS NOT NULL AND n > 1), '{}')
		FROM (SELECT j.run_id, j.job_id, r.name IS NOT NULL AS named, count(*) AS n
		      FROM jobs j LEFT JOIN runs r ON r.id = j.run_id
		      WHERE j.run_id > $1 AND j.run_id <= $2 GROUP BY 1, 2, 3) g`, lo, hi).Scan(
		&rows, &unnamed, &noJobID, &importable, &jobs, &runs, &dupRuns, &dupJobIDs)
	if err != nil {
		return fmt.Errorf("counting upstream jobs: %w", err)
	}
	c.JobRows += rows
	c.Skipped.JobsOfUnnamedRuns += unnamed
	c.Skipped.JobsWithoutJobID += noJobID
	c.Jobs += jobs
	c.Duplicates += importable - jobs
	if s.hasLinks() {
		var links int64
		if err := s.tx.QueryRow(ctx, `
			SELECT (SELECT count(*) FROM jobs j JOIN runs r ON r.id = j.run_id JOIN job_nodes jn ON jn.job_id = j.id
			        JOIN nodes n ON n.id = jn.node_id
			        WHERE j.run_id > $1 AND j.run_id <= $2 AND r.name IS NOT NULL AND j.job_id IS NOT NULL)
			     - (SELECT count(*) - count(DISTINCT (jn.node_id, j.run_id, j.job_id))
			        FROM unnest($3::bigint[], $4::text[]) d (run_id, job_id)
			        JOIN jobs j ON j.run_id = d.run_id AND j.job_id = d.job_id
			        JOIN job_nodes jn ON jn.job_id = j.id JOIN nodes n ON n.id = jn.node_id)`,
			lo, hi, dupRuns, dupJobIDs).Scan(&links); err != nil {
			return fmt.Errorf("counting upstream job-node links: %w", err)
		}
		c.Links += links
	}
	prog.add(runs, rows)
	return nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// The minimal-SQL floor (issue 16, part 1): for each write, the least SQL any server must run for
// the same rows on the same schema (same tables, same triggers, so the counts and maintained
// tables stay right), in one statement and one round trip: an implicit transaction, with no
// BEGIN, COMMIT or reads of its own. The statement
//   - locks the run's row by updating it (UPDATE runs ... WHERE name = $n, or for a POST
//     INSERT INTO runs ... ON CONFLICT (name) DO UPDATE, which creates the run when absent), so
//     that writers of one run serialise as they must, and sets what the write changes in the run:
//     its updated time, the suite, branch and machine type the body reports (COALESCE, as the
//     server), and its start time when the job starts running (a job made running makes its run
//     running, so "the run has just started" is "the run was not running");
//   - then inserts the job, or updates exactly the job columns the request changes, naming no
//     other column in SET (so no JSON value is written again and no column trigger is named);
//   - and, only when the request's targets change, creates unknown nodes and links the job to
//     its nodes (links are never removed, so unchanged targets have their links already).
//
// What changes is worked out before the clock from the job's previous state, which the bench
// knows (it applies the bodies in order with paddles.Apply, the server's own rules): this floor
// is given knowledge that a server has to read the row for (or compute in SQL), so it is a lower
// bound, not a design. The job's times (updated, started, posted) are bound at the write.
//
// What it leaves out, knowingly: the FOR KEY SHARE on the linked nodes (it guards against a node
// deleted during the write, which the bench never does: the foreign key check still runs), and
// the 409 on a duplicate job_id (a unique violation here). After each phase, checkWrites reads the
// rows back and compares them with what the API's side wrote under the same rules.

// minJobColumns are the jobs table's columns of paddles.Job's fields from JobID on, in field order
// (db/queries/job_write.sql lists them in the same order).
var minJobColumns = func() []string {
	t := reflect.TypeFor[paddles.Job]()
	cols := make([]string, 0, t.NumField())
	for i := 2; i < t.NumField(); i++ {
		name := t.Field(i).Name
		if name == "JobID" {
			cols = append(cols, "job_id")
			continue
		}
		var b strings.Builder
		for k, r := range name {
			if unicode.IsUpper(r) && k > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		}
		cols = append(cols, b.String())
	}
	return cols
}()

// sentinel stands for "the time of the write" in the jobs the bench expects.
var sentinel = time.Unix(1, 0).UTC()

// minWrite is one prepared write of the minimal floor: its statement and arguments, the
// arguments that take the time of the write, and whether it must change exactly one row.
type minWrite struct {
	sql     string
	args    []any
	nowArgs []int
	oneRow  bool
	// create, for a POST, is the write to run instead when sql changed nothing: the run does not
	// exist yet.
	create *minWrite
}

func (m *minWrite) exec(ctx context.Context, pool *pgxpool.Pool) error {
	args := slices.Clone(m.args)
	t := now()
	for _, i := range m.nowArgs {
		args[i] = t
	}
	tag, err := pool.Exec(ctx, m.sql, args...)
	if err == nil && m.create != nil && tag.RowsAffected() == 0 {
		return m.create.exec(ctx, pool)
	}
	if err == nil && m.oneRow && tag.RowsAffected() != 1 {
		err = fmt.Errorf("minimal floor: %d rows changed, want 1: %s", tag.RowsAffected(), m.sql)
	}
	return err
}

// sqlArgs collects a statement's arguments.
type sqlArgs struct {
	args    []any
	nowArgs []int
}

// add returns the placeholder of v; a time equal to sentinel is bound at the write.
func (a *sqlArgs) add(v any) string {
	switch t := v.(type) {
	case time.Time:
		if t.Equal(sentinel) {
			a.nowArgs = append(a.nowArgs, len(a.args))
		}
	case *time.Time:
		if t != nil && t.Equal(sentinel) {
			a.nowArgs = append(a.nowArgs, len(a.args))
		}
	case json.RawMessage:
		if t == nil {
			v = nil
		} else {
			v = string(t)
		}
	}
	a.args = append(a.args, v)
	return "$" + strconv.Itoa(len(a.args))
}

// fieldValue is job field i (of minJobColumns) as a statement argument.
func fieldValue(j *paddles.Job, i int) any {
	return reflect.ValueOf(j).Elem().Field(i + 2).Interface()
}

func fieldIsNull(v any) bool {
	rv := reflect.ValueOf(v)
	return !rv.IsValid() || (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Slice) && rv.IsNil()
}

// runSet is the SET list of a job write on its run: the write time, the run fields the body
// reports, and the start time when the job starts running now.
func runSet(a *sqlArgs, job *paddles.Job, patch *paddles.JobPatch, startsRunning bool) string {
	set := []string{"updated = " + a.add(job.Updated)}
	suite, branch, machineType := patch.RunFields()
	for _, f := range []struct {
		col string
		v   *string
	}{{"suite", suite}, {"branch", branch}, {"machine_type", machineType}} {
		if f.v != nil {
			set = append(set, fmt.Sprintf("%s = COALESCE(%s::text, runs.%s)", f.col, a.add(f.v), f.col))
		}
	}
	if startsRunning {
		set = append(set, "started = CASE WHEN runs.status <> 'running' THEN "+a.add(job.Started)+"::timestamptz ELSE runs.started END")
	}
	return strings.Join(set, ", ")
}

// minCreate is a job POST: one INSERT ... SELECT from the run, which an UPDATE locks and brings
// up to date in the same statement. When that inserts nothing, the run does not exist yet, and the
// write that creates it runs instead (an INSERT ... ON CONFLICT DO UPDATE of the run, so that a
// run created meanwhile is locked): once per run. Creating the run in every POST's statement would
// cost more, since runs' statement-level INSERT triggers fire even when no row is inserted. It
// returns the job the write leaves.
func minCreate(bj *benchJob, patch *paddles.JobPatch) (*minWrite, paddles.Job) {
	job := paddles.Job{JobID: bj.spec.jobID}
	patch.Apply(&job, true, sentinel)
	running := job.Status == paddles.StatusRunning
	withTargets := patch.Has("targets") && len(paddles.TargetHosts(job.Targets)) > 0
	// insertJob is the job's INSERT ... SELECT from the CTE run.
	insertJob := func(a *sqlArgs) string {
		var cols, vals []string
		for i, c := range minJobColumns {
			v := fieldValue(&job, i)
			if fieldIsNull(v) {
				continue
			}
			cols = append(cols, strconv.Quote(c))
			vals = append(vals, a.add(v))
		}
		return "INSERT INTO jobs (run_id, " + strings.Join(cols, ", ") + ") SELECT run.id, " + strings.Join(vals, ", ") + " FROM run"
	}
	finish := func(a *sqlArgs, with string) *minWrite {
		if withTargets {
			return &minWrite{sql: linkTargetsSQL(a, with+", j AS ("+insertJob(a)+" RETURNING id)", &job), args: a.args, nowArgs: a.nowArgs}
		}
		return &minWrite{sql: with + "\n" + insertJob(a), args: a.args, nowArgs: a.nowArgs, oneRow: true}
	}

	// The run's creation.
	var a sqlArgs
	rp := bj.runParams
	suite, branch, machineType := patch.RunFields()
	pick := func(job, run *string) *string {
		if job != nil {
			return job
		}
		return run
	}
	started := "NULL"
	if running {
		started = a.add(job.Started)
	}
	create := finish(&a, fmt.Sprintf(`WITH run AS (INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted, updated, started) `+
		`VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET %s RETURNING id)`,
		a.add(rp.Name), a.add(rp.UserName), a.add(rp.Scheduled), a.add(pick(suite, rp.Suite)), a.add(pick(branch, rp.Branch)),
		a.add(pick(machineType, rp.MachineType)), a.add(job.Posted), a.add(job.Updated), started, runSet(&a, &job, patch, running)))
	if withTargets {
		// No "nothing inserted" to tell from the row count: always the creating form.
		return create, job
	}
	var u sqlArgs
	w := finish(&u, "WITH run AS (UPDATE runs SET "+runSet(&u, &job, patch, running)+" WHERE name = "+u.add(rp.Name)+" RETURNING id)")
	w.oneRow = false
	w.create = create
	return w, job
}

// minUpdate is a job PUT on a job whose stored state is prev: one UPDATE of the columns that
// change, its run locked and brought up to date first in the same statement.
func minUpdate(bj *benchJob, prev *paddles.Job, patch *paddles.JobPatch) (*minWrite, paddles.Job) {
	job := *prev
	patch.Apply(&job, false, sentinel)
	var a sqlArgs
	startsRunning := job.Status == paddles.StatusRunning && prev.Status != paddles.StatusRunning
	run := "WITH r AS (UPDATE runs SET " + runSet(&a, &job, patch, startsRunning) + " WHERE name = " + a.add(bj.run.name) + " RETURNING id)"
	var set []string
	for i, c := range minJobColumns {
		if c == "updated" {
			continue // always written: below
		}
		if pv, v := fieldValue(prev, i), fieldValue(&job, i); !reflect.DeepEqual(pv, v) {
			set = append(set, strconv.Quote(c)+" = "+a.add(v))
		}
	}
	set = append(set, "updated = "+a.add(job.Updated))
	upd := "UPDATE jobs SET " + strings.Join(set, ", ") + " WHERE run_id = (SELECT id FROM r) AND job_id = " + a.add(job.JobID)
	if patch.Has("targets") && !reflect.DeepEqual(prev.Targets, job.Targets) && len(paddles.TargetHosts(job.Targets)) > 0 {
		sql := linkTargetsSQL(&a, run+", j AS ("+upd+" RETURNING id)", &job)
		return &minWrite{sql: sql, args: a.args, nowArgs: a.nowArgs}, job
	}
	return &minWrite{sql: run + "\n" + upd, args: a.args, nowArgs: a.nowArgs, oneRow: true}, job
}

// linkTargetsSQL ends a statement whose CTEs (with) write the job as j: create the nodes its
// targets name that do not exist, and link the job to them.
func linkTargetsSQL(a *sqlArgs, with string, job *paddles.Job) string {
	hosts := a.add(paddles.TargetHosts(job.Targets))
	return with + ",\nnn AS (INSERT INTO nodes (name, machine_type) SELECT n, " + a.add(job.MachineType) + "::text FROM unnest(" + hosts +
		"::text[]) AS n ORDER BY n ON CONFLICT (name) DO NOTHING RETURNING id)\n" +
		"INSERT INTO job_nodes (job_id, node_id) SELECT j.id, x.id FROM j, (SELECT id FROM nodes WHERE name = ANY(" + hosts +
		"::text[]) UNION ALL SELECT id FROM nn) AS x ON CONFLICT DO NOTHING"
}

// minJob is a job of the minimal floor's side: its successive writes and the job each leaves.
type minJob struct {
	bj     *benchJob
	writes []*minWrite
	expect []paddles.Job
	done   int // writes done (by the one worker that owns the job)
}

// newMinJob prepares a job's writes: a POST of patches[0], then a PUT of each other patch.
func newMinJob(bj *benchJob, patches []*paddles.JobPatch) *minJob {
	mj := &minJob{bj: bj}
	w, job := minCreate(bj, patches[0])
	mj.writes, mj.expect = append(mj.writes, w), append(mj.expect, job)
	for _, p := range patches[1:] {
		w, job = minUpdate(bj, &job, p)
		mj.writes, mj.expect = append(mj.writes, w), append(mj.expect, job)
	}
	return mj
}

// run runs write i of the job.
func (mj *minJob) run(ctx context.Context, pool *pgxpool.Pool, i int) string {
	res := dbResult(ctx, mj.writes[i].exec(ctx, pool))
	if res == "" {
		mj.done = max(mj.done, i+1)
	}
	return res
}

// expected is a job written through the API or the floor and what it must hold now.
type expected struct {
	run, jobID string
	job        paddles.Job
}

// expectFromBodies applies bodies[:n] in order as the server does: the job the API left.
func expectFromBodies(bj *benchJob, bodies [][]byte, n int) (expected, error) {
	var job paddles.Job
	for i := 0; i < n; i++ {
		p, err := paddles.ParseJobPatch(bodies[i])
		if err != nil {
			return expected{}, err
		}
		if i == 0 {
			job = paddles.Job{JobID: bj.spec.jobID}
		}
		p.Apply(&job, i == 0, sentinel)
	}
	return expected{run: bj.run.name, jobID: bj.spec.jobID, job: job}, nil
}

// checkWrites reads back the jobs a side wrote and compares each with what it must hold (the
// times only for being set or not), then checks each of their runs: its counts are its jobs',
// its updated time is set, it has started when a job of it has, and every job with targets is
// linked to each of its nodes. It returns how many jobs and runs it checked.
func checkWrites(ctx context.Context, st *store.Store, pool *pgxpool.Pool, want []expected) (int, int, error) {
	norm := func(j paddles.Job) (paddles.Job, string) {
		shape := fmt.Sprintf("started=%t", j.Started != nil)
		j.ID, j.RunID, j.Posted, j.Updated, j.Started = 0, 0, time.Time{}, time.Time{}, nil
		if j.Timestamp != nil {
			t := j.Timestamp.UTC()
			j.Timestamp = &t
		}
		return j, shape
	}
	runs := map[string]bool{}
	for _, e := range want {
		var got paddles.Job
		if err := st.Read(ctx, func(q *store.Q) (err error) { got, err = q.GetJob(ctx, e.run, e.jobID); return err }); err != nil {
			return 0, 0, fmt.Errorf("job %s of %s: %w", e.jobID, e.run, err)
		}
		g, gs := norm(got)
		w, ws := norm(e.job)
		if gs != ws || !reflect.DeepEqual(g, w) {
			return 0, 0, fmt.Errorf("job %s of %s: got %+v (%s), want %+v (%s)", e.jobID, e.run, g, gs, w, ws)
		}
		runs[e.run] = true
	}
	names := make([]string, 0, len(runs))
	for n := range runs {
		names = append(names, n)
	}
	var bad []string
	rows, err := pool.Query(ctx, `
		SELECT r.name, concat_ws(' ',
			CASE WHEN (r.queued_count, r.pass_count, r.running_count, r.waiting_count, r.fail_count, r.dead_count, r.unknown_count)
			     IS DISTINCT FROM (c.queued, c.pass, c.running, c.waiting, c.fail, c.dead, c.unknown) THEN 'counts' END,
			CASE WHEN r.updated IS NULL OR r.updated < c.updated - interval '1 s' THEN 'updated' END,
			CASE WHEN (r.started IS NOT NULL) <> c.started THEN 'started' END,
			CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id AND j.targets IS NOT NULL
			         AND (SELECT count(*) FROM json_object_keys(j.targets)) <> (SELECT count(*) FROM job_nodes jn WHERE jn.job_id = j.id))
			     THEN 'links' END)
		FROM runs r, LATERAL (SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued, count(*) FILTER (WHERE status = 'pass')::int AS pass,
			count(*) FILTER (WHERE status = 'running')::int AS running, count(*) FILTER (WHERE status = 'waiting')::int AS waiting,
			count(*) FILTER (WHERE status = 'fail')::int AS fail, count(*) FILTER (WHERE status = 'dead')::int AS dead,
			count(*) FILTER (WHERE status = 'unknown')::int AS unknown, max(updated) AS updated,
			coalesce(bool_or(started IS NOT NULL), false) AS started FROM jobs WHERE run_id = r.id) c
		WHERE r.name = ANY($1)`, names)
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var name, problems string
		if err := rows.Scan(&name, &problems); err != nil {
			return 0, 0, err
		}
		if problems != "" {
			bad = append(bad, name+": "+problems)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	if len(bad) > 0 {
		return 0, 0, fmt.Errorf("%d of %d runs wrong, e.g. %s", len(bad), len(names), bad[0])
	}
	return len(want), len(names), nil
}

// sample picks up to n of the items, spread over them.
func sample[T any](items []T, n int) []T {
	if len(items) <= n {
		return items
	}
	out := make([]T, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, items[i*len(items)/n])
	}
	return out
}

// runBatch runs writes on the pool, a batch (one round trip) of up to 50 at a time; for
// preparing jobs before the clock.
func runBatch(ctx context.Context, pool *pgxpool.Pool, writes []*minWrite) error {
	for len(writes) > 0 {
		n := min(50, len(writes))
		var batch pgx.Batch
		for _, w := range writes[:n] {
			if w.create != nil {
				w = w.create // creates the run when absent, whatever came before in the batch
			}
			args := slices.Clone(w.args)
			for _, i := range w.nowArgs {
				args[i] = now()
			}
			batch.Queue(w.sql, args...)
		}
		if err := pool.SendBatch(ctx, &batch).Close(); err != nil {
			return err
		}
		writes = writes[n:]
	}
	return nil
}

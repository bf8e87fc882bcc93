// Package bulkload is the one definition of how this server's job tables are loaded in bulk:
// what a loader drops before it copies rows in (the secondary indexes and foreign keys of the
// big tables, the user triggers) and how it then rebuilds, in a few set-based statements, what
// those triggers would have kept row by row: job_descriptions, failure_signatures, test_results,
// test_sha1s, the runs' job counts and run_values. paddles import's bulk first import
// (internal/importer) and the benchmark's seeding (bench/cmd/paddles-bench) both use it.
//
// Every function runs in the caller's transaction (q is a pgx.Tx, or a connection in one) and
// takes the locks its DDL needs; it is the caller's business to keep other writers out (see
// LockTables) and to know that the tables it rebuilds start from what the triggers would have
// started from: FillJobTables expects jobs none of whose maintained rows exist yet.
package bulkload

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what the functions need of a transaction: pgx.Tx, *pgx.Conn, a pool's connection.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// IndexedTables are the tables that grow with the jobs and whose secondary indexes a bulk load
// builds at the end instead of maintaining them row by row.
var IndexedTables = []string{"jobs", "job_nodes", "test_results", "test_sha1s", "job_descriptions"}

// TriggerTables are the tables whose user triggers keep the maintained tables: runs (run_values,
// test_sha1s' keys), jobs (runs' counts, job_descriptions, test_results, job_nodes' posted),
// job_nodes (posted) and test_results (test_sha1s). A bulk load disables them and rebuilds.
var TriggerTables = []string{"runs", "jobs", "job_nodes", "test_results"}

// ForeignKeyTables are the tables whose foreign keys a bulk load drops and adds again (one
// validating pass instead of a look-up and a row lock per row): jobs' run, job_nodes' node and job.
var ForeignKeyTables = []string{"jobs", "job_nodes"}

// LockedTables are every table a load of runs, jobs and links writes, directly or through the
// rebuilt maintained tables, plus nodes and queues, which an import writes too. In the order the
// server's writers lock them (a run, its jobs, their results), so that LockTables waits for them
// rather than deadlocking with them.
var LockedTables = []string{"runs", "jobs", "test_results", "test_sha1s", "job_descriptions", "failure_signatures",
	"run_values", "nodes", "job_nodes", "queues"}

// LockTables takes ACCESS EXCLUSIVE locks on LockedTables until the transaction ends: no other
// session reads or writes them meanwhile (the index and foreign-key drops would take those locks
// anyway, one table at a time). It waits at most wait (0: forever) for sessions using them.
func LockTables(ctx context.Context, q Querier, wait time.Duration) error {
	if _, err := q.Exec(ctx, `SELECT set_config('lock_timeout', $1, true)`, fmt.Sprintf("%dms", wait.Milliseconds())); err != nil {
		return err
	}
	stmt := "LOCK TABLE "
	for i, t := range LockedTables {
		if i > 0 {
			stmt += ", "
		}
		stmt += pgx.Identifier{t}.Sanitize()
	}
	if _, err := q.Exec(ctx, stmt+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `SELECT set_config('lock_timeout', '0', true)`)
	return err
}

// Index is a secondary index dropped by DropIndexes, to be built again by CreateIndexes.
type Index struct {
	Name, Table, Def string // Def: pg_get_indexdef, a CREATE INDEX statement
}

// DropIndexes drops the indexes of tables that back no constraint (primary keys and unique
// constraints stay, and keep checking) and returns them, in the order to build them again.
func DropIndexes(ctx context.Context, q Querier, tables []string) ([]Index, error) {
	rows, err := q.Query(ctx, `
		SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = ANY (SELECT to_regclass(t)::oid FROM unnest($1::text[]) t)
		  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY array_position($1::text[], i.indrelid::regclass::text), 1`, tables)
	if err != nil {
		return nil, err
	}
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Index, error) {
		var x Index
		err := r.Scan(&x.Name, &x.Table, &x.Def)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing indexes: %w", err)
	}
	for _, x := range idx {
		if _, err := q.Exec(ctx, "DROP INDEX "+x.Name); err != nil {
			return nil, fmt.Errorf("dropping index %s: %w", x.Name, err)
		}
	}
	return idx, nil
}

// BuildSettings are the session settings an index build runs with (SET LOCAL: until the
// transaction ends): memory to sort in, and parallel workers.
type BuildSettings struct {
	MaintenanceWorkMem string // default "1GB"
	ParallelWorkers    int    // max_parallel_maintenance_workers; default 2
}

// CreateIndexes builds the indexes DropIndexes dropped, calling done (if not nil) after each.
func CreateIndexes(ctx context.Context, q Querier, idx []Index, s BuildSettings, done func(Index, time.Duration)) error {
	if s.MaintenanceWorkMem == "" {
		s.MaintenanceWorkMem = "1GB"
	}
	if s.ParallelWorkers == 0 {
		s.ParallelWorkers = 2
	}
	if _, err := q.Exec(ctx, `SELECT set_config('maintenance_work_mem', $1, true), set_config('max_parallel_maintenance_workers', $2, true)`,
		s.MaintenanceWorkMem, fmt.Sprint(s.ParallelWorkers)); err != nil {
		return err
	}
	for _, x := range idx {
		start := time.Now()
		if _, err := q.Exec(ctx, x.Def); err != nil {
			return fmt.Errorf("building index %s: %w", x.Name, err)
		}
		if done != nil {
			done(x, time.Since(start))
		}
	}
	return nil
}

// ForeignKey is a foreign key dropped by DropForeignKeys, to be added again by AddForeignKeys.
type ForeignKey struct {
	Name, Table, Def string // Def: pg_get_constraintdef
}

// DropForeignKeys drops the foreign keys of tables and returns them.
func DropForeignKeys(ctx context.Context, q Querier, tables []string) ([]ForeignKey, error) {
	rows, err := q.Query(ctx, `
		SELECT c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid) FROM pg_constraint c
		WHERE c.contype = 'f' AND c.conrelid = ANY (SELECT to_regclass(t)::oid FROM unnest($1::text[]) t)
		ORDER BY array_position($1::text[], c.conrelid::regclass::text), 1`, tables)
	if err != nil {
		return nil, err
	}
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ForeignKey, error) {
		var k ForeignKey
		err := r.Scan(&k.Name, &k.Table, &k.Def)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing foreign keys: %w", err)
	}
	for _, k := range fks {
		if _, err := q.Exec(ctx, "ALTER TABLE "+k.Table+" DROP CONSTRAINT "+pgx.Identifier{k.Name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("dropping foreign key %s: %w", k.Name, err)
		}
	}
	return fks, nil
}

// AddForeignKeys adds the foreign keys back, each validated in one pass over its table.
func AddForeignKeys(ctx context.Context, q Querier, fks []ForeignKey, done func(ForeignKey, time.Duration)) error {
	for _, k := range fks {
		start := time.Now()
		if _, err := q.Exec(ctx, "ALTER TABLE "+k.Table+" ADD CONSTRAINT "+pgx.Identifier{k.Name}.Sanitize()+" "+k.Def); err != nil {
			return fmt.Errorf("adding foreign key %s: %w", k.Name, err)
		}
		if done != nil {
			done(k, time.Since(start))
		}
	}
	return nil
}

// SetTriggers enables (on) or disables the user triggers of tables. Foreign keys' system
// triggers are not user triggers and keep checking.
func SetTriggers(ctx context.Context, q Querier, tables []string, on bool) error {
	verb := "DISABLE"
	if on {
		verb = "ENABLE"
	}
	for _, t := range tables {
		if _, err := q.Exec(ctx, "ALTER TABLE "+pgx.Identifier{t}.Sanitize()+" "+verb+" TRIGGER USER"); err != nil {
			return err
		}
	}
	return nil
}

// FillJobTables writes what the jobs' insert triggers (migrations 00007, 00010, 00012) and
// test_results' (00012) would have written for every job, in set-based statements: each distinct
// description once in job_descriptions; each failed or dead job's failure signature, normalised
// once per distinct reason, in failure_signatures (a signature already there keeps its example,
// tracker and note; a new one's example is the reason of its lowest job id, as the triggers' id
// order makes it); each job's test_results row; and their counts per test, sha1 and run branch,
// suite and machine type, added to test_sha1s (a row already there is added to, as the triggers
// add to it).
//
// Every job must be new to the maintained tables: test_results must be empty (it is refused
// otherwise), and test_results' user triggers off (SetTriggers), or its rows would be counted
// twice. Runs' branch, suite and machine type are read as they are now.
func FillJobTables(ctx context.Context, q Querier) error {
	var some bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT FROM test_results)`).Scan(&some); err != nil {
		return err
	}
	if some {
		return fmt.Errorf("a bulk load fills test_results from every job, and it holds rows already")
	}
	_, err := q.Exec(ctx, `
INSERT INTO job_descriptions (id, description)
SELECT md5(description)::uuid, description FROM jobs WHERE description IS NOT NULL GROUP BY description
ON CONFLICT DO NOTHING;
CREATE TEMP TABLE bulkload_reasons ON COMMIT DROP AS
SELECT reason, failure_signature(reason) AS signature, first FROM (
    SELECT failure_reason AS reason, min(id) AS first FROM jobs
    WHERE status IN ('fail', 'dead') AND failure_reason IS NOT NULL GROUP BY failure_reason
) r;
ANALYZE bulkload_reasons;
INSERT INTO failure_signatures (id, signature, example)
SELECT DISTINCT ON (1) md5(signature)::uuid, signature, reason FROM bulkload_reasons
WHERE signature IS NOT NULL ORDER BY 1, first
ON CONFLICT DO NOTHING;
INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1, signature_id)
SELECT j.id, j.job_id, j.run_id, md5(j.description)::uuid, j.posted, j.status, j.sha1, md5(r.signature)::uuid
FROM jobs j LEFT JOIN bulkload_reasons r ON j.status IN ('fail', 'dead') AND r.reason = j.failure_reason;
INSERT INTO test_sha1s AS s (test_id, sha1, branch, suite, machine_type, pass, fail, last_posted)
SELECT t.test_id, t.sha1, COALESCE(r.branch, ''), COALESCE(r.suite, ''), COALESCE(r.machine_type, ''),
       count(*) FILTER (WHERE t.status = 'pass'), count(*) FILTER (WHERE t.status <> 'pass'), max(t.posted)
FROM test_results t JOIN runs r ON r.id = t.run_id
WHERE t.test_id IS NOT NULL AND t.sha1 IS NOT NULL AND t.status IN ('pass', 'fail', 'dead')
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (test_id, sha1, branch, suite, machine_type) DO UPDATE
SET pass = s.pass + EXCLUDED.pass, fail = s.fail + EXCLUDED.fail, last_posted = greatest(s.last_posted, EXCLUDED.last_posted);
DROP TABLE bulkload_reasons;`)
	if err != nil {
		return fmt.Errorf("filling job_descriptions, failure_signatures, test_results and test_sha1s: %w", err)
	}
	return nil
}

// CountRuns sets every run's job counts (and so its status) from its jobs' test_results rows,
// which FillJobTables wrote, one a job with its status and run: a narrower table to read than
// jobs. Runs without jobs keep theirs (0 for a new run).
func CountRuns(ctx context.Context, q Querier) error {
	_, err := q.Exec(ctx, `
UPDATE runs r SET
    queued_count = c.queued, pass_count = c.pass, running_count = c.running, waiting_count = c.waiting,
    fail_count = c.fail, dead_count = c.dead, unknown_count = c.unknown
FROM (
    SELECT run_id,
           count(*) FILTER (WHERE status = 'queued') AS queued, count(*) FILTER (WHERE status = 'pass') AS pass,
           count(*) FILTER (WHERE status = 'running') AS running, count(*) FILTER (WHERE status = 'waiting') AS waiting,
           count(*) FILTER (WHERE status = 'fail') AS fail, count(*) FILTER (WHERE status = 'dead') AS dead,
           count(*) FILTER (WHERE status = 'unknown') AS unknown
    FROM test_results GROUP BY run_id
) c
WHERE r.id = c.run_id`)
	if err != nil {
		return fmt.Errorf("counting the runs' jobs: %w", err)
	}
	return nil
}

// CountRunValues counts run_values (00008) afresh from the runs, as the migrations' backfills
// do: what runs' triggers keep (run_keys' values, and each tag under the key 'tag': 00019), less
// the rows they leave at 0 for values no run holds any more.
func CountRunValues(ctx context.Context, q Querier) error {
	_, err := q.Exec(ctx, `
DELETE FROM run_values;
INSERT INTO run_values (key, value, runs)
SELECT rk.key, rk.value, count(*) FROM runs r, run_keys(r.status, r.branch, r.suite, r.machine_type, r."user", r.scheduled) rk
GROUP BY 1, 2
UNION ALL
SELECT 'tag', t.tag, count(*) FROM runs r, unnest(r.tags) t (tag) WHERE r.tags <> '{}'
GROUP BY 2`)
	if err != nil {
		return fmt.Errorf("counting run_values: %w", err)
	}
	return nil
}

// SetSequences moves the id sequences of runs, jobs and nodes past the largest id stored, for
// loaders that give the ids themselves; a sequence already further stays where it is.
func SetSequences(ctx context.Context, q Querier) error {
	for _, t := range []string{"runs", "jobs", "nodes"} {
		if _, err := q.Exec(ctx, `
SELECT setval(s, greatest(m, pg_sequence_last_value(s)))
FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS s) q, LATERAL (SELECT max(id) AS m FROM `+t+`) x
WHERE m IS NOT NULL`, t); err != nil {
			return fmt.Errorf("setting %s' id sequence: %w", t, err)
		}
	}
	return nil
}

// Analyze refreshes the planner's statistics of the loaded and rebuilt tables.
func Analyze(ctx context.Context, q Querier) error {
	_, err := q.Exec(ctx, `ANALYZE runs, jobs, nodes, job_nodes, job_descriptions, test_results, test_sha1s, failure_signatures, run_values`)
	return err
}

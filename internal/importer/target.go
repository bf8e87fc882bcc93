package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// target is the importer's own connection to this server's database. It holds the import lock
// for the whole import and the session's staging tables: each batch is copied into them
// (COPY, the fastest way in) and upserted from there into the real tables, in one transaction
// with the batch's checkpoint.
type target struct {
	conn *pgx.Conn

	// Test hooks: upsertOnly writes every batch through the staging tables; beforeCopy runs in
	// copyBatch after the check that the batch's runs are new, before the COPYs.
	upsertOnly bool
	beforeCopy func()

	// bulk is the transaction of a bulk first import (bulk.go), which every write joins.
	bulk pgx.Tx

	// runsUpsert upserts the staged runs: runsUpsertTags when upstream has run tags, else
	// runsUpsertNoTags.
	runsUpsert string
}

// errBusy is returned when another import holds the target's import lock.
var errBusy = errors.New("another import into this database is running")

func openTarget(ctx context.Context, pool *pgxpool.Pool) (*target, error) {
	cfg := pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "paddles import"
	// A batch's statements may take longer than a server's request queries should (a run of
	// thousands of jobs): the import is not bound by a statement_timeout the pool may set.
	cfg.RuntimeParams["statement_timeout"] = "0"
	// A bulk import's one transaction waits, idle, for upstream's next batch.
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "0"
	// An import is no news for /events/ subscribers (00023): millions of job events would flood
	// the stream and its retention window.
	cfg.RuntimeParams["paddles.events"] = "off"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t := &target{conn: conn, runsUpsert: runsUpsertNoTags}
	// A previous import's session may still be ending (its server process exits just after the
	// client goes): wait a little for its lock before calling the database busy.
	var locked bool
	for wait := 50 * time.Millisecond; err == nil && !locked; wait *= 2 {
		err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('paddles.import'))`).Scan(&locked)
		if err != nil || locked {
			break
		}
		if wait > 3*time.Second {
			err = errBusy
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err == nil {
		_, err = conn.Exec(ctx, stagingDDL)
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return t, nil
}

// close releases the lock and ends the session, which drops the staging tables. (When the
// connection broke, the server releases the lock as the session ends.)
func (t *target) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !t.conn.IsClosed() {
		t.conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtext('paddles.import'))`)
	}
	t.conn.Close(ctx)
}

// The staging tables, one per imported table, emptied at every commit. Upstream's ids (src_id,
// src_run_id) map rows to their runs and keep upstream's order.
var stagingDDL = `
CREATE TEMP TABLE import_runs (src_id bigint NOT NULL, ` + stagingDefs(runColumns) + `) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE import_jobs (src_id bigint NOT NULL, src_run_id bigint NOT NULL, ` + stagingDefs(jobColumns) + `) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE import_links (node_id bigint NOT NULL, src_run_id bigint NOT NULL, job_id text COLLATE "C" NOT NULL) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE import_nodes (src_id bigint NOT NULL, vm_host text, ` + stagingDefs(nodeColumns) + `) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE import_queues (` + stagingDefs(queueColumns) + `) ON COMMIT DELETE ROWS;
CREATE SCHEMA IF NOT EXISTS paddles_import;
CREATE TABLE IF NOT EXISTS paddles_import.checkpoints (
    source      text PRIMARY KEY,
    last_run_id bigint NOT NULL,
    completed   boolean NOT NULL,
    updated     timestamptz NOT NULL DEFAULT now()
);
`

func columnNames(prefix []string, cols []column) []string {
	out := append([]string(nil), prefix...)
	for _, c := range cols {
		out = append(out, c.name)
	}
	return out
}

// Upserts from the staging tables, by natural key: runs by name, jobs by (run, job_id), nodes by
// name, queues by name. A stored row is rewritten only when the incoming one differs, and for runs
// and jobs only when it is at least as recent (an import never overwrites a newer version of a
// job, such as one a teuthology already reporting to this server wrote). Rows are inserted in
// upstream's order, so that this server's ids follow upstream's.
//
// Run tags: a new run gets upstream's tags ('{}' from an upstream without the column). A run
// stored here already gets upstream's tags, like its other columns, when upstream has the column:
// they count in the comparison and are overwritten (with '{}' too) when the row is, so a re-import
// carries changed tags over and upstream wins, as for every column. An upstream without the
// column knows nothing of tags: the tags of a stored run (set here, or by an earlier import from
// an upstream with the column) are neither compared nor written, as the job keys upstream has no
// column for are left alone (jobColumns).
var (
	runsUpsertTags   = upsertRuns(runColumns[1:])
	runsUpsertNoTags = upsertRuns(without(runColumns[1:], "tags"))

	jobsUpsert = `
INSERT INTO jobs (run_id, ` + names("", jobColumns) + `)
SELECT r.id, ` + names("s.", jobColumns) + `
FROM import_jobs s JOIN import_runs ir ON ir.src_id = s.src_run_id JOIN runs r ON r.name = ir.name
ORDER BY s.src_id
ON CONFLICT (run_id, job_id) DO UPDATE SET ` + setAll(jobColumns[1:]) + `
WHERE ` + changed("jobs", jobColumns[1:]) + `
  AND EXCLUDED.updated >= jobs.updated`

	linksInsert = `
INSERT INTO job_nodes (node_id, job_id)
SELECT l.node_id, j.id
FROM import_links l JOIN import_runs ir ON ir.src_id = l.src_run_id JOIN runs r ON r.name = ir.name
JOIN jobs j ON j.run_id = r.id AND j.job_id = l.job_id
ON CONFLICT DO NOTHING`

	nodesUpsert = `
INSERT INTO nodes (` + names("", nodeColumns) + `)
SELECT ` + names("", nodeColumns) + ` FROM import_nodes ORDER BY src_id
ON CONFLICT (name) DO UPDATE SET ` + setAll(nodeColumns[1:]) + `
WHERE ` + changed("nodes", nodeColumns[1:])

	nodeHosts = `
UPDATE nodes n SET vm_host_id = h.id
FROM import_nodes s LEFT JOIN nodes h ON h.name = s.vm_host
WHERE n.name = s.name AND n.vm_host_id IS DISTINCT FROM h.id`

	queuesUpsert = `
INSERT INTO queues (` + names("", queueColumns) + `)
SELECT ` + names("", queueColumns) + ` FROM import_queues
ON CONFLICT (queue) DO UPDATE SET ` + setAll(queueColumns[1:]) + `
WHERE ` + changed("queues", queueColumns[1:])
)

// upsertRuns upserts the staged runs, writing set into a run stored already.
func upsertRuns(set []column) string {
	return `
INSERT INTO runs (` + names("", runColumns) + `)
SELECT ` + names("", runColumns) + ` FROM import_runs ORDER BY src_id
ON CONFLICT (name) DO UPDATE SET ` + setAll(set) + `
WHERE ` + changed("runs", set) + `
  AND COALESCE(EXCLUDED.updated, EXCLUDED.posted) >= COALESCE(runs.updated, runs.posted)`
}

// written counts the rows a batch inserted or changed.
type written struct {
	runs, jobs, links int64
}

// writeBatch writes one batch and its checkpoint in one transaction. beforeCommit, when set, runs
// just before the commit (a test hook).
//
// A batch none of whose runs the target holds yet (the whole of a first import, and the batches
// after an interrupted one's checkpoint) is copied straight into the tables (copyBatch): its
// runs are new, so are their jobs and links, and there is nothing to upsert. Any other batch is
// upserted from the staging tables (upsertBatch). Should a run of the batch appear between the
// check and the copy (teuthology reporting it to this server meanwhile), the copy fails on the
// run's name and the batch is upserted instead.
//
// In a bulk import every batch is copied, in the bulk transaction: the target was empty and is
// locked, so a run found or a unique violation is an error (which rolls the whole import back).
func (t *target) writeBatch(ctx context.Context, b *batch, sourceKey string, beforeCommit func() error) (w written, err error) {
	if t.bulk != nil {
		w, err = t.copyBatch(ctx, b, sourceKey, beforeCommit)
		if errors.Is(err, errNotNew) {
			err = fmt.Errorf("bulk import: %w in the locked target", err)
		}
		return w, err
	}
	err = errNotNew
	if !t.upsertOnly {
		w, err = t.copyBatch(ctx, b, sourceKey, beforeCommit)
	}
	if errors.Is(err, errNotNew) || isUniqueViolation(err) {
		w, err = t.upsertBatch(ctx, b, sourceKey, beforeCommit)
	}
	return w, err
}

// errNotNew says the target holds some of a batch's runs already.
var errNotNew = errors.New("some of the batch's runs exist")

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func isLockTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// newIDs checks that none of a batch's runs exists (else errNotNew) and takes ids for its runs
// and jobs from the tables' sequences, in one round trip. The ids come in increasing order, so
// that this server's ids follow upstream's, as the upsert's ORDER BY makes them.
const newIDs = `
WITH present AS (SELECT EXISTS (SELECT FROM runs WHERE name = ANY ($1::text[])) AS taken)
SELECT taken,
       ARRAY(SELECT nextval(pg_get_serial_sequence('runs', 'id')) FROM generate_series(1, $2::int) WHERE NOT taken ORDER BY 1),
       ARRAY(SELECT nextval(pg_get_serial_sequence('jobs', 'id')) FROM generate_series(1, $3::int) WHERE NOT taken ORDER BY 1)
FROM present`

// copyBatch writes a batch of new runs with three COPYs into runs, jobs and job_nodes, its ids
// given, so that no row is looked up; it returns errNotNew, writing nothing, when a run of the
// batch exists.
func (t *target) copyBatch(ctx context.Context, b *batch, sourceKey string, beforeCommit func() error) (w written, err error) {
	names := make([]string, len(b.runs))
	for i, r := range b.runs {
		names[i] = r[runOff+runName].(string)
	}
	// Jobs in upstream's order, as the upsert inserts them.
	jobs := slices.Clone(b.jobs)
	slices.SortFunc(jobs, func(a, b []any) int { return cmp.Compare(a[0].(int64), b[0].(int64)) })
	err = t.inTx(ctx, func(tx pgx.Tx) error {
		var present bool
		var runIDs, jobIDs []int64
		if err := tx.QueryRow(ctx, newIDs, names, len(b.runs), len(jobs)).Scan(&present, &runIDs, &jobIDs); err != nil {
			return err
		}
		if present {
			return errNotNew
		}
		if t.beforeCopy != nil {
			t.beforeCopy()
		}
		runOf := make(map[int64]int64, len(b.runs)) // upstream's run id -> ours
		row := make([]any, 1+len(runColumns))
		i := 0
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"runs"}, columnNames([]string{"id"}, runColumns), pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(b.runs) {
				return nil, nil
			}
			r := b.runs[i]
			runOf[r[0].(int64)] = runIDs[i]
			row[0] = runIDs[i]
			copy(row[1:], r[runOff:])
			i++
			return row, nil
		}))
		if err != nil {
			return fmt.Errorf("writing runs: %w", err)
		}
		w.runs = n
		type newJob struct {
			id     int64
			posted any
		}
		jobOf := make(map[jobKey]newJob, len(jobs)) // (upstream's run id, job_id) -> our job
		row = make([]any, 2+len(jobColumns))
		i = 0
		if w.jobs, err = tx.CopyFrom(ctx, pgx.Identifier{"jobs"}, columnNames([]string{"id", "run_id"}, jobColumns), pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(jobs) {
				return nil, nil
			}
			j := jobs[i]
			jobOf[jobKey{j[1].(int64), j[jobOff+jobJobID].(string)}] = newJob{jobIDs[i], j[jobOff+jobPosted]}
			row[0], row[1] = jobIDs[i], runOf[j[1].(int64)]
			copy(row[2:], j[jobOff:])
			i++
			return row, nil
		})); err != nil {
			return fmt.Errorf("writing jobs: %w", err)
		}
		// Links whose job is not in the batch go, as the upsert's join drops them. Each carries its
		// job's posted time, which spares job_nodes_set_posted its look-up (migration 00009).
		row = make([]any, 3)
		i = 0
		if w.links, err = tx.CopyFrom(ctx, pgx.Identifier{"job_nodes"}, []string{"node_id", "job_id", "posted"}, pgx.CopyFromFunc(func() ([]any, error) {
			for ; i < len(b.links); i++ {
				l := b.links[i]
				if j, ok := jobOf[jobKey{l[1].(int64), l[2].(string)}]; ok {
					row[0], row[1], row[2] = l[0], j.id, j.posted
					i++
					return row, nil
				}
			}
			return nil, nil
		})); err != nil {
			return fmt.Errorf("writing job-node links: %w", err)
		}
		if err := saveCheckpoint(ctx, tx, sourceKey, b.span.hi, false); err != nil {
			return err
		}
		if beforeCommit != nil {
			return beforeCommit()
		}
		return nil
	})
	return w, err
}

// upsertBatch writes a batch through the staging tables, upserting by natural key.
func (t *target) upsertBatch(ctx context.Context, b *batch, sourceKey string, beforeCommit func() error) (w written, err error) {
	err = t.inTx(ctx, func(tx pgx.Tx) error {
		if w.runs, err = copyAndRun(ctx, tx, "import_runs", columnNames([]string{"src_id"}, runColumns), b.runs, t.runsUpsert); err != nil {
			return fmt.Errorf("writing runs: %w", err)
		}
		if w.jobs, err = copyAndRun(ctx, tx, "import_jobs", columnNames([]string{"src_id", "src_run_id"}, jobColumns), b.jobs, jobsUpsert); err != nil {
			return fmt.Errorf("writing jobs: %w", err)
		}
		if w.links, err = copyAndRun(ctx, tx, "import_links", []string{"node_id", "src_run_id", "job_id"}, b.links, linksInsert); err != nil {
			return fmt.Errorf("writing job-node links: %w", err)
		}
		if err := saveCheckpoint(ctx, tx, sourceKey, b.span.hi, false); err != nil {
			return err
		}
		if beforeCommit != nil {
			return beforeCommit()
		}
		return nil
	})
	return w, err
}

// copyAndRun copies rows into a staging table and runs the statement that takes them from there,
// returning how many rows it wrote.
func copyAndRun(ctx context.Context, tx pgx.Tx, table string, cols []string, rows [][]any, stmt string) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, stmt)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// writeNodes writes every node, then their VM hosts (which may come in any order), and returns
// the map from upstream's node ids to this server's.
func (t *target) writeNodes(ctx context.Context, nodes [][]any) (ids map[int64]int64, n int64, err error) {
	ids = make(map[int64]int64, len(nodes))
	err = t.inTx(ctx, func(tx pgx.Tx) error {
		if n, err = copyAndRun(ctx, tx, "import_nodes", columnNames([]string{"src_id", "vm_host"}, nodeColumns), nodes, nodesUpsert); err != nil {
			return err
		}
		if len(nodes) == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, nodeHosts)
		if err != nil {
			return err
		}
		n += tag.RowsAffected()
		rows, err := tx.Query(ctx, `SELECT s.src_id, n.id FROM import_nodes s JOIN nodes n ON n.name = s.name`)
		if err != nil {
			return err
		}
		var src, id int64
		_, err = pgx.ForEachRow(rows, []any{&src, &id}, func() error {
			ids[src] = id
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("writing nodes: %w", err)
	}
	return ids, n, nil
}

func (t *target) writeQueues(ctx context.Context, queues [][]any) (n int64, err error) {
	err = t.inTx(ctx, func(tx pgx.Tx) error {
		n, err = copyAndRun(ctx, tx, "import_queues", columnNames(nil, queueColumns), queues, queuesUpsert)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("writing queues: %w", err)
	}
	return n, nil
}

// checkpoint is how far an import from one upstream database got: every run up to lastRunID
// (upstream's id) is in, and completed says the import ran to its end.
type checkpoint struct {
	lastRunID int64
	completed bool
}

func (t *target) checkpoint(ctx context.Context, sourceKey string) (*checkpoint, error) {
	var c checkpoint
	err := t.conn.QueryRow(ctx, `SELECT last_run_id, completed FROM paddles_import.checkpoints WHERE source = $1`, sourceKey).
		Scan(&c.lastRunID, &c.completed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the import checkpoint: %w", err)
	}
	return &c, nil
}

func saveCheckpoint(ctx context.Context, tx pgx.Tx, sourceKey string, lastRunID int64, completed bool) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO paddles_import.checkpoints (source, last_run_id, completed) VALUES ($1, $2, $3)
		ON CONFLICT (source) DO UPDATE SET last_run_id = EXCLUDED.last_run_id, completed = EXCLUDED.completed, updated = now()`,
		sourceKey, lastRunID, completed)
	if err != nil {
		return fmt.Errorf("saving the import checkpoint: %w", err)
	}
	return nil
}

func (t *target) saveCheckpoint(ctx context.Context, sourceKey string, lastRunID int64, completed bool) error {
	return t.inTx(ctx, func(tx pgx.Tx) error {
		return saveCheckpoint(ctx, tx, sourceKey, lastRunID, completed)
	})
}

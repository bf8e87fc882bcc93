package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/database/bulkload"
)

// The bulk first import. Into a target that holds no runs and no jobs, the import writes
// everything in one transaction: it locks the tables the server writes, drops the secondary
// indexes of the tables that grow with the jobs and the jobs' and links' foreign keys, turns the
// user triggers of runs, jobs, job_nodes and test_results off, copies the batches in as a first
// import always has (COPY, the ids from the sequences), and then rebuilds in a few set-based
// statements what the triggers would have kept (internal/database/bulkload, shared with the
// benchmark's seeding), builds the indexes, adds the foreign keys back (each validated in one
// pass), turns the triggers on, analyses the tables and writes the completed checkpoint before
// it commits. Interrupted, it rolls back to the empty target it found; run again, it starts over.

// bulkLockWait bounds how long the bulk import waits for sessions using the tables it locks:
// a first import is meant to run before clients use the server, and one that has to wait longer
// than this for them is told so instead of queueing every request behind its lock.
var bulkLockWait = 10 * time.Second

// bulkWorkMem is the bulk transaction's work_mem from the rebuild on.
const bulkWorkMem = "256MB"

// BulkStep is one step of a bulk import and how long it took.
type BulkStep struct {
	Name    string
	Elapsed time.Duration
}

// bulkEligible says whether an import may run in bulk, from this source's checkpoint: there is
// none, or it records nothing imported (an import interrupted before its first batch committed),
// or --restart ignores it. A checkpoint of runs imported before (a finished import, or an
// interrupted batch-by-batch one to resume) keeps the batch path, even if the target was emptied
// since. The target's own emptiness is checked under the locks (beginBulk).
func bulkEligible(cp *checkpoint, opts *Options) bool {
	if opts.NoBulk {
		return false
	}
	return cp == nil || opts.Restart || !cp.completed && cp.lastRunID == 0
}

// targetEmpty says whether the target holds no runs and no jobs.
func targetEmpty(ctx context.Context, q bulkload.Querier) (bool, error) {
	var some bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT FROM runs) OR EXISTS (SELECT FROM jobs)`).Scan(&some)
	return !some, err
}

// bulkState is what a bulk import keeps between its start and its end.
type bulkState struct {
	indexes []bulkload.Index
	fkeys   []bulkload.ForeignKey
	out     io.Writer
	steps   []BulkStep
}

func (b *bulkState) say(format string, args ...any) {
	if b.out != nil {
		fmt.Fprintf(b.out, "bulk import: "+format+"\n", args...)
	}
}

func (b *bulkState) step(name string, fn func() error) error {
	start := time.Now()
	if err := fn(); err != nil {
		return err
	}
	d := time.Since(start)
	b.steps = append(b.steps, BulkStep{name, d})
	b.say("%s in %s", name, d.Round(time.Millisecond))
	return nil
}

// errBulkLocked says the bulk import could not lock the tables in time.
var errBulkLocked = errors.New("the target's tables are in use (is a server with clients running on it?): " +
	"a bulk first import needs them to itself; stop the clients, or import batch by batch alongside them with --no-bulk")

// beginBulk starts the bulk transaction if the target holds no runs and no jobs (checked before
// and again under the locks), taking the locks and dropping the indexes and foreign keys; false
// when the target is not empty (nothing is left behind: the transaction is rolled back).
func (t *target) beginBulk(ctx context.Context, out io.Writer) (*bulkState, error) {
	if empty, err := targetEmpty(ctx, t.conn); err != nil || !empty {
		return nil, err
	}
	b := &bulkState{out: out}
	b.say("the target holds no runs and no jobs: loading everything in one transaction " +
		"(an interrupted import rolls back to an empty target; run it again to start over)")
	b.say("locking runs, jobs, job_nodes, nodes, queues and the maintained tables: until the import commits, " +
		"the server's requests that read or write them wait (a first import is meant to run before clients use the server)")
	tx, err := t.conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			tx.Rollback(context.Background())
		}
	}()
	if err := bulkload.LockTables(ctx, tx, bulkLockWait); err != nil {
		if isLockTimeout(err) {
			return nil, errBulkLocked
		}
		return nil, fmt.Errorf("locking the target's tables: %w", err)
	}
	if empty, err := targetEmpty(ctx, tx); err != nil || !empty {
		if err == nil {
			b.say("runs appeared meanwhile: importing batch by batch instead")
		}
		return nil, err
	}
	err = b.step("dropping indexes, foreign keys and triggers", func() error {
		if err := bulkload.SetTriggers(ctx, tx, bulkload.TriggerTables, false); err != nil {
			return err
		}
		var err error
		if b.indexes, err = bulkload.DropIndexes(ctx, tx, bulkload.IndexedTables); err != nil {
			return err
		}
		b.fkeys, err = bulkload.DropForeignKeys(ctx, tx, bulkload.ForeignKeyTables)
		return err
	})
	if err != nil {
		return nil, err
	}
	b.say("%d secondary indexes and %d foreign keys dropped, to be built at the end", len(b.indexes), len(b.fkeys))
	ok = true
	t.bulk = tx
	return b, nil
}

// finishBulk rebuilds what the triggers would have kept, builds the indexes and adds the
// foreign keys back, turns the triggers on, writes the completed checkpoint and commits.
// beforeCommit (a test hook) runs just before the commit.
func (t *target) finishBulk(ctx context.Context, b *bulkState, sourceKey string, lastRunID int64, beforeCommit func() error) error {
	tx := t.bulk
	steps := []struct {
		name string
		fn   func() error
	}{
		{"job_descriptions, failure_signatures, test_results and test_sha1s filled", func() error {
			// The rebuild's aggregates (distinct descriptions and reasons, test_sha1s' keys) hash in
			// memory rather than spill at the default 4 MB, for this transaction.
			if _, err := tx.Exec(ctx, `SELECT set_config('work_mem', $1, true)`, bulkWorkMem); err != nil {
				return err
			}
			return bulkload.FillJobTables(ctx, tx)
		}},
		{"runs' job counts set", func() error { return bulkload.CountRuns(ctx, tx) }},
		{"run_values counted", func() error { return bulkload.CountRunValues(ctx, tx) }},
		{"indexes built", func() error {
			return bulkload.CreateIndexes(ctx, tx, b.indexes, bulkload.BuildSettings{}, func(x bulkload.Index, d time.Duration) {
				b.say("  index %s built in %s", x.Name, d.Round(time.Millisecond))
			})
		}},
		{"foreign keys added and validated", func() error {
			return bulkload.AddForeignKeys(ctx, tx, b.fkeys, func(k bulkload.ForeignKey, d time.Duration) {
				b.say("  foreign key %s validated in %s", k.Name, d.Round(time.Millisecond))
			})
		}},
		{"triggers turned on and sequences checked", func() error {
			if err := bulkload.SetTriggers(ctx, tx, bulkload.TriggerTables, true); err != nil {
				return err
			}
			return bulkload.SetSequences(ctx, tx)
		}},
		{"tables analysed", func() error { return bulkload.Analyze(ctx, tx) }},
	}
	for _, s := range steps {
		if err := b.step(s.name, s.fn); err != nil {
			return err
		}
	}
	if err := saveCheckpoint(ctx, tx, sourceKey, lastRunID, true); err != nil {
		return err
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return err
		}
	}
	return b.step("committed", func() error {
		err := tx.Commit(ctx)
		t.bulk = nil
		return err
	})
}

// abortBulk rolls the bulk transaction back, if one is open.
func (t *target) abortBulk() {
	if t.bulk == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.bulk.Rollback(ctx)
	t.bulk = nil
}

// inTx runs fn in a transaction of its own or, during a bulk import, in the bulk transaction.
func (t *target) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	if t.bulk != nil {
		return fn(t.bulk)
	}
	return pgx.BeginFunc(ctx, t.conn, fn)
}

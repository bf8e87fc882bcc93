package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/gen/db"
)

// A pipeline sends the statements of a transaction in batches, each one round trip to PostgreSQL
// (pgx's pipeline mode), instead of one round trip a statement. The job writes, the server's
// busiest path, run this way: a round trip costs PostgreSQL about as much CPU as a small
// statement, and a job write holds its run's row lock across every round trip it makes.
//
// The statements are the generated queries, recorded rather than run (recorder), so their SQL
// stays in db/queries and their arguments are laid out by the generated code. A batch's
// statements run in order; after a failed one PostgreSQL skips the rest of the batch, so a COMMIT
// queued last runs only if everything before it succeeded. Without a BEGIN, each batch is a
// transaction of its own (PostgreSQL's implicit transaction of a pipeline: committed at its end,
// rolled back by a failed statement).
//
// Each transaction of a pipeline plans its statements once per connection (cachedPlans): the
// server's sessions plan every statement anew (plan_cache_mode = force_custom_plan, for the
// listings' optional conditions), but a write's statements have no optional conditions, and
// planning them anew cost more than running them (10k benchmark, pg_stat_statements with
// track_planning: ReadJobForWrite planned in 0.34 ms and ran in 0.07, LinkJobNodes 0.33 and 0.50).
type pipeline struct {
	conn  *pgx.Conn
	batch pgx.Batch
	inTx  bool // a BEGIN was queued, and no COMMIT since
	// commits: the next batch may commit (it queues a COMMIT, or statements outside a BEGIN);
	// committed: a batch sent may have. A failure before any batch may have committed is marked
	// uncommitted (outage.go).
	commits, committed bool
}

// rollbackTimeout bounds the ROLLBACK of a pipeline's failed transaction.
const rollbackTimeout = time.Second

// cachedPlans lets the transaction's statements use the plans PostgreSQL caches for them.
const cachedPlans = "SET LOCAL plan_cache_mode = auto"

// queue adds the statement that call's generated query sends to the next batch.
func (p *pipeline) queue(call func(q *db.Queries)) *pgx.QueuedQuery {
	var r recorder
	call(db.New(&r))
	return p.queueSQL(r.sql, r.args...)
}

// queueSQL adds a statement to the next batch, which, outside a BEGIN, is a transaction.
func (p *pipeline) queueSQL(sql string, args ...any) *pgx.QueuedQuery {
	if !p.inTx && p.batch.Len() == 0 {
		p.batch.Queue(cachedPlans)
	}
	if !p.inTx {
		p.commits = true
	}
	return p.batch.Queue(sql, args...)
}

// begin queues a BEGIN: the batches that follow are one transaction, until commit.
func (p *pipeline) begin() {
	p.batch.Queue("BEGIN")
	p.batch.Queue(cachedPlans)
	p.inTx = true
}

// commit queues the COMMIT of the transaction begin started.
func (p *pipeline) commit() {
	p.batch.Queue("COMMIT")
	p.inTx = false
	p.commits = true
}

// send runs the queued batch and the functions queued with its statements; it returns the first
// error, marked uncommitted when neither this batch nor an earlier one could commit.
func (p *pipeline) send(ctx context.Context) error {
	b := p.batch
	p.batch = pgx.Batch{}
	p.committed = p.committed || p.commits
	p.commits = false
	err := p.conn.SendBatch(ctx, &b).Close()
	if !p.committed {
		return notCommitted(err)
	}
	return err
}

// pipelineOnce runs fn on a connection of the primary's pool. fn queues its statements and sends
// them. A transaction fn began and leaves open when it fails is rolled back. The error is
// PostgreSQL's, not yet interpreted; it is marked uncommitted when no connection could be had.
// The caller retries it (attempt), saying why that is safe.
func (s *Store) pipelineOnce(ctx context.Context, fn func(p *pipeline) error) error {
	ran := false
	err := s.pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
		ran = true
		p := &pipeline{conn: c.Conn()}
		err := fn(p)
		if err != nil && p.conn.PgConn().TxStatus() != 'I' {
			// Even when the request is cancelled, and never for long; the pool closes a
			// connection it gets back inside a transaction, should this fail.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			_, _ = p.conn.Exec(rctx, "ROLLBACK")
			cancel()
		}
		return err
	})
	if !ran {
		return notCommitted(err)
	}
	return err
}

// errRecorded is what a recorded query returns to the generated code, which the recorder's
// caller ignores.
var errRecorded = errors.New("store: statement recorded, not run")

// recorder is a db.DBTX that runs nothing: it keeps the SQL and arguments of the one statement a
// generated query sends.
type recorder struct {
	sql  string
	args []any
}

func (r *recorder) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	r.sql, r.args = sql, args
	return pgconn.CommandTag{}, nil
}

func (r *recorder) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.sql, r.args = sql, args
	return nil, errRecorded
}

func (r *recorder) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	r.sql, r.args = sql, args
	return recordedRow{}
}

type recordedRow struct{}

func (recordedRow) Scan(...any) error { return errRecorded }

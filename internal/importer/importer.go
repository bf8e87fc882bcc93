// Package importer moves a lab over: it copies an upstream paddles database (upstream's own
// PostgreSQL schema, as `pecan populate` creates it) into this server's database.
//
// The import reads upstream in one read-only snapshot and writes in batches of whole runs (a
// run with all its job rows), each in one transaction: the rows are copied (COPY) into staging
// tables and upserted from there by natural key (runs by name, jobs by (run, job_id), nodes by
// name, queues by name), with a checkpoint that says how far the import got. An interrupted
// import resumes after its last committed batch; running a finished import again makes a full
// pass that rewrites only what changed upstream. Several upstream rows for one (run, job_id) are
// merged: the most recently updated wins (ties: the highest upstream id). Run statuses and job
// counts are not copied: this server's trigger derives them from the jobs.
//
// A first import into a target without runs or jobs is a bulk import instead (bulk.go): the same
// batches, in one transaction that locks the tables, with the secondary indexes, foreign keys and
// triggers off until the end, when the maintained tables are rebuilt (internal/database/bulkload).
// Options.NoBulk keeps the batch path.
//
// Verify compares the two databases afterwards: counts, and a random sample field by field.
package importer

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultBatchSize is Options.BatchSize's default.
const defaultBatchSize = 20000

// Options tune an import.
type Options struct {
	// BatchSize is about how many upstream rows (runs and job rows) go in one transaction; a run
	// is never split. Default 20000.
	BatchSize int
	// Restart ignores the checkpoint of an interrupted import and starts from the first run.
	Restart bool
	// NoBulk writes batch by batch, each in its own transaction, even into an empty target (which
	// is otherwise loaded in one transaction, in bulk: bulk.go).
	NoBulk bool
	// Progress receives progress reports (nil: none): one line rewritten in place when Terminal,
	// else a line every ProgressEvery (default 10 s).
	Progress      io.Writer
	Terminal      bool
	ProgressEvery time.Duration

	// Test hooks: afterBatch runs after batch n (from 1) committed; beforeCommit runs just before
	// batch n commits, and its error aborts the batch.
	afterBatch   func(n int)
	beforeCommit func(n int) error
	// upsertOnly writes every batch through the staging tables (never copyBatch); beforeCopy
	// runs when batch n has been found new, just before it is copied.
	upsertOnly bool
	beforeCopy func(n int)
	// beforeBulkCommit runs when a bulk import has rebuilt everything, just before it commits;
	// its error rolls the import back.
	beforeBulkCommit func() error
}

// Report tells what an import did. Counts of rows "written" leave out rows that were already
// stored as upstream has them.
type Report struct {
	Source       string
	Resumed      bool  // continued an interrupted import
	ResumedAfter int64 // from the run after this upstream run id
	Batches      int
	// Bulk says the import loaded an empty target in one transaction (bulk.go); BulkSteps are
	// its steps after the copy, timed (and the drops before it).
	Bulk      bool
	BulkSteps []BulkStep

	Runs, RunsWritten     int64
	Jobs, JobsWritten     int64 // distinct (run, job_id)
	JobRows               int64 // upstream job rows read
	Duplicates            int64 // job rows merged into another row of the same (run, job_id)
	Links, LinksWritten   int64 // distinct job-node links
	Nodes, NodesWritten   int64
	Queues, QueuesWritten int64

	Skipped Skipped
	Fixes   Fixes
	Elapsed time.Duration
}

// RowsPerSecond is the import's throughput in upstream rows (runs, job rows and links) per second.
func (r *Report) RowsPerSecond() float64 {
	return float64(r.Runs+r.Skipped.RunsWithoutName+r.JobRows+r.Links) / r.Elapsed.Seconds()
}

// Write prints the report.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "imported %s in %s (%.0f rows/s, %d batches)", r.Source, r.Elapsed.Round(time.Millisecond), r.RowsPerSecond(), r.Batches)
	if r.Resumed {
		fmt.Fprintf(w, ", resuming after upstream run id %d", r.ResumedAfter)
	}
	fmt.Fprintln(w)
	if r.Bulk {
		fmt.Fprintln(w, "bulk first import: one transaction; indexes, foreign keys and maintained tables built at the end:")
		for _, s := range r.BulkSteps {
			fmt.Fprintf(w, "%12s  %s\n", s.Elapsed.Round(time.Millisecond), s.Name)
		}
	}
	row := func(n int64, what string) { fmt.Fprintf(w, "%12d  %s\n", n, what) }
	row2 := func(n, m int64, what string) { fmt.Fprintf(w, "%12d  %s (%d written)\n", n, what, m) }
	row2(r.Runs, r.RunsWritten, "runs")
	row2(r.Jobs, r.JobsWritten, "jobs")
	row(r.JobRows, "upstream job rows read")
	row(r.Duplicates, "duplicate job rows merged (most recently updated kept)")
	row2(r.Links, r.LinksWritten, "job-node links")
	row2(r.Nodes, r.NodesWritten, "nodes")
	row2(r.Queues, r.QueuesWritten, "queues")
	writeSkipped(w, &r.Skipped)
	f := &r.Fixes
	for _, v := range []struct {
		n    int64
		what string
	}{
		{f.JSONNullText, `JSON values "null" stored as NULL`},
		{f.JSONEmpty, "empty JSON texts stored as NULL"},
		{f.JSONInvalid, "texts that are not JSON stored as JSON strings"},
		{f.NULStripped, "texts with NUL characters removed"},
		{f.InvalidUTF8, "texts with invalid UTF-8 repaired"},
		{f.InfiniteTimestamps, "infinite timestamps stored as NULL"},
		{f.MissingTimestamps, "missing posted/updated/scheduled times filled"},
		{f.InvalidStatus, "NULL or unknown job statuses stored as unknown"},
		{f.UnlockedOwners, "owners of unlocked nodes cleared"},
		{f.DroppedTags, "NULL, repeated or invalid run tags left out"},
	} {
		if v.n > 0 {
			row(v.n, v.what)
		}
	}
}

func writeSkipped(w io.Writer, s *Skipped) {
	for _, v := range []struct {
		n    int64
		what string
	}{
		{s.RunsWithoutName, "runs without a name skipped"},
		{s.JobsWithoutRun, "jobs without a run skipped"},
		{s.JobsOfUnnamedRuns, "jobs of runs without a name skipped"},
		{s.JobsWithoutJobID, "jobs without a job_id skipped"},
		{s.LinksToNoNode, "job-node links to missing nodes skipped"},
	} {
		if v.n > 0 {
			fmt.Fprintf(w, "%12d  %s\n", v.n, v.what)
		}
	}
}

// Import copies the upstream paddles database at sourceURL into target, which must have this
// server's schema (migrated).
func Import(ctx context.Context, sourceURL string, target *pgxpool.Pool, opts Options) (*Report, error) {
	start := time.Now()
	if opts.BatchSize <= 0 {
		opts.BatchSize = defaultBatchSize
	}
	src, err := openSource(ctx, sourceURL)
	if err != nil {
		return nil, err
	}
	defer src.close()
	if err := src.checkRunNames(ctx); err != nil {
		return nil, err
	}
	dst, err := openTarget(ctx, target)
	if err != nil {
		return nil, err
	}
	defer dst.close()
	dst.upsertOnly = opts.upsertOnly
	if src.hasRunTags() {
		dst.runsUpsert = runsUpsertTags
	}

	r := &Report{Source: src.key}
	cp, err := dst.checkpoint(ctx, src.key)
	if err != nil {
		return nil, err
	}
	var bulk *bulkState
	if bulkEligible(cp, &opts) {
		if bulk, err = dst.beginBulk(ctx, opts.Progress); err != nil {
			return nil, fmt.Errorf("bulk import: %w", err)
		}
	}
	// An error from here on rolls a bulk import back.
	defer dst.abortBulk()
	var after int64
	if bulk != nil {
		r.Bulk = true
	} else if cp != nil && !cp.completed && !opts.Restart {
		r.Resumed, r.ResumedAfter, after = true, cp.lastRunID, cp.lastRunID
	}

	queues, err := src.readQueues(ctx, &r.Fixes)
	if err != nil {
		return r, err
	}
	r.Queues = int64(len(queues))
	if r.QueuesWritten, err = dst.writeQueues(ctx, queues); err != nil {
		return r, err
	}
	nodes, err := src.readNodes(ctx, &r.Fixes)
	if err != nil {
		return r, err
	}
	r.Nodes = int64(len(nodes))
	nodeIDs, n, err := dst.writeNodes(ctx, nodes)
	if err != nil {
		return r, err
	}
	r.NodesWritten = n
	if err := src.tx.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE run_id IS NULL`).Scan(&r.Skipped.JobsWithoutRun); err != nil {
		return r, err
	}

	spans, err := src.plan(ctx, after, opts.BatchSize)
	if err != nil {
		return r, err
	}
	if err := dst.saveCheckpoint(ctx, src.key, after, false); err != nil {
		return r, err
	}
	var total int64
	for _, sp := range spans {
		total += sp.runs + sp.jobs
	}
	prog := startProgress("import", opts.Progress, opts.Terminal, opts.ProgressEvery, total)
	err = r.copyRuns(ctx, src, dst, spans, nodeIDs, prog, &opts)
	prog.finish()
	if err != nil {
		return r, err
	}
	last := after
	if len(spans) > 0 {
		last = spans[len(spans)-1].hi
	}
	if bulk != nil {
		err = dst.finishBulk(ctx, bulk, src.key, last, opts.beforeBulkCommit)
		r.BulkSteps = bulk.steps
		if err != nil {
			return r, fmt.Errorf("bulk import: %w", err)
		}
	} else if err := dst.saveCheckpoint(ctx, src.key, last, true); err != nil {
		return r, err
	}
	r.Elapsed = time.Since(start)
	return r, nil
}

// copyRuns copies the spans: one goroutine reads and converts the next batch from upstream while
// this one writes the current batch.
func (r *Report) copyRuns(ctx context.Context, src *source, dst *target, spans []span, nodeIDs map[int64]int64, prog *progress, opts *Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		for _, sp := range spans {
			b, err := src.readBatch(ctx, sp, nodeIDs)
			if err != nil {
				readErr <- fmt.Errorf("reading upstream runs %d to %d: %w", sp.lo+1, sp.hi, err)
				return
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	drain := func() {
		cancel()
		for range batches {
		}
	}
	for b := range batches {
		n := r.Batches + 1
		var hook func() error
		if opts.beforeCommit != nil {
			hook = func() error { return opts.beforeCommit(n) }
		}
		if opts.beforeCopy != nil {
			dst.beforeCopy = func() { opts.beforeCopy(n) }
		}
		w, err := dst.writeBatch(ctx, b, src.key, hook)
		if err != nil {
			drain()
			return fmt.Errorf("writing upstream runs %d to %d: %w", b.span.lo+1, b.span.hi, err)
		}
		r.Batches = n
		r.Runs += int64(len(b.runs))
		r.RunsWritten += w.runs
		r.Jobs += int64(len(b.jobs))
		r.JobsWritten += w.jobs
		r.JobRows += b.jobRows
		r.Duplicates += b.jobRows - b.skipped.JobsOfUnnamedRuns - b.skipped.JobsWithoutJobID - int64(len(b.jobs))
		r.Links += int64(len(b.links))
		r.LinksWritten += w.links
		r.Skipped.add(&b.skipped)
		r.Fixes.add(&b.fixes)
		prog.add(b.span.runs, b.jobRows)
		if opts.afterBatch != nil {
			opts.afterBatch(n)
		}
	}
	select {
	case err := <-readErr:
		return err
	default:
	}
	return ctx.Err()
}

// DryRun counts what an import of the upstream database at sourceURL would write, without
// touching any database. Of opts, only the progress fields count.
func DryRun(ctx context.Context, sourceURL string, opts Options) (Counts, error) {
	src, err := openSource(ctx, sourceURL)
	if err != nil {
		return Counts{}, err
	}
	defer src.close()
	if err := src.checkRunNames(ctx); err != nil {
		return Counts{}, err
	}
	return src.counts(ctx, opts.Progress, opts.Terminal, opts.ProgressEvery)
}

// Write prints the counts of a dry run.
func (c *Counts) Write(w io.Writer) {
	row := func(n int64, what string) { fmt.Fprintf(w, "%12d  %s\n", n, what) }
	row(c.Runs, "runs")
	row(c.Jobs, "jobs (distinct run and job_id)")
	row(c.JobRows, "upstream job rows")
	row(c.Duplicates, "duplicate job rows to merge")
	row(c.Links, "job-node links")
	row(c.Nodes, "nodes")
	row(c.Queues, "queues")
	writeSkipped(w, &c.Skipped)
}

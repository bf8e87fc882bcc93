//go:build importbench

package importer

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Floor is what the import's writes are measured against.
type Floor struct {
	Batches           int
	Runs, Jobs, Links int64
	Write             time.Duration // the COPYs and commits only
	Read              time.Duration // reading and converting upstream, not part of the floor
}

// CopyFloor writes the import's rows into target, an empty database with this server's schema,
// as fast as PostgreSQL takes them: the same rows the import would write (read from upstream and
// converted by the import's own reader, batch by batch, duplicates merged), each batch in one
// transaction of three plain COPYs straight into runs, jobs and job_nodes (ids and the links' posted times
// given, so nothing is looked up), with the target's indexes, foreign keys and triggers as they are. Write counts
// only those COPYs and commits; reading and converting upstream (which the import overlaps with
// its writes) is timed apart. The nodes are written first, as the import writes them (untimed).
func CopyFloor(ctx context.Context, sourceURL string, target *pgxpool.Pool, batchSize int) (*Floor, error) {
	if batchSize <= 0 {
		batchSize = defaultBatchSize
	}
	src, err := openSource(ctx, sourceURL)
	if err != nil {
		return nil, err
	}
	defer src.close()
	dst, err := openTarget(ctx, target)
	if err != nil {
		return nil, err
	}
	defer dst.close()
	var fx Fixes
	nodes, err := src.readNodes(ctx, &fx)
	if err != nil {
		return nil, err
	}
	nodeIDs, _, err := dst.writeNodes(ctx, nodes)
	if err != nil {
		return nil, err
	}
	spans, err := src.plan(ctx, 0, batchSize)
	if err != nil {
		return nil, err
	}
	f := &Floor{}
	for _, sp := range spans {
		t0 := time.Now()
		b, err := src.readBatch(ctx, sp, nodeIDs)
		if err != nil {
			return nil, err
		}
		t1 := time.Now()
		f.Read += t1.Sub(t0)
		jobs := make(map[jobKey][]any, len(b.jobs))
		for _, j := range b.jobs {
			jobs[jobKey{j[1].(int64), j[jobOff+jobJobID].(string)}] = j
		}
		var links [][]any
		for _, l := range b.links {
			if j, ok := jobs[jobKey{l[1].(int64), l[2].(string)}]; ok {
				links = append(links, []any{l[0], j[0], j[jobOff+jobPosted]})
			}
		}
		err = pgx.BeginFunc(ctx, dst.conn, func(tx pgx.Tx) error {
			// Upstream's ids serve as ours: runs.id and jobs.id take them as given (COPY writes
			// identity columns), so jobs carry their run's id and links their job's.
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"runs"}, columnNames([]string{"id"}, runColumns), pgx.CopyFromRows(b.runs)); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"jobs"}, columnNames([]string{"id", "run_id"}, jobColumns), pgx.CopyFromRows(b.jobs)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"job_nodes"}, []string{"node_id", "job_id", "posted"}, pgx.CopyFromRows(links))
			return err
		})
		if err != nil {
			return nil, err
		}
		f.Write += time.Since(t1)
		f.Batches++
		f.Runs += int64(len(b.runs))
		f.Jobs += int64(len(b.jobs))
		f.Links += int64(len(links))
	}
	return f, nil
}

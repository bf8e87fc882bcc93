package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ceph/paddles-go/internal/database/bulkload"
	"github.com/ceph/paddles-go/internal/httpapi"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// jobColumns are the jobs table's columns, with id first.
var jobColumns = append([]string{"id", "run_id"}, store.ColumnNames(store.JobColumns)...)

func jobRow(j *paddles.Job) []any {
	row := append([]any{j.ID, j.RunID}, store.JobValues(j)...)
	for i, v := range row {
		if r, ok := v.(json.RawMessage); ok {
			row[i] = rawJSON(r)
		}
	}
	return row
}

// rawJSON passes a stored JSON value to COPY as SQL NULL when absent.
func rawJSON(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	return string(v)
}

// seed loads the world with COPY: nodes, runs, jobs (with the job triggers disabled and the
// secondary indexes dropped, then built again), the job-node links, what the job triggers keep
// (descriptions, test results, failure signatures), then one UPDATE that sets every run's counts
// and times from its jobs, as the trigger and the service would have. The identity sequences are moved past the ids used.
func seed(ctx context.Context, pool *pgxpool.Pool, w *world, log *slog.Logger) (map[string]float64, error) {
	timings := map[string]float64{}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	var nonEmpty bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM runs) OR EXISTS (SELECT 1 FROM nodes)").Scan(&nonEmpty); err != nil {
		return nil, err
	}
	if nonEmpty {
		return nil, fmt.Errorf("the database already holds runs or nodes; the benchmark needs an empty one")
	}
	step := func(name string, fn func(tx pgx.Tx) error) error {
		start := time.Now()
		err := pgx.BeginFunc(ctx, conn, fn)
		timings[name] = time.Since(start).Seconds()
		log.Info("seeded", "step", name, "seconds", fmt.Sprintf("%.1f", timings[name]))
		return err
	}
	err = step("nodes", func(tx pgx.Tx) error {
		rows := make([][]any, len(w.nodes))
		for i, n := range w.nodes {
			rows[i] = []any{n.id, n.name, n.machineType, true, "x86_64", "ubuntu", "22.04", n.sshKey}
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"nodes"},
			[]string{"id", "name", "machine_type", "up", "arch", "os_type", "os_version", "ssh_pub_key"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return nil, err
	}
	err = step("runs", func(tx pgx.Tx) error {
		rows := make([][]any, len(w.runs))
		for i, s := range w.runs {
			info := paddles.ParseRunName(s.name)
			rows[i] = []any{s.id, s.name, info.User, s.scheduled, s.suite, s.branch, s.machineType, s.scheduled}
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"runs"},
			[]string{"id", "name", "user", "scheduled", "suite", "branch", "machine_type", "posted"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return nil, err
	}
	// Secondary indexes are built once the rows are in, which is several times faster than
	// maintaining them row by row; those behind constraints stay (internal/database/bulkload,
	// which paddles import's bulk first import uses too).
	var indexes []bulkload.Index
	err = step("drop_indexes", func(tx pgx.Tx) error {
		var err error
		indexes, err = bulkload.DropIndexes(ctx, tx, bulkload.IndexedTables)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Jobs are made by a producer goroutine (the server's own parser reads each body) while COPY
	// streams them; links are kept for the next step.
	type link struct {
		node, job int64
		posted    time.Time
	}
	type item struct {
		row   []any
		links []link
		err   error
	}
	var links []link
	err = step("jobs", func(tx pgx.Tx) error {
		if err := bulkload.SetTriggers(ctx, tx, []string{"jobs"}, false); err != nil {
			return err
		}
		ch := make(chan item, 1024)
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			defer close(ch)
			for _, s := range w.runs {
				for k := 0; k < s.njobs; k++ {
					spec := w.job(s, k)
					job, err := w.stored(&spec)
					it := item{err: err}
					if err == nil {
						it.row = jobRow(&job)
						for _, h := range spec.hosts {
							it.links = append(it.links, link{w.nodes[h].id, job.ID, job.Posted})
						}
					}
					select {
					case ch <- it:
					case <-pctx.Done():
						return
					}
				}
			}
		}()
		n, done := 0, 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			it, ok := <-ch
			if !ok {
				return nil, nil
			}
			if it.err != nil {
				return nil, it.err
			}
			links = append(links, it.links...)
			n++
			if n-done >= 100000 {
				done = n
				log.Info("seeding jobs", "done", n, "of", w.jobs)
			}
			return it.row, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"jobs"}, jobColumns, src); err != nil {
			return err
		}
		return bulkload.SetTriggers(ctx, tx, []string{"jobs"}, true)
	})
	if err != nil {
		return nil, err
	}
	// The links carry their job's posted time, which a trigger would look up row by row.
	err = step("job_nodes", func(tx pgx.Tx) error {
		if err := bulkload.SetTriggers(ctx, tx, []string{"job_nodes"}, false); err != nil {
			return err
		}
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(links) {
				return nil, nil
			}
			i++
			l := links[i-1]
			return []any{l.node, l.job, l.posted}, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"job_nodes"}, []string{"node_id", "job_id", "posted"}, src); err != nil {
			return err
		}
		return bulkload.SetTriggers(ctx, tx, []string{"job_nodes"}, true)
	})
	if err != nil {
		return nil, err
	}
	// What the job triggers keep, off while the jobs were copied: the distinct descriptions, each
	// job's test result and the failure signatures, each distinct reason normalised once; and what
	// test_results' triggers keep, off too, the counts per test and sha1, in one aggregate.
	err = step("test_results", func(tx pgx.Tx) error {
		if err := bulkload.SetTriggers(ctx, tx, []string{"test_results"}, false); err != nil {
			return err
		}
		if err := bulkload.FillJobTables(ctx, tx); err != nil {
			return err
		}
		return bulkload.SetTriggers(ctx, tx, []string{"test_results"}, true)
	})
	if err != nil {
		return nil, err
	}
	err = step("create_indexes", func(tx pgx.Tx) error {
		return bulkload.CreateIndexes(ctx, tx, indexes, bulkload.BuildSettings{}, func(x bulkload.Index, d time.Duration) {
			log.Info("seeding: index built", "index", x.Def, "seconds", fmt.Sprintf("%.1f", d.Seconds()))
		})
	})
	if err != nil {
		return nil, err
	}
	// The runs' counts as the jobs' trigger keeps them (runs' own triggers, on, count run_values),
	// then their times from their jobs, as the service sets them.
	err = step("run_counts", func(tx pgx.Tx) error {
		if err := bulkload.CountRuns(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			UPDATE runs r SET posted = c.posted, started = c.started, updated = c.updated
			FROM (SELECT run_id, min(posted) AS posted, min(started) AS started, max(updated) AS updated FROM jobs GROUP BY run_id) c
			WHERE r.id = c.run_id`)
		if err != nil {
			return err
		}
		return bulkload.SetSequences(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	// A production database has been vacuumed and analysed by autovacuum.
	start := time.Now()
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) runs, jobs, nodes, job_nodes, job_descriptions, test_results, test_sha1s, failure_signatures"); err != nil {
		return nil, err
	}
	timings["vacuum_analyze"] = time.Since(start).Seconds()
	log.Info("seeded", "step", "vacuum_analyze", "seconds", fmt.Sprintf("%.1f", timings["vacuum_analyze"]))
	return timings, nil
}

// verify reads a sample of the seeded data through the API: every sampled job must come back
// byte for byte as the server's own encoder writes the job the generator meant, and every sampled
// run with the counts of its jobs.
func verify(ctx context.Context, client *http.Client, base string, w *world, n int) (int, error) {
	r := rand.New(rand.NewPCG(w.seed, 99))
	checked := 0
	for i := 0; i < n; i++ {
		s := w.runs[r.IntN(len(w.runs))]
		spec := w.job(s, r.IntN(s.njobs))
		job, err := w.stored(&spec)
		if err != nil {
			return checked, err
		}
		href := func(j *paddles.Job) string {
			return replaceAll(httpapi.DefaultJobLogHrefTemplate, "{run_name}", s.name, "{job_id}", j.JobID)
		}
		want := paddles.AppendJob(nil, &job, nil, href)
		got, err := get(ctx, client, base+"/runs/"+pathEscape(s.name)+"/jobs/"+spec.jobID+"/")
		if err != nil {
			return checked, err
		}
		if !bytes.Equal(got, want) {
			return checked, fmt.Errorf("seeded job %s/%s reads back as\n%s\nwant\n%s", s.name, spec.jobID, got, want)
		}
		var run struct {
			Results map[string]any `json:"results"`
			Jobs    []json.RawMessage
		}
		b, err := get(ctx, client, base+"/runs/"+pathEscape(s.name)+"/")
		if err != nil {
			return checked, err
		}
		if err := json.Unmarshal(b, &run); err != nil {
			return checked, err
		}
		counts := map[string]int{}
		for k := 0; k < s.njobs; k++ {
			counts[w.job(s, k).status]++
		}
		for _, st := range paddles.JobStatuses {
			if got := int(run.Results[st].(float64)); got != counts[st] {
				return checked, fmt.Errorf("seeded run %s has %d %s jobs, want %d", s.name, got, st, counts[st])
			}
		}
		if len(run.Jobs) != s.njobs {
			return checked, fmt.Errorf("seeded run %s lists %d jobs, want %d", s.name, len(run.Jobs), s.njobs)
		}
		checked++
	}
	return checked, nil
}

func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, res.Status, b)
	}
	return b, nil
}

package testserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// RecountSQL compares what the triggers maintain with a recomputation from the jobs and runs. Each
// column counts one kind of disagreement (recountColumns); every one must be 0. The runs' status
// follows upstream's Run.set_status table (paddles-api.md 6.3).
const RecountSQL = `
WITH actual AS (
    SELECT r.id, r.status,
           r.queued_count, r.pass_count, r.running_count, r.waiting_count, r.fail_count, r.dead_count, r.unknown_count,
           count(j.id) FILTER (WHERE j.status = 'queued')  AS queued,
           count(j.id) FILTER (WHERE j.status = 'pass')    AS pass,
           count(j.id) FILTER (WHERE j.status = 'running') AS running,
           count(j.id) FILTER (WHERE j.status = 'waiting') AS waiting,
           count(j.id) FILTER (WHERE j.status = 'fail')    AS fail,
           count(j.id) FILTER (WHERE j.status = 'dead')    AS dead,
           count(j.id) FILTER (WHERE j.status = 'unknown') AS unknown,
           count(j.id) AS total
    FROM runs r LEFT JOIN jobs j ON j.run_id = r.id
    GROUP BY r.id
), wrong AS (
    SELECT id FROM actual
    WHERE (queued_count, pass_count, running_count, waiting_count, fail_count, dead_count, unknown_count)
          <> (queued, pass, running, waiting, fail, dead, unknown)
       OR status <> CASE
            WHEN total = 0 THEN 'empty'
            WHEN queued = total THEN 'queued'
            WHEN running > 0 THEN 'running'
            WHEN waiting > 0 THEN 'waiting'
            WHEN dead = total THEN 'finished dead'
            WHEN fail > 0 THEN 'finished fail'
            WHEN dead > 0 THEN 'finished fail'
            WHEN pass = total THEN 'finished pass'
            WHEN queued > 0 THEN 'queued'
            ELSE 'unknown' END
), recounted AS (
    SELECT rk.key, rk.value, count(*) AS runs
    FROM runs r, run_keys(r.status, r.branch, r.suite, r.machine_type, r."user", r.scheduled) rk GROUP BY 1, 2
    UNION ALL
    SELECT 'tag', t.tag, count(*) FROM runs r, unnest(r.tags) t (tag) GROUP BY 2
)
SELECT (SELECT count(*) FROM wrong),
       (SELECT count(*) FROM (SELECT 1 FROM jobs GROUP BY run_id, job_id HAVING count(*) > 1) d),
       (SELECT count(*) FROM run_values v FULL JOIN recounted k USING (key, value)
        WHERE COALESCE(v.runs, 0) <> COALESCE(k.runs, 0)),
       (SELECT count(*) FROM jobs j WHERE j.description IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM job_descriptions d WHERE d.id = md5(j.description)::uuid AND d.description = j.description)),
       (SELECT count(*) FROM jobs j FULL JOIN test_results t USING (id)
        WHERE (j.job_id, j.run_id, md5(j.description)::uuid, j.posted, j.status, j.sha1, md5(job_signature(j.status, j.failure_reason))::uuid)
              IS DISTINCT FROM (t.job_id, t.run_id, t.test_id, t.posted, t.status, t.sha1, t.signature_id)
           OR t.signature_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM failure_signatures s WHERE s.id = t.signature_id)),
       (SELECT count(*) FROM test_sha1s s FULL JOIN (
    SELECT t.test_id, t.sha1, COALESCE(r.branch, '') AS branch, COALESCE(r.suite, '') AS suite,
           COALESCE(r.machine_type, '') AS machine_type,
           count(*) FILTER (WHERE t.status = 'pass') AS pass, count(*) FILTER (WHERE t.status <> 'pass') AS fail,
           max(t.posted) AS last_posted
    FROM test_results t JOIN runs r ON r.id = t.run_id
    WHERE t.test_id IS NOT NULL AND t.sha1 IS NOT NULL AND t.status IN ('pass', 'fail', 'dead')
    GROUP BY 1, 2, 3, 4, 5
        ) c USING (test_id, sha1, branch, suite, machine_type)
        WHERE (COALESCE(s.pass, 0), COALESCE(s.fail, 0)) <> (COALESCE(c.pass, 0), COALESCE(c.fail, 0))
           OR s.last_posted < c.last_posted),
       (SELECT count(*) FROM job_nodes l JOIN jobs j ON j.id = l.job_id WHERE l.posted IS DISTINCT FROM j.posted)`

// recountColumns says what each of RecountSQL's columns counts.
var recountColumns = []string{
	"runs with counts or status that disagree with their jobs",
	"duplicated jobs",
	"run values counted wrong",
	"job descriptions missing",
	"test results that disagree with their jobs",
	"test sha1s counted wrong",
	"links whose posted is not their job's",
}

// Recount is the number of disagreements of each kind between the maintained tables of the
// database conn reaches and a recomputation, in the order of RecountKinds.
func Recount(ctx context.Context, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) ([]int64, error) {
	v := make([]int64, len(recountColumns))
	ptrs := make([]any, len(v))
	for i := range v {
		ptrs[i] = &v[i]
	}
	return v, conn.QueryRow(ctx, RecountSQL).Scan(ptrs...)
}

// RecountKinds names the kinds of disagreement Recount counts, in its order.
func RecountKinds() []string { return append([]string(nil), recountColumns...) }

// RecountErrors describes the non-zero counts of Recount, or is empty when the tables agree.
func RecountErrors(v []int64) string {
	var out []string
	for i, n := range v {
		if n != 0 {
			out = append(out, fmt.Sprintf("%d %s", n, recountColumns[i]))
		}
	}
	return strings.Join(out, "; ")
}

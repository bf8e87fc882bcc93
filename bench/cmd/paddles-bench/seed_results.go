package main

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// seedResults fills what the jobs' triggers keep and COPY ran without: job_descriptions
// (migration 00007), failure_signatures and test_results (00011), with the triggers' own SQL.
func seedResults(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO job_descriptions (id, description)
		SELECT DISTINCT ON (1) md5(description)::uuid, description FROM jobs WHERE description IS NOT NULL
		ORDER BY 1
		ON CONFLICT DO NOTHING;

		WITH n AS (
			SELECT j.id, j.job_id, j.run_id, md5(j.description)::uuid AS test_id, j.posted, j.status, j.sha1,
			       j.failure_reason, job_signature(j.status, j.failure_reason) AS signature
			FROM jobs j
		), s AS (
			INSERT INTO failure_signatures (id, signature, example)
			SELECT DISTINCT ON (1) md5(signature)::uuid, signature, failure_reason FROM n
			WHERE signature IS NOT NULL ORDER BY 1, id
			ON CONFLICT DO NOTHING
		)
		INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1, signature_id)
		SELECT id, job_id, run_id, test_id, posted, status, sha1, md5(signature)::uuid FROM n`)
	return err
}

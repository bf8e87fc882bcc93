-- +goose NO TRANSACTION
-- +goose Up
-- Incremental reads (issue 19): ?updated_since= on /runs/, /runs/{name}/jobs/ and /jobs/ selects
-- what changed at or after a time, so that a poller asks for that only. A run's or a job's
-- `updated` is read off an index of its own: jobs_expiry_idx (00002) holds the unfinished jobs
-- only, and runs had none. filtered_runs and job_search gain the condition as overloads with one
-- more argument; the previous release calls the ones without it, which stay (README.md, expand
-- first). A run's jobs are read by run (jobs_run_posted_idx) and need nothing new.
--
-- Online (README.md): the indexes are built concurrently, after dropping what an interrupted
-- build left; the functions are new, and lock no table.
SET lock_timeout = '1s';
-- +goose StatementBegin
DO $$
DECLARE
    idx text;
BEGIN
    FOR idx IN SELECT indexrelid::regclass::text FROM pg_index
               WHERE NOT indisvalid AND indexrelid::regclass::text IN ('runs_updated_idx', 'jobs_updated_idx') LOOP
        EXECUTE 'DROP INDEX ' || idx;
    END LOOP;
END
$$;
-- +goose StatementEnd
SET lock_timeout = '5min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_updated_idx ON runs (updated);
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_updated_idx ON jobs (updated);
SET lock_timeout = '1s';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION filtered_runs(
    f_branch text, f_suite text, f_machine_type text, f_status text, f_user text,
    f_run_ids bigint[], f_flavor text, f_scheduled_from timestamptz, f_scheduled_before timestamptz,
    f_tags text[], f_updated_since timestamptz
) RETURNS SETOF runs LANGUAGE sql STABLE AS $$
    SELECT r.* FROM runs r
    WHERE (f_branch IS NULL OR r.branch = f_branch)
      AND (f_suite IS NULL OR r.suite = f_suite)
      AND (f_machine_type IS NULL OR r.machine_type = f_machine_type)
      AND (f_status IS NULL OR r.status = f_status)
      AND (f_user IS NULL OR r."user" = f_user)
      AND (f_run_ids IS NULL OR r.id = ANY(f_run_ids))
      AND (f_flavor IS NULL OR r.id IN (SELECT j.run_id FROM jobs j WHERE j.flavor = f_flavor))
      AND (f_scheduled_from IS NULL OR r.scheduled >= f_scheduled_from)
      AND (f_scheduled_before IS NULL OR r.scheduled < f_scheduled_before)
      AND (f_tags IS NULL OR r.tags @> f_tags)
      AND (f_updated_since IS NULL OR r.updated >= f_updated_since)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION job_search(
    f_description_like text, f_statuses text[], f_sha1 text, f_branch text, f_user text,
    f_posted_after timestamptz, f_posted_before timestamptz, f_updated_since timestamptz
) RETURNS SETOF jobs LANGUAGE sql STABLE AS $$
    SELECT j.* FROM jobs j
    WHERE (f_description_like IS NULL OR j.description LIKE f_description_like)
      AND (f_statuses IS NULL OR j.status = ANY(f_statuses))
      AND (f_sha1 IS NULL OR j.sha1 = f_sha1)
      AND (f_branch IS NULL OR j.branch = f_branch)
      AND (f_user IS NULL OR j."user" = f_user)
      AND (f_posted_after IS NULL OR j.posted > f_posted_after)
      AND (f_posted_before IS NULL OR j.posted < f_posted_before)
      AND (f_updated_since IS NULL OR j.updated >= f_updated_since)
$$;
-- +goose StatementEnd
RESET lock_timeout;

-- +goose Down
DROP FUNCTION IF EXISTS job_search(text, text[], text, text, text, timestamptz, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS filtered_runs(text, text, text, text, text, bigint[], text, timestamptz, timestamptz, text[], timestamptz);
DROP INDEX IF EXISTS jobs_updated_idx;
DROP INDEX IF EXISTS runs_updated_idx;

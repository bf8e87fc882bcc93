-- +goose Up
-- Run filters, the job search and job expiry.

-- Filtered run listings are ordered by schedule time; each filter column leads an index in that
-- order so that a filtered page is read straight off an index.
CREATE INDEX runs_scheduled_idx ON runs (scheduled DESC, id DESC);
CREATE INDEX runs_branch_idx ON runs (branch, scheduled DESC, id DESC);
CREATE INDEX runs_suite_idx ON runs (suite, scheduled DESC, id DESC);
CREATE INDEX runs_machine_type_idx ON runs (machine_type, scheduled DESC, id DESC);
CREATE INDEX runs_status_idx ON runs (status, scheduled DESC, id DESC);
CREATE INDEX runs_user_idx ON runs ("user", scheduled DESC, id DESC);
CREATE INDEX runs_queued_idx ON runs (scheduled, id) WHERE queued_count > 0;

-- sha1 filters are prefix matches (LIKE 'abc%'), which need text_pattern_ops under any collation.
CREATE INDEX jobs_sha1_idx ON jobs (sha1 text_pattern_ops, run_id);
CREATE INDEX jobs_flavor_idx ON jobs (flavor, run_id);
-- The job search lists the newest jobs first.
CREATE INDEX jobs_posted_idx ON jobs (posted DESC, id DESC);
-- Expiry looks for old jobs in the statuses it ends.
CREATE INDEX jobs_expiry_idx ON jobs (updated) WHERE status IN ('running', 'waiting', 'unknown', 'queued');

-- filtered_runs is the one definition of a run filter; a NULL argument does not filter. It is a
-- plain SQL function, which PostgreSQL inlines into each query using it, so the indexes above
-- still serve (the connection plans with the actual values: plan_cache_mode force_custom_plan).
-- +goose StatementBegin
CREATE FUNCTION filtered_runs(
    f_branch text, f_suite text, f_machine_type text, f_status text, f_user text,
    f_sha1_prefix text, f_flavor text, f_scheduled_from timestamptz, f_scheduled_before timestamptz
) RETURNS SETOF runs LANGUAGE sql STABLE AS $$
    SELECT r.* FROM runs r
    WHERE (f_branch IS NULL OR r.branch = f_branch)
      AND (f_suite IS NULL OR r.suite = f_suite)
      AND (f_machine_type IS NULL OR r.machine_type = f_machine_type)
      AND (f_status IS NULL OR r.status = f_status)
      AND (f_user IS NULL OR r."user" = f_user)
      AND (f_sha1_prefix IS NULL OR r.id IN (
          SELECT j.run_id FROM jobs j WHERE j.sha1 LIKE f_sha1_prefix || '%'))
      AND (f_flavor IS NULL OR r.id IN (SELECT j.run_id FROM jobs j WHERE j.flavor = f_flavor))
      AND (f_scheduled_from IS NULL OR r.scheduled >= f_scheduled_from)
      AND (f_scheduled_before IS NULL OR r.scheduled < f_scheduled_before)
$$;
-- +goose StatementEnd

-- searched_jobs is the one definition of the job search (GET /jobs/), likewise.
-- +goose StatementBegin
CREATE FUNCTION searched_jobs(
    f_description_like text, f_status text, f_sha1 text, f_branch text, f_user text,
    f_posted_after timestamptz, f_posted_before timestamptz
) RETURNS SETOF jobs LANGUAGE sql STABLE AS $$
    SELECT j.* FROM jobs j
    WHERE (f_description_like IS NULL OR j.description LIKE f_description_like)
      AND (f_status IS NULL OR j.status = f_status)
      AND (f_sha1 IS NULL OR j.sha1 = f_sha1)
      AND (f_branch IS NULL OR j.branch = f_branch)
      AND (f_user IS NULL OR j."user" = f_user)
      AND (f_posted_after IS NULL OR j.posted > f_posted_after)
      AND (f_posted_before IS NULL OR j.posted < f_posted_before)
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION searched_jobs;
DROP FUNCTION filtered_runs;
DROP INDEX jobs_expiry_idx, jobs_posted_idx, jobs_flavor_idx, jobs_sha1_idx, runs_queued_idx, runs_user_idx,
    runs_status_idx, runs_machine_type_idx, runs_suite_idx, runs_branch_idx, runs_scheduled_idx;

-- +goose Up
-- GET /jobs/ takes several statuses at once (status=fail,dead: what a rerun of failures asks for).
-- job_search is searched_jobs (00002) with a list of statuses (NULL: any), the one definition of
-- the job search from now on. searched_jobs stays for the previous release, which still calls it
-- (README.md, expand first); a later release drops it.
--
-- Online (README.md): a new function; no lock on any table.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION job_search(
    f_description_like text, f_statuses text[], f_sha1 text, f_branch text, f_user text,
    f_posted_after timestamptz, f_posted_before timestamptz
) RETURNS SETOF jobs LANGUAGE sql STABLE AS $$
    SELECT j.* FROM jobs j
    WHERE (f_description_like IS NULL OR j.description LIKE f_description_like)
      AND (f_statuses IS NULL OR j.status = ANY(f_statuses))
      AND (f_sha1 IS NULL OR j.sha1 = f_sha1)
      AND (f_branch IS NULL OR j.branch = f_branch)
      AND (f_user IS NULL OR j."user" = f_user)
      AND (f_posted_after IS NULL OR j.posted > f_posted_after)
      AND (f_posted_before IS NULL OR j.posted < f_posted_before)
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION IF EXISTS job_search(text, text[], text, text, text, timestamptz, timestamptz);

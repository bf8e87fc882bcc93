-- +goose Up
-- A sha1 filter matches few runs, but "f_sha1_prefix IS NULL OR r.id IN (...)" kept the planner
-- from starting at the matching jobs: it scanned every run newest first. The service now looks the
-- runs up by sha1 prefix first (jobs_sha1_idx) and passes their ids.
DROP FUNCTION filtered_runs;
-- +goose StatementBegin
CREATE FUNCTION filtered_runs(
    f_branch text, f_suite text, f_machine_type text, f_status text, f_user text,
    f_run_ids bigint[], f_flavor text, f_scheduled_from timestamptz, f_scheduled_before timestamptz
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
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION filtered_runs;
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

-- +goose NO TRANSACTION
-- +goose Up
-- Run tags (upstream's ceph/paddles#140): a run carries a set of short labels, set when it is
-- created or by PUT /runs/{name}/. A tag filter (?tags=a,b: runs carrying all of them) is a GIN
-- index lookup; how many runs carry each tag is kept in run_values under the key 'tag', like the
-- other value lists, so /runs/tag/ and a one-tag filter's total read a few rows.
--
-- Online (README.md): the column has a constant default, a catalog change; the index is built
-- concurrently; the triggers and the recount of the tags (none yet, unless this migration is run
-- again) are one short transaction under the lock runs_count_values' migration takes.
SET lock_timeout = '1s';
ALTER TABLE runs ADD COLUMN IF NOT EXISTS tags text[] NOT NULL DEFAULT '{}';

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE c.relname = 'runs_tags_idx' AND NOT i.indisvalid) THEN
        DROP INDEX runs_tags_idx;
    END IF;
END
$$;
-- +goose StatementEnd
SET lock_timeout = '5min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_tags_idx ON runs USING gin (tags);
SET lock_timeout = '1s';

-- filtered_runs gains the tag filter as an overload with one more argument; the previous release
-- calls the one without it, which stays.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION filtered_runs(
    f_branch text, f_suite text, f_machine_type text, f_status text, f_user text,
    f_run_ids bigint[], f_flavor text, f_scheduled_from timestamptz, f_scheduled_before timestamptz,
    f_tags text[]
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
$$;
-- +goose StatementEnd

-- runs_count_tags keeps run_values' 'tag' rows: +1 for each tag a run gains, -1 for each it loses.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION runs_count_tags() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = auto AS $$
DECLARE
    v text[];
    d bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(c.tag), array_agg(c.runs) INTO v, d FROM (
            SELECT t.tag, count(*) AS runs FROM new_runs n, unnest(n.tags) t (tag) GROUP BY 1) c;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(c.tag), array_agg(c.runs) INTO v, d FROM (
            SELECT t.tag, -count(*) AS runs FROM old_runs o, unnest(o.tags) t (tag) GROUP BY 1) c;
    ELSE
        SELECT array_agg(c.tag), array_agg(c.runs) INTO v, d FROM (
            SELECT x.tag, sum(x.runs)::bigint AS runs FROM (
                SELECT t.tag, 1 AS runs FROM unnest(NEW.tags) t (tag)
                UNION ALL
                SELECT t.tag, -1 FROM unnest(OLD.tags) t (tag)
            ) x GROUP BY 1 HAVING sum(x.runs) <> 0) c;
    END IF;
    IF v IS NOT NULL THEN
        PERFORM count_run_values(array_fill('tag'::text, ARRAY[cardinality(v)]), v, d);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
BEGIN
    PERFORM set_config('lock_timeout', '200ms', true);
    FOR attempt IN 1..100 LOOP
        BEGIN
            LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE;
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM pg_sleep(0.3);
        END;
    END LOOP;
    DROP TRIGGER IF EXISTS runs_count_tags_insert ON runs;
    DROP TRIGGER IF EXISTS runs_count_tags_delete ON runs;
    DROP TRIGGER IF EXISTS runs_count_tags_update ON runs;
    CREATE TRIGGER runs_count_tags_insert AFTER INSERT ON runs REFERENCING NEW TABLE AS new_runs
        FOR EACH STATEMENT EXECUTE FUNCTION runs_count_tags();
    CREATE TRIGGER runs_count_tags_delete AFTER DELETE ON runs REFERENCING OLD TABLE AS old_runs
        FOR EACH STATEMENT EXECUTE FUNCTION runs_count_tags();
    CREATE TRIGGER runs_count_tags_update AFTER UPDATE OF tags ON runs FOR EACH ROW
        WHEN (OLD.tags IS DISTINCT FROM NEW.tags) EXECUTE FUNCTION runs_count_tags();
    DELETE FROM run_values WHERE key = 'tag';
    INSERT INTO run_values (key, value, runs)
    SELECT 'tag', t.tag, count(*) FROM runs r, unnest(r.tags) t (tag) WHERE r.tags <> '{}' GROUP BY 2;
END
$$;
-- +goose StatementEnd

RESET lock_timeout;

-- +goose Down
DROP TRIGGER IF EXISTS runs_count_tags_update ON runs;
DROP TRIGGER IF EXISTS runs_count_tags_delete ON runs;
DROP TRIGGER IF EXISTS runs_count_tags_insert ON runs;
DROP FUNCTION IF EXISTS runs_count_tags();
DROP FUNCTION IF EXISTS filtered_runs(text, text, text, text, text, bigint[], text, timestamptz, timestamptz, text[]);
DELETE FROM run_values WHERE key = 'tag';
DROP INDEX IF EXISTS runs_tags_idx;
ALTER TABLE runs DROP COLUMN IF EXISTS tags;

-- +goose NO TRANSACTION
-- +goose Up
-- How many runs hold each value of each run key, kept by triggers on runs, so that the value lists
-- (GET /runs/branch/, /runs/date/, ...), the number of runs and the total of a one-key filter are
-- read off a few rows instead of counting the runs: the lab's 120k runs hold about 60k branches.
-- The keys are those upstream lists from runs' own columns: status, branch, suite, machine_type,
-- user, and date (the UTC day of scheduled). NULLs are not counted; empty strings are, as runs.
CREATE TABLE IF NOT EXISTS run_values (
    key   text NOT NULL,
    value text NOT NULL,
    runs  bigint NOT NULL,
    PRIMARY KEY (key, value)
);

-- run_keys lays a run's keys out as rows, the one definition of what is counted.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION run_keys(status text, branch text, suite text, machine_type text, user_name text, scheduled timestamptz)
RETURNS TABLE (key text, value text) LANGUAGE sql STABLE AS $$
    SELECT k, v FROM (VALUES
        ('status', status), ('branch', branch), ('suite', suite), ('machine_type', machine_type),
        ('user', user_name), ('date', to_char(scheduled AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
    ) kv (k, v)
    WHERE v IS NOT NULL
$$;
-- +goose StatementEnd

-- count_run_values adds each delta to its (key, value), in (key, value) order so that writers
-- moving runs between the same values lock the rows in the same order and never deadlock. A value
-- no run holds any more keeps its row, at 0: within one statement the deltas may arrive in any
-- order (a run inserted and updated by one query), so a row may pass through 0 or below.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION count_run_values(keys text[], vals text[], deltas bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO run_values AS rv (key, value, runs)
    SELECT k, v, d FROM unnest(keys, vals, deltas) AS u (k, v, d) WHERE d <> 0 ORDER BY k, v
    ON CONFLICT (key, value) DO UPDATE SET runs = rv.runs + EXCLUDED.runs;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION runs_count_values() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k text[];
    v text[];
    d bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(c.key), array_agg(c.value), array_agg(c.runs) INTO k, v, d FROM (
            SELECT rk.key, rk.value, count(*) AS runs
            FROM new_runs n, run_keys(n.status, n.branch, n.suite, n.machine_type, n."user", n.scheduled) rk
            GROUP BY 1, 2) c;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(c.key), array_agg(c.value), array_agg(c.runs) INTO k, v, d FROM (
            SELECT rk.key, rk.value, -count(*) AS runs
            FROM old_runs o, run_keys(o.status, o.branch, o.suite, o.machine_type, o."user", o.scheduled) rk
            GROUP BY 1, 2) c;
    ELSE
        SELECT array_agg(c.key), array_agg(c.value), array_agg(c.runs) INTO k, v, d FROM (
            SELECT x.key, x.value, sum(x.runs)::bigint AS runs FROM (
                SELECT rk.key, rk.value, 1 AS runs
                FROM run_keys(NEW.status, NEW.branch, NEW.suite, NEW.machine_type, NEW."user", NEW.scheduled) rk
                UNION ALL
                SELECT rk.key, rk.value, -1
                FROM run_keys(OLD.status, OLD.branch, OLD.suite, OLD.machine_type, OLD."user", OLD.scheduled) rk
            ) x GROUP BY 1, 2 HAVING sum(x.runs) <> 0) c;
    END IF;
    IF k IS NOT NULL THEN
        PERFORM count_run_values(k, v, d);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- The triggers and the backfill are one transaction, under a lock that keeps runs from changing
-- meanwhile: at the lab's size the count takes well under a second. The lock is tried for 200 ms
-- at a time, letting writers through in between.
SET lock_timeout = '1s';
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
    DROP TRIGGER IF EXISTS runs_count_values_insert ON runs;
    DROP TRIGGER IF EXISTS runs_count_values_delete ON runs;
    DROP TRIGGER IF EXISTS runs_count_values_update ON runs;
    CREATE TRIGGER runs_count_values_insert AFTER INSERT ON runs REFERENCING NEW TABLE AS new_runs
        FOR EACH STATEMENT EXECUTE FUNCTION runs_count_values();
    CREATE TRIGGER runs_count_values_delete AFTER DELETE ON runs REFERENCING OLD TABLE AS old_runs
        FOR EACH STATEMENT EXECUTE FUNCTION runs_count_values();
    CREATE TRIGGER runs_count_values_update AFTER UPDATE ON runs FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.branch IS DISTINCT FROM NEW.branch
              OR OLD.suite IS DISTINCT FROM NEW.suite OR OLD.machine_type IS DISTINCT FROM NEW.machine_type
              OR OLD."user" IS DISTINCT FROM NEW."user" OR OLD.scheduled IS DISTINCT FROM NEW.scheduled)
        EXECUTE FUNCTION runs_count_values();
    DELETE FROM run_values;
    INSERT INTO run_values (key, value, runs)
    SELECT rk.key, rk.value, count(*) FROM runs r, run_keys(r.status, r.branch, r.suite, r.machine_type, r."user", r.scheduled) rk
    GROUP BY 1, 2;
END
$$;
-- +goose StatementEnd

RESET lock_timeout;

-- +goose Down
DROP TRIGGER IF EXISTS runs_count_values_update ON runs;
DROP TRIGGER IF EXISTS runs_count_values_delete ON runs;
DROP TRIGGER IF EXISTS runs_count_values_insert ON runs;
DROP FUNCTION IF EXISTS runs_count_values();
DROP FUNCTION IF EXISTS count_run_values(text[], text[], bigint[]);
DROP FUNCTION IF EXISTS run_keys(text, text, text, text, text, timestamptz);
DROP TABLE IF EXISTS run_values;

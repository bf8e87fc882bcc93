-- +goose NO TRANSACTION
-- +goose Up
-- Test history, flaky tests, failure signatures and regressions (issue 15), online (README.md).
--
-- A test is a job's description: a suite's jobs carry the same descriptions night after night.
-- test_results keeps one narrow row per job (about 100 bytes against the job's 2.5 kB), keyed by
-- jobs.id and kept by triggers on jobs, so that a test's history, a window of the lab's recent
-- results or a run's results are read off small indexes instead of the 16 GB jobs table at the
-- lab's size. The suite, branch and machine type a history is filtered by are the run's (runs,
-- 120k rows), as they are for /runs/.
--
-- failure_signatures keeps each distinct failure_signature (00010) of a failed or dead job once,
-- with the first reason seen as its example and the tracker issue a user linked it to.
--
-- test_sha1s counts each test's passed and failed-or-dead results per sha1 and per its runs'
-- branch, suite and machine type, kept by statement triggers on test_results, so that the flaky
-- tests of a window are read off the few rows with both (test_sha1s_flaky_idx) instead of
-- aggregating the window's results (1.5 µs of PostgreSQL CPU a result).
CREATE TABLE IF NOT EXISTS failure_signatures (
    id          uuid PRIMARY KEY,    -- md5(signature)::uuid, as failure_signature_id()
    signature   text NOT NULL,
    example     text NOT NULL,
    tracker_url text,
    note        text,
    updated     timestamptz          -- when tracker_url or note last changed
);

CREATE TABLE IF NOT EXISTS test_results (
    id           bigint PRIMARY KEY, -- jobs.id
    job_id       text COLLATE "C" NOT NULL,
    run_id       bigint NOT NULL,
    test_id      uuid,               -- md5(description)::uuid, as job_descriptions.id; NULL: no description
    posted       timestamptz NOT NULL,
    status       text NOT NULL,
    sha1         text,
    signature_id uuid                -- failure_signatures.id of a failed or dead job with a reason
);

-- One row per test, sha1 and run branch, suite and machine type (NULL: ''); results without a
-- test or a sha1, and unfinished ones, are not counted. last_posted is the newest counted result
-- posted; a result uncounted (a job deleted, or changed to another status or key) does not lower it.
CREATE TABLE IF NOT EXISTS test_sha1s (
    test_id      uuid NOT NULL,
    sha1         text NOT NULL,
    branch       text NOT NULL,
    suite        text NOT NULL,
    machine_type text NOT NULL,
    pass         int NOT NULL,           -- passed results
    fail         int NOT NULL,           -- failed and dead results
    last_posted  timestamptz NOT NULL,
    PRIMARY KEY (test_id, sha1, branch, suite, machine_type)
);

-- Where a resumable backfill got to: the next jobs.id it has not done.
CREATE TABLE IF NOT EXISTS backfills (
    name    text PRIMARY KEY,
    next_id bigint NOT NULL
);

-- The signature a job with this status and reason has: only failures have one.
CREATE OR REPLACE FUNCTION job_signature(status text, reason text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN status IN ('fail', 'dead') THEN failure_signature(reason) END
$$;

-- count_test_sha1s adds one delta (+1 or -1) per test result to test_sha1s, grouped by key, in
-- key order so that writers lock the rows in one order (as count_run_values, 00008). Callers pass
-- only the results counted: those with a test and a sha1, passed, failed or dead. PL/pgSQL, not
-- SQL: its plan is kept for the session (a SQL function's is made at every call: 0.25 to 0.45 ms
-- of PostgreSQL CPU more per job write, against 0.05 to 0.07 ms), and a statement with nothing to
-- count returns at once.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION count_test_sha1s(test_ids uuid[], sha1s text[], branches text[], suites text[], machine_types text[],
                                            statuses text[], posted timestamptz[], deltas int[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF test_ids IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO test_sha1s AS s (test_id, sha1, branch, suite, machine_type, pass, fail, last_posted)
    SELECT d.test_id, d.sha1, COALESCE(d.branch, ''), COALESCE(d.suite, ''), COALESCE(d.machine_type, ''),
           COALESCE(sum(d.delta) FILTER (WHERE d.status = 'pass'), 0), COALESCE(sum(d.delta) FILTER (WHERE d.status <> 'pass'), 0),
           COALESCE(max(d.posted) FILTER (WHERE d.delta > 0), '-infinity')
    FROM unnest(test_ids, sha1s, branches, suites, machine_types, statuses, posted, deltas)
         d (test_id, sha1, branch, suite, machine_type, status, posted, delta)
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (test_id, sha1, branch, suite, machine_type) DO UPDATE
    SET pass = s.pass + EXCLUDED.pass, fail = s.fail + EXCLUDED.fail, last_posted = greatest(s.last_posted, EXCLUDED.last_posted);
END
$$;
-- +goose StatementEnd

-- The test_results trigger counts each statement's rows at once, under their runs' values:
-- whoever writes test_results (the job triggers, the backfill, a bulk load), every row is counted
-- once. An INSERT ... ON CONFLICT DO UPDATE fires the INSERT and the UPDATE triggers, its
-- inserted rows in the first's table, its updated ones in the second's.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION test_results_count_sha1s() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM count_test_sha1s(array_agg(n.test_id), array_agg(n.sha1), array_agg(r.branch), array_agg(r.suite),
                                 array_agg(r.machine_type), array_agg(n.status), array_agg(n.posted), array_agg(1))
        FROM new_results n JOIN runs r ON r.id = n.run_id
        WHERE n.test_id IS NOT NULL AND n.sha1 IS NOT NULL AND n.status IN ('pass', 'fail', 'dead');
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM count_test_sha1s(array_agg(o.test_id), array_agg(o.sha1), array_agg(r.branch), array_agg(r.suite),
                                 array_agg(r.machine_type), array_agg(o.status), array_agg(o.posted), array_agg(-1))
        FROM old_results o JOIN runs r ON r.id = o.run_id
        WHERE o.test_id IS NOT NULL AND o.sha1 IS NOT NULL AND o.status IN ('pass', 'fail', 'dead');
    ELSE
        PERFORM count_test_sha1s(array_agg(d.test_id), array_agg(d.sha1), array_agg(r.branch), array_agg(r.suite),
                                 array_agg(r.machine_type), array_agg(d.status), array_agg(d.posted), array_agg(d.delta))
        FROM old_results o JOIN new_results n USING (id)
        CROSS JOIN LATERAL (VALUES (o.test_id, o.sha1, o.run_id, o.status, o.posted, -1),
                                   (n.test_id, n.sha1, n.run_id, n.status, n.posted, 1)) d (test_id, sha1, run_id, status, posted, delta)
        JOIN runs r ON r.id = d.run_id
        WHERE (o.test_id, o.sha1, o.run_id, o.status, o.posted) IS DISTINCT FROM (n.test_id, n.sha1, n.run_id, n.status, n.posted)
          AND d.test_id IS NOT NULL AND d.sha1 IS NOT NULL AND d.status IN ('pass', 'fail', 'dead');
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A run whose branch, suite or machine type changes (a job reports other values than the run's
-- name gave) moves its counted results to the new key. They are found through the run's jobs,
-- whose index is there while test_results' are still being built. A deleted run's results are
-- uncounted before its jobs go (ON DELETE CASCADE): by the time their results are deleted the run
-- is gone, and test_results' trigger, which looks the run up, counts nothing more.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION runs_move_test_sha1s() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM count_test_sha1s(array_agg(t.test_id), array_agg(t.sha1), array_agg(OLD.branch), array_agg(OLD.suite),
                                 array_agg(OLD.machine_type), array_agg(t.status), array_agg(t.posted), array_agg(-1))
        FROM jobs j JOIN test_results t ON t.id = j.id
        WHERE j.run_id = OLD.id AND t.test_id IS NOT NULL AND t.sha1 IS NOT NULL AND t.status IN ('pass', 'fail', 'dead');
        RETURN OLD;
    END IF;
    PERFORM count_test_sha1s(array_agg(t.test_id), array_agg(t.sha1), array_agg(k.branch), array_agg(k.suite),
                             array_agg(k.machine_type), array_agg(t.status), array_agg(t.posted), array_agg(k.delta))
    FROM jobs j JOIN test_results t ON t.id = j.id
    CROSS JOIN LATERAL (VALUES (OLD.branch, OLD.suite, OLD.machine_type, -1),
                               (NEW.branch, NEW.suite, NEW.machine_type, 1)) k (branch, suite, machine_type, delta)
    WHERE j.run_id = NEW.id AND t.test_id IS NOT NULL AND t.sha1 IS NOT NULL AND t.status IN ('pass', 'fail', 'dead');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_note_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Signatures are inserted in id order, as every writer does, so two writers noting the
    -- same new signatures cannot deadlock.
    WITH n AS (
        SELECT j.id, j.job_id, j.run_id, md5(j.description)::uuid AS test_id, j.posted, j.status, j.sha1,
               j.failure_reason, job_signature(j.status, j.failure_reason) AS signature
        FROM new_jobs j
    ), s AS (
        INSERT INTO failure_signatures (id, signature, example)
        SELECT DISTINCT ON (1) md5(signature)::uuid, signature, failure_reason FROM n
        WHERE signature IS NOT NULL ORDER BY 1, id
        ON CONFLICT DO NOTHING
    )
    INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1, signature_id)
    SELECT id, job_id, run_id, test_id, posted, status, sha1, md5(signature)::uuid FROM n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_note_result() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sig text := job_signature(NEW.status, NEW.failure_reason);
BEGIN
    IF sig IS NOT NULL THEN
        INSERT INTO failure_signatures (id, signature, example)
        VALUES (md5(sig)::uuid, sig, NEW.failure_reason) ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1, signature_id)
    VALUES (NEW.id, NEW.job_id, NEW.run_id, md5(NEW.description)::uuid, NEW.posted, NEW.status, NEW.sha1, md5(sig)::uuid)
    ON CONFLICT (id) DO UPDATE SET job_id = EXCLUDED.job_id, run_id = EXCLUDED.run_id, test_id = EXCLUDED.test_id,
        posted = EXCLUDED.posted, status = EXCLUDED.status, sha1 = EXCLUDED.sha1, signature_id = EXCLUDED.signature_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_forget_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM test_results t USING old_jobs o WHERE t.id = o.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- The triggers go in before the backfill, so that every job written meanwhile is noted (the
-- test_results ones first: every row is counted); the locks they need are tried 200 ms at a
-- time, letting writers through in between (as 00007).
SET lock_timeout = '1s';
-- +goose StatementBegin
DO $$
BEGIN
    PERFORM set_config('lock_timeout', '200ms', true);
    FOR attempt IN 1..100 LOOP
        BEGIN
            -- In the order writers take them: a run, its jobs, their results.
            LOCK TABLE runs, jobs, test_results IN SHARE ROW EXCLUSIVE MODE;
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM pg_sleep(0.3);
        END;
    END LOOP;
    DROP TRIGGER IF EXISTS test_results_count_inserted ON test_results;
    CREATE TRIGGER test_results_count_inserted AFTER INSERT ON test_results REFERENCING NEW TABLE AS new_results
        FOR EACH STATEMENT EXECUTE FUNCTION test_results_count_sha1s();
    DROP TRIGGER IF EXISTS test_results_count_updated ON test_results;
    CREATE TRIGGER test_results_count_updated AFTER UPDATE ON test_results
        REFERENCING OLD TABLE AS old_results NEW TABLE AS new_results
        FOR EACH STATEMENT EXECUTE FUNCTION test_results_count_sha1s();
    DROP TRIGGER IF EXISTS test_results_count_deleted ON test_results;
    CREATE TRIGGER test_results_count_deleted AFTER DELETE ON test_results REFERENCING OLD TABLE AS old_results
        FOR EACH STATEMENT EXECUTE FUNCTION test_results_count_sha1s();
    DROP TRIGGER IF EXISTS runs_move_test_sha1s ON runs;
    CREATE TRIGGER runs_move_test_sha1s AFTER UPDATE ON runs FOR EACH ROW
        WHEN ((OLD.branch, OLD.suite, OLD.machine_type) IS DISTINCT FROM (NEW.branch, NEW.suite, NEW.machine_type))
        EXECUTE FUNCTION runs_move_test_sha1s();
    DROP TRIGGER IF EXISTS runs_forget_test_sha1s ON runs;
    CREATE TRIGGER runs_forget_test_sha1s BEFORE DELETE ON runs FOR EACH ROW EXECUTE FUNCTION runs_move_test_sha1s();
    DROP TRIGGER IF EXISTS jobs_note_results ON jobs;
    CREATE TRIGGER jobs_note_results AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_note_results();
    DROP TRIGGER IF EXISTS jobs_note_result ON jobs;
    CREATE TRIGGER jobs_note_result AFTER UPDATE ON jobs FOR EACH ROW
        WHEN ((OLD.job_id, OLD.run_id, OLD.description, OLD.posted, OLD.status, OLD.sha1, OLD.failure_reason)
              IS DISTINCT FROM (NEW.job_id, NEW.run_id, NEW.description, NEW.posted, NEW.status, NEW.sha1, NEW.failure_reason))
        EXECUTE FUNCTION jobs_note_result();
    DROP TRIGGER IF EXISTS jobs_forget_results ON jobs;
    CREATE TRIGGER jobs_forget_results AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_forget_results();
END
$$;
-- +goose StatementEnd
RESET lock_timeout;

-- The backfill: 20,000 jobs per transaction, resumed from where an interrupted run stopped.
-- Rows the triggers wrote meanwhile are newer and stay. A job deleted while its batch ran may
-- have been read by the batch after its delete trigger ran: the batch's second statement, which
-- sees that delete, drops such rows.
-- +goose StatementBegin
DO $$
DECLARE
    lo  bigint;
    top bigint;
BEGIN
    INSERT INTO backfills (name, next_id) SELECT 'test_results', COALESCE(min(id), 1) FROM jobs ON CONFLICT DO NOTHING;
    COMMIT;
    SELECT next_id INTO lo FROM backfills WHERE name = 'test_results';
    SELECT max(id) INTO top FROM jobs;
    WHILE lo <= top LOOP
        WITH n AS (
            SELECT j.id, j.job_id, j.run_id, md5(j.description)::uuid AS test_id, j.posted, j.status, j.sha1,
                   j.failure_reason, job_signature(j.status, j.failure_reason) AS signature
            FROM jobs j WHERE j.id >= lo AND j.id < lo + 20000
        ), s AS (
            INSERT INTO failure_signatures (id, signature, example)
            SELECT DISTINCT ON (1) md5(signature)::uuid, signature, failure_reason FROM n
            WHERE signature IS NOT NULL ORDER BY 1, id
            ON CONFLICT DO NOTHING
        )
        INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1, signature_id)
        SELECT id, job_id, run_id, test_id, posted, status, sha1, md5(signature)::uuid FROM n
        ON CONFLICT (id) DO NOTHING;
        DELETE FROM test_results t WHERE t.id >= lo AND t.id < lo + 20000
            AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = t.id);
        lo := lo + 20000;
        UPDATE backfills SET next_id = lo WHERE name = 'test_results';
        COMMIT;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- The indexes, built after the backfill (faster than keeping them during it) and concurrently,
-- since job writes now write test_results. An interrupted build leaves an invalid index.
SET lock_timeout = '1s';
-- +goose StatementBegin
DO $$
DECLARE
    idx text;
BEGIN
    FOR idx IN SELECT indexrelid::regclass::text FROM pg_index
               WHERE NOT indisvalid AND indexrelid::regclass::text IN
                   ('test_results_test_idx', 'test_results_failed_idx', 'test_results_signature_idx', 'test_results_run_idx',
                    'test_sha1s_flaky_idx') LOOP
        EXECUTE 'DROP INDEX ' || idx;
    END LOOP;
END
$$;
-- +goose StatementEnd
RESET lock_timeout;

-- A test's history, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_results_test_idx ON test_results (test_id, posted DESC, id DESC)
    WHERE test_id IS NOT NULL;
-- The failures of a window (GET /failures/), index-only: written for failed jobs alone (the flaky
-- tests read test_sha1s).
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_results_failed_idx ON test_results (posted)
    INCLUDE (signature_id, run_id, test_id) WHERE signature_id IS NOT NULL;
-- A signature's jobs, newest first; its first occurrence is the index's last entry.
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_results_signature_idx ON test_results (signature_id, posted DESC, id DESC)
    WHERE signature_id IS NOT NULL;
-- A run's results by test, for comparing two runs.
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_results_run_idx ON test_results (run_id, test_id);
-- The flaky tests of a window: the (test, sha1)s with a pass and a failure, by their newest.
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_sha1s_flaky_idx ON test_sha1s (last_posted) WHERE pass > 0 AND fail > 0;

-- +goose Down
DROP TRIGGER IF EXISTS runs_forget_test_sha1s ON runs;
DROP TRIGGER IF EXISTS runs_move_test_sha1s ON runs;
DROP TRIGGER IF EXISTS jobs_forget_results ON jobs;
DROP TRIGGER IF EXISTS jobs_note_result ON jobs;
DROP TRIGGER IF EXISTS jobs_note_results ON jobs;
DROP FUNCTION IF EXISTS jobs_forget_results();
DROP FUNCTION IF EXISTS jobs_note_result();
DROP FUNCTION IF EXISTS jobs_note_results();
DROP FUNCTION IF EXISTS job_signature(text, text);
DROP FUNCTION IF EXISTS runs_move_test_sha1s();
DROP FUNCTION IF EXISTS test_results_count_sha1s();
DROP FUNCTION IF EXISTS count_test_sha1s(uuid[], text[], text[], text[], text[], text[], timestamptz[], int[]);
DROP TABLE IF EXISTS test_sha1s;
DROP TABLE IF EXISTS backfills;
DROP TABLE IF EXISTS test_results;
DROP TABLE IF EXISTS failure_signatures;

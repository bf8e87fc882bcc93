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

-- The triggers go in before the backfill, so that every job written meanwhile is noted; the
-- lock they need is tried 200 ms at a time, letting writers through in between (as 00007).
SET lock_timeout = '1s';
-- +goose StatementBegin
DO $$
BEGIN
    PERFORM set_config('lock_timeout', '200ms', true);
    FOR attempt IN 1..100 LOOP
        BEGIN
            LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM pg_sleep(0.3);
        END;
    END LOOP;
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
                   ('test_results_test_idx', 'test_results_posted_idx', 'test_results_signature_idx', 'test_results_run_idx') LOOP
        EXECUTE 'DROP INDEX ' || idx;
    END LOOP;
END
$$;
-- +goose StatementEnd
RESET lock_timeout;

-- A test's history, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_results_test_idx ON test_results (test_id, posted DESC, id DESC)
    WHERE test_id IS NOT NULL;
-- A window of recent results: flaky tests, failures of the last days.
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_results_posted_idx ON test_results (posted);
-- A signature's jobs, newest first; its first occurrence is the index's last entry.
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_results_signature_idx ON test_results (signature_id, posted DESC, id DESC)
    WHERE signature_id IS NOT NULL;
-- A run's results by test, for comparing two runs.
CREATE INDEX CONCURRENTLY IF NOT EXISTS test_results_run_idx ON test_results (run_id, test_id);

-- +goose Down
DROP TRIGGER IF EXISTS jobs_forget_results ON jobs;
DROP TRIGGER IF EXISTS jobs_note_result ON jobs;
DROP TRIGGER IF EXISTS jobs_note_results ON jobs;
DROP FUNCTION IF EXISTS jobs_forget_results();
DROP FUNCTION IF EXISTS jobs_note_result();
DROP FUNCTION IF EXISTS jobs_note_results();
DROP FUNCTION IF EXISTS job_signature(text, text);
DROP TABLE IF EXISTS backfills;
DROP TABLE IF EXISTS test_results;
DROP TABLE IF EXISTS failure_signatures;

-- +goose NO TRANSACTION
-- +goose Up
-- The job search (GET /jobs/) at the lab's size (8.5M jobs), online: no statement holds a lock
-- that writers wait on for more than a moment, and every step may run again after an interruption.
--
-- A description search is a substring match (LIKE '%...%', as upstream), which no index on jobs
-- serves. But descriptions recur: a suite runs the same tests night after night, so the lab's
-- millions of jobs hold a few tens of thousands of distinct descriptions. job_descriptions keeps
-- each once (keyed by its md5, since a description may exceed a btree entry); the substring is
-- matched there (with pg_trgm's index where the extension can be created, else by reading that
-- small table), and the matching jobs are read newest first off jobs_description_idx, one
-- description at a time. Descriptions whose jobs were all deleted stay: they match no job.
CREATE TABLE IF NOT EXISTS job_descriptions (
    id          uuid PRIMARY KEY,
    description text NOT NULL
);

-- pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. Without it the
-- search reads job_descriptions whole, which is still bounded by the distinct descriptions.
-- +goose StatementBegin
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): description search reads job_descriptions whole', SQLERRM;
    END;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        -- The table is empty or small here, so a plain build takes no time.
        EXECUTE 'CREATE INDEX IF NOT EXISTS job_descriptions_trgm_idx ON job_descriptions USING gin (description gin_trgm_ops)';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_note_descriptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_descriptions (id, description)
    SELECT DISTINCT ON (1) md5(n.description)::uuid, n.description FROM new_jobs n WHERE n.description IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_note_description() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_descriptions (id, description) VALUES (md5(NEW.description)::uuid, NEW.description)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- The triggers go in before the backfill, so that every job written meanwhile is noted. Creating
-- a trigger takes a lock that job writes wait for; it is tried for 200 ms at a time, letting
-- writers through in between, rather than queueing them behind a long wait.
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
    DROP TRIGGER IF EXISTS jobs_note_descriptions ON jobs;
    CREATE TRIGGER jobs_note_descriptions AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_note_descriptions();
    DROP TRIGGER IF EXISTS jobs_note_description ON jobs;
    CREATE TRIGGER jobs_note_description AFTER UPDATE OF description ON jobs
        FOR EACH ROW WHEN (NEW.description IS NOT NULL AND NEW.description IS DISTINCT FROM OLD.description)
        EXECUTE FUNCTION jobs_note_description();
END
$$;
-- +goose StatementEnd

-- The backfill, 50,000 jobs per transaction.
-- +goose StatementBegin
DO $$
DECLARE
    lo  bigint;
    top bigint;
BEGIN
    SELECT min(id), max(id) INTO lo, top FROM jobs;
    WHILE lo <= top LOOP
        INSERT INTO job_descriptions (id, description)
        SELECT DISTINCT ON (1) md5(description)::uuid, description FROM jobs
        WHERE id >= lo AND id < lo + 50000 AND description IS NOT NULL
        ON CONFLICT DO NOTHING;
        COMMIT;
        lo := lo + 50000;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- An index build interrupted half way leaves an invalid index, which IF NOT EXISTS would keep.
SET lock_timeout = '1s';
-- +goose StatementBegin
DO $$
DECLARE
    idx text;
BEGIN
    PERFORM set_config('lock_timeout', '1s', true);
    FOR idx IN SELECT indexrelid::regclass::text FROM pg_index
               WHERE NOT indisvalid AND indexrelid::regclass::text IN ('jobs_description_idx', 'jobs_branch_idx') LOOP
        EXECUTE 'DROP INDEX ' || idx;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- CREATE INDEX CONCURRENTLY blocks no writer; it waits for older transactions to end.
RESET lock_timeout;

-- A description's jobs, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_description_idx ON jobs ((md5(description)::uuid), posted DESC, id DESC)
    WHERE description IS NOT NULL;

-- A branch filter names one run's jobs (wip branches) or millions (main): the first are read off
-- this index, the second newest first off jobs_posted_idx. Branches repeat, so the index is small.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_branch_idx ON jobs (branch);

-- +goose Down
DROP INDEX IF EXISTS jobs_branch_idx;
DROP INDEX IF EXISTS jobs_description_idx;
DROP TRIGGER IF EXISTS jobs_note_description ON jobs;
DROP TRIGGER IF EXISTS jobs_note_descriptions ON jobs;
DROP FUNCTION IF EXISTS jobs_note_description();
DROP FUNCTION IF EXISTS jobs_note_descriptions();
DROP TABLE IF EXISTS job_descriptions;

-- +goose NO TRANSACTION
-- +goose Up
-- A node's job history (GET /nodes/{name}/jobs/) lists its jobs newest first. With only
-- (node_id, job_id) in job_nodes, a page meant reading every job of the node to sort by posted:
-- tens of milliseconds for a node with thousands of jobs, growing with its history. Each link
-- now carries its job's posted time, which never changes once the job exists, and a page is read
-- off one index.
--
-- Online (db/migrations/README.md): each step is its own transaction, no step holds a lock that
-- blocks job writes for longer than a catalog change, and each is idempotent, so that a run
-- interrupted anywhere (a lock timeout, a crash) can simply run again. A lab's 17M links take
-- minutes; job writes go on meanwhile.

-- Statements whose lock blocks writers give up after 1 s instead of queueing them behind it.
SET lock_timeout = '1s';

ALTER TABLE job_nodes ADD COLUMN IF NOT EXISTS posted timestamptz;

-- Whoever inserts a link (LinkJobNodes, COPY, an import), posted is the job's. The triggers come
-- before the backfill, so that links written meanwhile have theirs.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION job_nodes_set_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT j.posted INTO NEW.posted FROM jobs j WHERE j.id = NEW.job_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE OR REPLACE TRIGGER job_nodes_set_posted BEFORE INSERT OR UPDATE OF job_id ON job_nodes
    FOR EACH ROW EXECUTE FUNCTION job_nodes_set_posted();

-- And should a job's posted time ever change, its links follow.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_posted_to_nodes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE job_nodes SET posted = NEW.posted WHERE job_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE OR REPLACE TRIGGER jobs_posted_to_nodes AFTER UPDATE OF posted ON jobs
    FOR EACH ROW WHEN (OLD.posted IS DISTINCT FROM NEW.posted) EXECUTE FUNCTION jobs_posted_to_nodes();

-- The backfill takes only row locks, on links no job write changes, so it may wait longer for
-- them; it commits every 10,000 job ids (about 20,000 links), so a rerun resumes where it stopped
-- and vacuum can reclaim the old row versions as it goes. Every link still without posted was
-- written before the trigger existed, hence belongs to a job id no greater than today's largest.
SET lock_timeout = '5min';
-- +goose StatementBegin
DO $$
DECLARE
    lo bigint;
    hi bigint;
    step constant bigint := 10000;
BEGIN
    SELECT min(job_id), max(job_id) INTO lo, hi FROM job_nodes;
    WHILE lo <= hi LOOP
        UPDATE job_nodes jn SET posted = j.posted
        FROM jobs j
        WHERE j.id = jn.job_id AND jn.job_id >= lo AND jn.job_id < lo + step AND jn.posted IS NULL;
        COMMIT;
        lo := lo + step;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- NOT NULL without scanning the table under an ACCESS EXCLUSIVE lock: a CHECK added NOT VALID
-- (a catalog change), validated under a SHARE UPDATE EXCLUSIVE lock (writes go on), lets SET NOT
-- NULL skip its scan; then the CHECK goes.
SET lock_timeout = '1s';
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT (SELECT attnotnull FROM pg_attribute WHERE attrelid = 'job_nodes'::regclass AND attname = 'posted')
       AND NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'job_nodes'::regclass AND conname = 'job_nodes_posted_not_null') THEN
        ALTER TABLE job_nodes ADD CONSTRAINT job_nodes_posted_not_null CHECK (posted IS NOT NULL) NOT VALID;
    END IF;
END
$$;
-- +goose StatementEnd
-- VALIDATE and CREATE INDEX CONCURRENTLY take only SHARE UPDATE EXCLUSIVE, which no job write
-- waits for, but they wait for autovacuum (cancelled after deadlock_timeout) and, the index, for
-- older transactions: longer timeouts.
SET lock_timeout = '5min';
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'job_nodes'::regclass AND conname = 'job_nodes_posted_not_null' AND NOT convalidated) THEN
        ALTER TABLE job_nodes VALIDATE CONSTRAINT job_nodes_posted_not_null;
    END IF;
END
$$;
-- +goose StatementEnd
SET lock_timeout = '1s';
ALTER TABLE job_nodes ALTER COLUMN posted SET NOT NULL;
ALTER TABLE job_nodes DROP CONSTRAINT IF EXISTS job_nodes_posted_not_null;

-- An interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index, which IF NOT EXISTS would
-- keep: drop it (a catalog change) and build again.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass('job_nodes_node_posted_idx') AND NOT indisvalid) THEN
        DROP INDEX job_nodes_node_posted_idx;
    END IF;
END
$$;
-- +goose StatementEnd
SET lock_timeout = '5min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS job_nodes_node_posted_idx ON job_nodes (node_id, posted DESC, job_id DESC);
RESET lock_timeout;

-- +goose Down
DROP TRIGGER jobs_posted_to_nodes ON jobs;
DROP FUNCTION jobs_posted_to_nodes();
DROP TRIGGER job_nodes_set_posted ON job_nodes;
DROP FUNCTION job_nodes_set_posted();
DROP INDEX job_nodes_node_posted_idx;
ALTER TABLE job_nodes DROP COLUMN posted;

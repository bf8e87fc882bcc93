-- +goose Up
-- A node's job history (GET /nodes/{name}/jobs/) lists its jobs newest first. With only
-- (node_id, job_id) in job_nodes, a page meant reading every job of the node to sort by posted:
-- tens of milliseconds for a node with thousands of jobs, growing with its history. Each link
-- now carries its job's posted time, which never changes once the job exists, and a page is read
-- off one index.
ALTER TABLE job_nodes ADD COLUMN posted timestamptz;
UPDATE job_nodes jn SET posted = j.posted FROM jobs j WHERE j.id = jn.job_id;
ALTER TABLE job_nodes ALTER COLUMN posted SET NOT NULL;
CREATE INDEX job_nodes_node_posted_idx ON job_nodes (node_id, posted DESC, job_id DESC);

-- Whoever inserts a link (LinkJobNodes, COPY, an import), posted is the job's.
-- +goose StatementBegin
CREATE FUNCTION job_nodes_set_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT j.posted INTO NEW.posted FROM jobs j WHERE j.id = NEW.job_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER job_nodes_set_posted BEFORE INSERT OR UPDATE OF job_id ON job_nodes
    FOR EACH ROW EXECUTE FUNCTION job_nodes_set_posted();

-- And should a job's posted time ever change, its links follow.
-- +goose StatementBegin
CREATE FUNCTION jobs_posted_to_nodes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE job_nodes SET posted = NEW.posted WHERE job_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER jobs_posted_to_nodes AFTER UPDATE OF posted ON jobs
    FOR EACH ROW WHEN (OLD.posted IS DISTINCT FROM NEW.posted) EXECUTE FUNCTION jobs_posted_to_nodes();

-- +goose Down
DROP TRIGGER jobs_posted_to_nodes ON jobs;
DROP FUNCTION jobs_posted_to_nodes();
DROP TRIGGER job_nodes_set_posted ON job_nodes;
DROP FUNCTION job_nodes_set_posted();
DROP INDEX job_nodes_node_posted_idx;
ALTER TABLE job_nodes DROP COLUMN posted;

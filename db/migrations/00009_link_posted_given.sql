-- +goose Up
-- A link's posted time is its job's, looked up by job_nodes_set_posted for every inserted link:
-- a quarter of what a link costs to insert (7 of 27 s for 400,000 links in one INSERT), which
-- made it a large part of an import, two links per job. A writer that has the job's posted time
-- at hand (the importer's COPY of new jobs) now gives it, and the look-up is skipped; writers
-- that do not (the server's LinkJobNodes, an older release during a rolling upgrade) leave it
-- NULL and get the job's, as before. A changed job_id always takes its new job's.
--
-- Replacing a function takes no lock on any table.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION job_nodes_set_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR NEW.posted IS NULL THEN
        SELECT j.posted INTO NEW.posted FROM jobs j WHERE j.id = NEW.job_id;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION job_nodes_set_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT j.posted INTO NEW.posted FROM jobs j WHERE j.id = NEW.job_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

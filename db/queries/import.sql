-- ImportCounts counts what `paddles import` compares with upstream when it verifies an import
-- (internal/importer; the import itself writes through staging tables of its own session).
-- name: ImportCounts :one
SELECT
    (SELECT count(*) FROM runs)::bigint      AS runs,
    (SELECT count(*) FROM jobs)::bigint      AS jobs,
    (SELECT count(*) FROM nodes)::bigint     AS nodes,
    (SELECT count(*) FROM job_nodes)::bigint AS links,
    (SELECT count(*) FROM queues)::bigint    AS queues;

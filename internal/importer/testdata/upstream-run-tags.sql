-- Run tags on an upstream database (after upstream-fixture.sql): the column ceph/paddles#140
-- adds to the runs table (Column(ARRAY(String)), nullable, which PostgreSQL makes
-- character varying[]), and tags as upstream could hold them: several, repeated, with a NULL
-- element, tags this server refuses (empty, with a comma), NULL, empty, on a run without a name.
ALTER TABLE public.runs ADD COLUMN tags character varying[];

UPDATE runs SET tags = '{rados-nightly,squid-backport}' WHERE id = 10;
UPDATE runs SET tags = ARRAY['rados-nightly', NULL, 'wip', 'rados-nightly', '', 'a,b'] WHERE id = 11;
UPDATE runs SET tags = NULL WHERE id = 12;
UPDATE runs SET tags = '{}' WHERE id = 13;
UPDATE runs SET tags = '{ghost}' WHERE id = 14;

-- An upstream paddles database as upstream's ORM leaves it (on testdata/upstream-schema.sql):
-- JSON values as json.dumps text (", " and ": " separators, "null" when unset), naive UTC
-- timestamps, a stored run status that is stale (this server derives its own), duplicate jobs
-- (several rows for one run and job_id, as upstream's races left them), no mon.a/mon.b columns
-- (upstream dropped those dotted keys), a VM node whose host has a higher id, and queues.

INSERT INTO runs (id, name, status, "user", scheduled, suite, branch, machine_type, posted, started, updated) VALUES
  (10, 'teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi', 'queued', 'teuthology',
   '2026-01-15 10:20:30', 'rados', 'main', 'smithi', '2026-01-15 10:21:00.123456', '2026-01-15 10:25:00', '2026-01-15 11:00:00'),
  (11, 'scott-2026-01-16_01:02:03-fs-wip-foo-distro-default-smithi', 'running', 'scott',
   '2026-01-16 01:02:03', 'fs', 'wip-foo', 'smithi', '2026-01-16 01:02:04', '2026-01-16 01:10:00', '2026-01-16 02:00:00'),
  (12, 'alice-2026-01-17_00:00:00-rbd-main-distro-default-mira', 'empty', 'alice',
   '2026-01-17 00:00:00', 'rbd', 'main', 'mira', '2026-01-17 00:00:01', NULL, '2026-01-17 00:05:00'),
  (13, 'bob-2026-01-18_00:00:00-rgw-main-distro-default-smithi', 'empty', 'bob',
   '2026-01-18 00:00:00', 'rgw', 'main', 'smithi', '2026-01-18 00:00:01', NULL, NULL),
  -- A run without a name (older schemas allowed it): skipped, with its job.
  (14, NULL, 'empty', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

INSERT INTO nodes (id, name, description, up, machine_type, arch, is_vm, os_type, os_version, vm_host_id,
                   locked, locked_by, locked_since, mac_address, ssh_pub_key) VALUES
  (1, 'smithi001.front.sepia.ceph.com', '/archive/teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi/1',
   true, 'smithi', 'x86_64', false, 'ubuntu', '22.04', NULL, true, 'scott@teuthology', '2026-01-15 10:22:00',
   '00:11:22:33:44:55', 'ssh-ed25519 AAAAC3Nz smithi001'),
  -- Unlocked but with an owner: this server does not allow that, so the owner is cleared.
  (2, 'smithi002.front.sepia.ceph.com', NULL, false, 'smithi', 'x86_64', false, 'centos', '9.stream', NULL,
   false, 'stale@owner', NULL, NULL, NULL),
  (50, 'vpshost01.front.sepia.ceph.com', 'a VM host', true, 'vps', 'x86_64', false, 'ubuntu', '22.04', NULL,
   false, NULL, NULL, NULL, NULL);
INSERT INTO nodes (id, name, description, up, machine_type, arch, is_vm, os_type, os_version, vm_host_id,
                   locked, locked_by, locked_since, mac_address, ssh_pub_key) VALUES
  (10, 'vpm001.front.sepia.ceph.com', NULL, true, 'vps', 'x86_64', true, 'ubuntu', '22.04', 50,
   true, 'alice@laptop', '2026-01-16 01:05:00', NULL, NULL);

INSERT INTO jobs (id, run_id, job_id, status, success, posted, started, updated, archive_path, description,
                  duration, email, failure_reason, flavor, kernel, last_in_suite, machine_type, name, nuke_on_error,
                  os_type, os_version, overrides, owner, priority, pid, repo, roles, sentry_event, branch, seed, sha1,
                  sleep_before_teardown, subset, suite, suite_branch, suite_path, suite_relpath, suite_repo,
                  suite_sha1, targets, tasks, teuthology_branch, teuthology_sha1, "timestamp", "user", "verbose",
                  issue_url, comment, pcp_grafana_url, queue, package_source) VALUES
  -- A finished job with every field.
  (1, 10, '1', 'pass', true, '2026-01-15 10:21:00', '2026-01-15 10:25:00', '2026-01-15 10:55:00.5',
   '/archive/teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi/1', 'rados/thrash {0-size-min-size-overrides/3-size-2-min-size.yaml}',
   1234, 'ceph-qa@ceph.io', NULL, 'default', '{"kdb": true, "sha1": "distro"}', false, 'smithi',
   'teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi', true, 'ubuntu', '22.04',
   '{"ceph": {"conf": {"mon": {"debug mon": 20}}, "log-ignorelist": ["\\(MDS_ALL_DOWN\\)"]}, "note": "caf\u00e9 \u0000 <b>"}',
   'scheduled_teuthology@teuthology', 1000, '12345', 'https://github.com/ceph/ceph', '[["mon.a", "osd.0"], ["client.0"]]',
   'https://sentry.ceph.com/1', 'main', 1234567, 'abcdef0123456789abcdef0123456789abcdef01', 0, '1/10', 'rados', 'main',
   '/home/teuthworker/src/ceph', 'qa', 'https://github.com/ceph/ceph.git', 'fedcba9876543210fedcba9876543210fedcba98',
   '{"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAAC3Nz smithi001"}', '[{"install": null}, {"ceph": {"fs": "xfs"}}]',
   'main', '0123', '2026-01-15 10:20:30', 'teuthology', false, NULL, NULL, 'https://grafana.example/1', 'smithi', 'ceph-ci'),
  -- A running job: every JSON column holds json.dumps(None), the text "null".
  (2, 10, '2', 'running', NULL, '2026-01-15 10:21:01', '2026-01-15 10:26:00', '2026-01-15 10:59:00', NULL, 'rados/basic',
   NULL, NULL, NULL, 'default', 'null', NULL, 'smithi', NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   'main', NULL, 'abcdef0123456789abcdef0123456789abcdef01', NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL, 'null', 'null',
   NULL, NULL, NULL, 'teuthology', NULL, NULL, NULL, NULL, NULL, NULL),
  -- Job 3, three times: the most recently updated row (id 4) wins.
  (3, 10, '3', 'queued', NULL, '2026-01-15 10:21:02', NULL, '2026-01-15 10:30:00', NULL, 'rados/three (queued)',
   NULL, NULL, NULL, 'default', 'null', NULL, 'smithi', NULL, NULL, NULL, NULL, 'null', NULL, 10, NULL, NULL, 'null', NULL,
   'main', NULL, 'abcdef0123456789abcdef0123456789abcdef01', NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL, 'null', 'null',
   NULL, NULL, NULL, 'teuthology', NULL, NULL, NULL, NULL, 'smithi', NULL),
  (4, 10, '3', 'fail', false, '2026-01-15 10:21:03', '2026-01-15 10:31:00', '2026-01-15 10:50:00', NULL, 'rados/three (failed)',
   600, NULL, 'Command failed on smithi002', 'default', 'null', NULL, 'smithi', NULL, NULL, NULL, NULL, 'null', NULL, 10, NULL, NULL, 'null', NULL,
   'main', NULL, 'abcdef0123456789abcdef0123456789abcdef01', NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL,
   '{"ubuntu@smithi002.front.sepia.ceph.com": "key"}', 'null', NULL, NULL, NULL, 'teuthology', NULL, NULL, NULL, NULL, 'smithi', NULL),
  (5, 10, '3', 'dead', NULL, '2026-01-15 10:21:04', NULL, '2026-01-15 10:40:00', NULL, 'rados/three (dead)',
   NULL, NULL, NULL, 'default', 'null', NULL, 'smithi', NULL, NULL, NULL, NULL, 'null', NULL, 10, NULL, NULL, 'null', NULL,
   'main', NULL, 'abcdef0123456789abcdef0123456789abcdef01', NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL, 'null', 'null',
   NULL, NULL, NULL, 'teuthology', NULL, NULL, NULL, NULL, 'smithi', NULL),
  -- Job 4, twice, updated at the same time: the highest id (7, fail) wins.
  (6, 10, '4', 'pass', true, '2026-01-15 10:21:05', NULL, '2026-01-15 10:45:00', NULL, 'rados/four (pass)',
   NULL, NULL, NULL, 'default', 'null', NULL, 'smithi', NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   'main', NULL, NULL, NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, NULL, 'teuthology',
   NULL, NULL, NULL, NULL, NULL, NULL),
  (7, 10, '4', 'fail', false, '2026-01-15 10:21:06', NULL, '2026-01-15 10:45:00', NULL, 'rados/four (fail)',
   NULL, NULL, NULL, 'default', 'null', NULL, 'smithi', NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   'main', NULL, NULL, NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, NULL, 'teuthology',
   NULL, NULL, NULL, NULL, NULL, NULL),
  -- Job 5, twice: a row never updated (NULL) loses to one that was, whatever their ids.
  (9, 10, '5', 'pass', true, '2026-01-15 10:21:07', NULL, '2026-01-15 10:46:00', NULL, 'rados/five (updated)',
   NULL, NULL, NULL, 'default', 'null', NULL, 'smithi', NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   'main', NULL, NULL, NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, NULL, 'teuthology',
   NULL, NULL, NULL, NULL, NULL, NULL),
  (8, 10, '5', 'dead', NULL, '2026-01-15 10:21:08', NULL, NULL, NULL, 'rados/five (never updated)',
   NULL, NULL, NULL, 'default', 'null', NULL, 'smithi', NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   'main', NULL, NULL, NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, NULL, 'teuthology',
   NULL, NULL, NULL, NULL, NULL, NULL),
  -- Job 6: no status (upstream counts it as unknown), JSON texts that are not JSON, or empty.
  (20, 10, '6', NULL, NULL, '2026-01-15 10:21:09', NULL, '2026-01-15 10:47:00', NULL, 'rados/six',
   NULL, NULL, NULL, NULL, 'not json {', NULL, 'smithi', NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL,
   '  {"a": [1, 2.50, 1e3]}  ', NULL, 'main', NULL, NULL, NULL, NULL, 'rados', NULL, NULL, NULL, NULL, NULL,
   NULL, '{"bad": NaN}', NULL, NULL, NULL, 'teuthology', NULL, NULL, NULL, NULL, NULL, NULL),
  -- Run 11: two passed jobs, on the VM.
  (30, 11, '100', 'pass', true, '2026-01-16 01:03:00', '2026-01-16 01:10:00', '2026-01-16 01:50:00', NULL, 'fs/one',
   NULL, NULL, NULL, 'default', 'null', NULL, 'vps', NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   'wip-foo', NULL, '1111111111111111111111111111111111111111', NULL, NULL, 'fs', NULL, NULL, NULL, NULL, NULL,
   '{"ubuntu@vpm001.front.sepia.ceph.com": "key"}', 'null', NULL, NULL, NULL, 'scott', NULL, NULL, NULL, NULL, NULL, NULL),
  (31, 11, '101', 'pass', true, '2026-01-16 01:03:01', '2026-01-16 01:11:00', '2026-01-16 02:00:00', NULL, 'fs/two',
   NULL, NULL, NULL, 'default', 'null', NULL, 'vps', NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   'wip-foo', NULL, '1111111111111111111111111111111111111111', NULL, NULL, 'fs', NULL, NULL, NULL, NULL, NULL,
   'null', 'null', NULL, NULL, NULL, 'scott', NULL, NULL, NULL, NULL, NULL, NULL),
  -- Run 12: a queued job, with a priority, in the mira queue.
  (40, 12, '200', 'queued', NULL, '2026-01-17 00:00:02', NULL, '2026-01-17 00:05:00', NULL, 'rbd/queued',
   NULL, NULL, NULL, 'default', 'null', NULL, 'mira', NULL, NULL, NULL, NULL, 'null', NULL, 75, NULL, NULL, 'null', NULL,
   'main', NULL, NULL, NULL, NULL, 'rbd', NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, NULL, 'alice', NULL,
   NULL, NULL, NULL, 'mira', NULL),
  -- A job of no run, and a job of the run without a name: skipped.
  (41, NULL, '300', 'pass', true, '2026-01-17 00:00:03', NULL, '2026-01-17 00:00:03', NULL, NULL,
   NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL),
  (42, 14, '301', 'pass', true, '2026-01-17 00:00:03', NULL, '2026-01-17 00:00:03', NULL, NULL,
   NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 'null', NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL);

-- Job-node links, from the jobs' targets; both rows of job 3 have one, and the merged job gets both.
INSERT INTO job_nodes (node_id, job_id) VALUES (1, 1), (1, 3), (2, 4), (10, 30), (1, 42);

INSERT INTO queue (queue, paused_by, paused_since, pause_duration, paused_until) VALUES
  ('smithi', 'scott', '2026-01-15 09:00:00', 3600, '2099-01-01 00:00:00'),
  ('mira', NULL, NULL, NULL, NULL);

SELECT setval('runs_id_seq', 100), setval('jobs_id_seq', 100), setval('nodes_id_seq', 100);

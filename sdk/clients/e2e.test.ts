// End to end through a generated client: .ci/check-clients generates the @hey-api/openapi-ts fetch
// client from the served /openapi.json into ../heyapi (a temporary directory, never kept), compiles
// this file with it (tsconfig.e2e.json) and runs it with `node --test` against that same server,
// PADDLES_URL. teuthology's flow in small: a run, a job posted with a dotted key, updated and read
// back; a node created, locked and unlocked.
import { strict as assert } from "node:assert";
import { test } from "node:test";

import { createClient, createConfig } from "../heyapi/client";
import {
  createJob, createNode, createRun, getJob, getNode, lockManyNodes, unlockManyNodes, updateJob,
} from "../heyapi/sdk.gen";
import type { JobInput } from "../heyapi/types.gen";

const baseUrl = process.env.PADDLES_URL;
if (!baseUrl) {
  throw new Error("PADDLES_URL is not set: run .ci/check-clients");
}
const client = createClient(createConfig({ baseUrl }));

// Each run of the test has names of its own, so that it can run again against the same server.
const tag = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
const machineType = `e2e${tag}`;
const runName = `clients-2026-01-15_10:20:30-e2e${tag}-main-distro-default-${machineType}`;
const nodeName = `e2e${tag}.front.sepia.ceph.com`;
const owner = "clients-e2e@ci";

function ok(what: string, r: { error?: unknown; response?: Response }): void {
  assert.equal(r.error, undefined, `${what}: ${JSON.stringify(r.error)}`);
  assert.equal(r.response?.status, 200, `${what}: status ${r.response?.status}`);
}

test("a job: posted with a dotted key, updated, read back", async () => {
  ok("createRun", await createRun({ client, body: { name: runName } }));

  // teuthology sends `mon.a_kernel_sha1`; the server stores it as `mon_a_kernel_sha1`. The spec
  // names the stored key, so the dotted one goes in as teuthology's config does, beside it.
  const teuthology = { "mon.a_kernel_sha1": "4a1a0e4c2cbe7a7e5e1bd13c2a3a9d3b8f2a1c55" };
  const job: JobInput = {
    ...teuthology,
    job_id: "1",
    status: "queued",
    machine_type: machineType,
    description: "rados/thrash",
  };
  const created = await createJob({ client, path: { name: runName }, body: job });
  ok("createJob", created);
  assert.equal(created.data?.job_id, "1");

  ok("updateJob", await updateJob({
    client,
    path: { name: runName, job_id: "1" },
    body: { status: "running", pid: 4242, duration: 12.4 },
  }));
  ok("updateJob (pass)", await updateJob({
    client,
    path: { name: runName, job_id: "1" },
    body: { success: true, failure_reason: null },
  }));

  const got = await getJob({ client, path: { name: runName, job_id: "1" } });
  ok("getJob", got);
  const stored = got.data;
  assert.ok(stored);
  assert.equal(stored.job_id, "1");
  assert.equal(stored.status, "pass");
  assert.equal(stored.success, true);
  assert.equal(stored.machine_type, machineType);
  assert.equal(stored.description, "rados/thrash");
  assert.equal(stored.pid, "4242");
  assert.equal(stored.duration, 12);
  assert.equal(stored.mon_a_kernel_sha1, "4a1a0e4c2cbe7a7e5e1bd13c2a3a9d3b8f2a1c55");
  assert.equal(stored.failure_reason, null);
});

test("a node: created unlocked, locked, unlocked", async () => {
  ok("createNode", await createNode({
    client,
    body: { name: nodeName, machine_type: machineType, up: true, locked: false, os_type: "ubuntu" },
  }));
  const free = await getNode({ client, path: { node: nodeName } });
  ok("getNode", free);
  assert.equal(free.data?.locked, false);

  const locked = await lockManyNodes({
    client,
    body: { count: 1, locked_by: owner, machine_type: machineType, description: `/archive/${runName}/1` },
  });
  ok("lockManyNodes", locked);
  assert.deepEqual(locked.data?.map((n) => [n.name, n.locked, n.locked_by]), [[nodeName, true, owner]]);
  const held = await getNode({ client, path: { node: nodeName } });
  ok("getNode (locked)", held);
  assert.equal(held.data?.locked, true);
  assert.equal(held.data?.locked_by, owner);
  assert.equal(held.data?.description, `/archive/${runName}/1`);

  // Another owner may not unlock it: all or none, 403.
  const refused = await unlockManyNodes({ client, body: { names: [nodeName], locked_by: "someone@else" } });
  assert.equal(refused.response?.status, 403, `unlockManyNodes by another owner: status ${refused.response?.status}`);

  const unlocked = await unlockManyNodes({ client, body: { names: [nodeName], locked_by: owner } });
  ok("unlockManyNodes", unlocked);
  assert.deepEqual(unlocked.data?.map((n) => [n.name, n.locked]), [[nodeName, false]]);
  const after = await getNode({ client, path: { node: nodeName } });
  ok("getNode (unlocked)", after);
  assert.equal(after.data?.locked, false);
});

// Fails when a generated TypeScript client takes an untyped request body (any, unknown, object,
// Record<string, any> or a type that lets any other key through an index signature) for one of
// the operations below. .ci/check-clients runs it on each generator's output:
//
//   node sdk/clients/bodies.mjs <generator> <dir of the generated client> <openapi.json>
//
// The body is found the way each generator exposes it, through the TypeScript compiler's own
// view of the generated code (the type a caller must pass), not by matching text.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

export const OPERATIONS = [
  "createJob", "updateJob", "createNode", "updateNode",
  "lockManyNodes", "unlockManyNodes", "createQueue", "updateQueue",
];

const [generator, dir, specPath] = process.argv.slice(2);
if (!generator || !dir || !specPath) {
  console.error("usage: node bodies.mjs <hey-api|orval|swagger-typescript-api|openapi-typescript-codegen> <dir> <openapi.json>");
  process.exit(2);
}

// The path parameters of each operation, in the order of its path (orval passes them first).
const spec = JSON.parse(readFileSync(specPath, "utf8"));
const pathParams = {};
for (const [path, item] of Object.entries(spec.paths ?? {})) {
  for (const op of Object.values(item)) {
    if (op && typeof op === "object" && op.operationId) {
      pathParams[op.operationId] = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    }
  }
}

const files = [];
(function walk(d) {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".ts")) files.push(p);
  }
})(dir);
const program = ts.createProgram(files, {
  strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"], types: [],
});
const checker = program.getTypeChecker();
const sources = program.getSourceFiles().filter((f) => files.includes(f.fileName));

function exportsOf(file) {
  const sym = checker.getSymbolAtLocation(file);
  return sym ? checker.getExportsOfModule(sym) : [];
}
function typeOf(sym, at) {
  return checker.getTypeOfSymbolAtLocation(sym, at ?? sym.valueDeclaration ?? sym.declarations[0]);
}
function params(type) {
  const sig = type.getCallSignatures()[0];
  return sig ? sig.getParameters() : undefined;
}
function exported(name) {
  for (const f of sources) {
    const sym = exportsOf(f).find((s) => s.name === name);
    if (sym) return sym;
  }
  return undefined;
}

// Where each generator puts an operation's body: [the body's type, a description of where].
const locate = {
  // sdk.gen.ts: createJob(options: Options<CreateJobData>); types.gen.ts: CreateJobData = {body: JobInput, ...}.
  "hey-api"(op) {
    const name = op[0].toUpperCase() + op.slice(1) + "Data";
    const data = exported(name);
    if (!data) return [undefined, `no exported type ${name}`];
    const body = checker.getDeclaredTypeOfSymbol(data).getProperty("body");
    if (!body) return [undefined, `${name} has no body`];
    return [typeOf(body), `${name}["body"]`];
  },
  // createJob(name, jobInput, options?): the path parameters, then the body.
  orval(op) {
    const fn = exported(op);
    const ps = fn && params(typeOf(fn));
    if (!ps) return [undefined, `no exported function ${op}`];
    const i = (pathParams[op] ?? []).length;
    if (!ps[i] || ps[i].name === "options") return [undefined, `${op} has no body parameter after its ${i} path parameters`];
    return [typeOf(ps[i]), `${op}(…, ${ps[i].name})`];
  },
  // class Api { runs = { createJob: (name, data: JobInput, params) => ... } }
  "swagger-typescript-api"(op) {
    const api = exported("Api");
    if (!api) return [undefined, "no exported class Api"];
    const instance = checker.getDeclaredTypeOfSymbol(api);
    for (const group of instance.getProperties()) {
      const member = typeOf(group).getProperty(op);
      const ps = member && params(typeOf(member));
      const data = ps?.find((p) => p.name === "data");
      if (data) return [typeOf(data), `Api.${group.name}.${op}(…, data)`];
    }
    return [undefined, `no method ${op}(…, data) on Api`];
  },
  // class JobsService { static createJob(name, requestBody: JobInput) }
  "openapi-typescript-codegen"(op) {
    for (const f of sources) {
      for (const sym of exportsOf(f)) {
        if (!(sym.flags & ts.SymbolFlags.Class)) continue;
        const member = typeOf(sym).getProperty(op);
        const ps = member && params(typeOf(member));
        const body = ps?.find((p) => p.name === "requestBody");
        if (body) return [typeOf(body), `${sym.name}.${op}(…, requestBody)`];
      }
    }
    return [undefined, `no static method ${op}(…, requestBody)`];
  },
};

// Why the type does not describe the body's keys, or "" when it does.
function untyped(type) {
  const parts = (type.isUnion() ? type.types : [type])
    .filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
  if (parts.length === 0 || parts.every((t) => t.flags & ts.TypeFlags.Never)) {
    return `no body (${checker.typeToString(type)})`;
  }
  for (const t of parts) {
    if (t.flags & ts.TypeFlags.Any) return "any";
    if (t.flags & ts.TypeFlags.Unknown) return "unknown";
    if (t.flags & ts.TypeFlags.NonPrimitive) return "object";
    if (!(t.flags & ts.TypeFlags.Object) && !t.isIntersection()) return `not an object (${checker.typeToString(t)})`;
    for (const info of checker.getIndexInfosOfType(t)) {
      if (info.type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) {
        const n = t.getProperties().length;
        const sig = `[key: ${checker.typeToString(info.keyType)}]: ${checker.typeToString(info.type)}`;
        return n ? `${sig} beside its ${n} properties: any other key passes (additionalProperties)` : `${sig} and no properties (Record<string, ${checker.typeToString(info.type)}>)`;
      }
    }
    if (t.getProperties().length === 0) return `no properties (${checker.typeToString(t)})`;
  }
  return "";
}

if (!locate[generator]) {
  console.error(`unknown generator ${generator}`);
  process.exit(2);
}
let bad = 0;
for (const op of OPERATIONS) {
  const [type, where] = locate[generator](op);
  if (!type) {
    console.log(`FAIL ${generator} ${op}: body not found: ${where}`);
    bad++;
    continue;
  }
  const shown = checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
  const why = untyped(type);
  if (why) {
    console.log(`FAIL ${generator} ${op}: ${where} is ${shown}: untyped: ${why}`);
    bad++;
  } else {
    console.log(`ok   ${generator} ${op}: ${where} is ${shown}`);
  }
}
if (bad) {
  console.log(`${generator}: ${bad} of ${OPERATIONS.length} request bodies untyped`);
  process.exit(1);
}

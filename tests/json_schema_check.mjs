#!/usr/bin/env node
// Validates a JSON document, or every line of a JSONL file, against a JSON
// Schema file (draft 2020-12, Ajv with formats where ajv-formats exists).
//
//   node tests/json_schema_check.mjs SCHEMA.json FILE [--jsonl]
//
// Prints "valid (N documents)" and exits 0, or one line per error (with the
// line number for JSONL) and exits 1; exits 2 on a usage or setup error.
// Needs ajv from SCHEMA_DEPS (a folder with node_modules), as
// tests/schema_check.mjs.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dirname = path.dirname(fileURLToPath(import.meta.url));
const die = (m) => { process.stderr.write(`json_schema_check: ${m}\n`); process.exit(2); };
const args = process.argv.slice(2);
const jsonl = args.includes("--jsonl");
const [schemaPath, docPath] = args.filter((a) => a !== "--jsonl");
if (!schemaPath || !docPath) die("usage: node tests/json_schema_check.mjs SCHEMA.json FILE [--jsonl]");
const require = createRequire(path.join(process.env.SCHEMA_DEPS || dirname, "noop.js"));
let Ajv2020;
try { Ajv2020 = require("ajv/dist/2020").default; } catch (e) { die(`cannot load ajv: ${e.message.split("\n")[0]}`); }
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
let validate;
try { validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, "utf8"))); } catch (e) { die(`bad schema ${schemaPath}: ${e.message}`); }
const text = fs.readFileSync(docPath, "utf8");
const docs = [];
try {
  if (jsonl) text.split("\n").forEach((l, i) => { if (l.trim()) docs.push([i + 1, JSON.parse(l)]); });
  else docs.push([1, JSON.parse(text)]);
} catch (e) { console.log(`not JSON: ${e.message}`); process.exit(1); }
let bad = 0;
for (const [line, doc] of docs) {
  if (!validate(doc)) {
    bad++;
    for (const err of validate.errors.slice(0, 5)) console.log(`line ${line}: ${err.instancePath || "/"} ${err.message}`);
  }
}
if (bad) process.exit(1);
console.log(`valid (${docs.length} documents)`);

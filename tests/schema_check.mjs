#!/usr/bin/env node
// Validates a JSON document against one schema of the OpenAPI contract.
//
//   node tests/schema_check.mjs SPEC.yaml SCHEMA_NAME FILE.json
//
// FILE may be "-" for standard input. The document is checked against
// components.schemas[SCHEMA_NAME] of SPEC, with the spec's internal
// references ("#/components/...") resolved, by Ajv in JSON Schema 2020-12
// mode (the dialect of OpenAPI 3.1). Prints "valid" and exits 0, or prints
// one line per error and exits 1; exits 2 on a usage or setup error.
//
// Needs the npm packages ajv and yaml, from the folder named by the
// environment variable SCHEMA_DEPS (a folder containing node_modules), else
// from node_modules beside or above this script, else from NODE_PATH.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dirname = path.dirname(fileURLToPath(import.meta.url));

function die(msg) {
	process.stderr.write(`schema_check: ${msg}\n`);
	process.exit(2);
}

const args = process.argv.slice(2);
if (args.length !== 3)
	die("usage: node tests/schema_check.mjs SPEC.yaml SCHEMA_NAME FILE.json (FILE may be -)");
const [specPath, schemaName, docPath] = args;

// ES modules ignore NODE_PATH; a CommonJS require honours it and SCHEMA_DEPS.
const require = createRequire(path.join(process.env.SCHEMA_DEPS || dirname, "noop.js"));
let Ajv2020, YAML;
try {
	Ajv2020 = require("ajv/dist/2020").default;
	YAML = require("yaml");
} catch (e) {
	die(`cannot load ajv and yaml (${e.message.split("\n")[0]}); ` +
		"run `npm install ajv yaml` in a folder and set SCHEMA_DEPS to it");
}

function readText(p) {
	try {
		return fs.readFileSync(p === "-" ? 0 : p, "utf8");
	} catch (e) {
		die(`cannot read ${p}: ${e.message}`);
	}
}

let spec, doc;
try {
	spec = YAML.parse(readText(specPath));
} catch (e) {
	die(`${specPath} is not valid YAML: ${e.message}`);
}
try {
	doc = JSON.parse(readText(docPath));
} catch (e) {
	die(`${docPath} is not valid JSON: ${e.message}`);
}
const schemas = spec?.components?.schemas;
if (!schemas || typeof schemas !== "object")
	die(`${specPath} has no components.schemas`);
if (!Object.hasOwn(schemas, schemaName))
	die(`no schema ${schemaName} in ${specPath}; known: ${Object.keys(schemas).join(", ")}`);

// strict off: OpenAPI adds keywords such as `example` to its schemas.
const ajv = new Ajv2020({ strict: false, allErrors: true });

// Formats: Ajv knows none without ajv-formats. Check the ones the contract
// uses that matter here; accept any other format name found in the spec
// rather than fail on it.
const known = {
	uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};
const formats = new Set();
(function collect(v) {
	if (Array.isArray(v)) v.forEach(collect);
	else if (v && typeof v === "object")
		for (const [k, x] of Object.entries(v)) {
			if (k === "format" && typeof x === "string") formats.add(x);
			collect(x);
		}
})(schemas);
for (const f of formats) ajv.addFormat(f, known[f] ?? true);

let validate;
try {
	ajv.addSchema({ $id: "spec", components: spec.components });
	validate = ajv.compile({ $ref: `spec#/components/schemas/${schemaName}` });
} catch (e) {
	die(`cannot compile schema ${schemaName}: ${e.message}`);
}

if (validate(doc)) {
	console.log("valid");
	process.exit(0);
}
for (const err of validate.errors) {
	const where = err.instancePath || "(document)";
	const extra = err.keyword === "additionalProperties" ? ` (${err.params.additionalProperty})`
		: err.keyword === "enum" ? ` (${err.params.allowedValues.join(", ")})`
		: "";
	console.log(`${where}: ${err.message}${extra} [${err.schemaPath}]`);
}
process.exit(1);

// Strict parser of the Prometheus text exposition format 0.0.4, for the
// tests: it rejects what Prometheus would reject and also what the format
// only tolerates, so that the service's /metrics stays clean.
//
//   node tests/prom_parse.mjs [FILE]     (stdin without FILE)
//
// Checks, line by line: HELP and TYPE come before their family's samples,
// at most once each; a family's samples are contiguous; metric and label
// names are valid; label values use only the escapes \\ \" \n; values are
// floats; no series appears twice; counters are not negative; a histogram
// has, per label set, buckets with le ascending and ending in +Inf, counts
// cumulative (never decreasing), _sum and _count, and _count equal to the
// +Inf bucket. On success prints each sample as a JSON line
// {"name", "labels", "value"} (value a number, or "+Inf", "-Inf", "NaN")
// and exits 0; on the first error prints "line N: why" on stderr, exits 1.
import { readFileSync } from "node:fs";

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

class ParseError extends Error {}

function parseFloatStrict(s, what) {
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  if (!FLOAT.test(s)) throw new ParseError(`${what} is not a float: ${JSON.stringify(s)}`);
  return Number(s);
}

// Parses `{a="x",b="y"}` from s at i (s[i] === "{"); returns [labels, next index].
function parseLabels(s, i) {
  const labels = {};
  i++;
  for (;;) {
    if (s[i] === "}") return [labels, i + 1];
    let j = i;
    while (j < s.length && /[a-zA-Z0-9_]/.test(s[j])) j++;
    const name = s.slice(i, j);
    if (!LABEL.test(name)) throw new ParseError(`invalid label name ${JSON.stringify(name)}`);
    if (name.startsWith("__")) throw new ParseError(`reserved label name ${name}`);
    if (name in labels) throw new ParseError(`label ${name} twice`);
    if (s[j] !== "=" || s[j + 1] !== '"') throw new ParseError(`expected ="..." after label ${name}`);
    j += 2;
    let value = "";
    for (;;) {
      if (j >= s.length) throw new ParseError(`unterminated value of label ${name}`);
      const c = s[j];
      if (c === '"') break;
      if (c === "\\") {
        const e = s[j + 1];
        if (e === "\\") value += "\\";
        else if (e === '"') value += '"';
        else if (e === "n") value += "\n";
        else throw new ParseError(`invalid escape \\${e ?? ""} in label ${name}`);
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    labels[name] = value;
    j++;
    if (s[j] === ",") {
      j++;
      if (s[j] === "}") return [labels, j + 1]; // a trailing comma is allowed
    } else if (s[j] !== "}") {
      throw new ParseError(`expected , or } after label ${name}`);
    }
    i = j;
  }
}

function seriesKey(name, labels) {
  return name + JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

// The family a sample belongs to, given the declared types.
function familyOf(name, types) {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = types.get(base);
      if (t === "histogram" || (t === "summary" && suffix !== "_bucket")) return base;
    }
  }
  return name;
}

function checkHistogram(family, samples) {
  const groups = new Map();
  for (const s of samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
    if (!groups.has(key)) groups.set(key, { buckets: [], sum: undefined, count: undefined, line: s.line });
    const g = groups.get(key);
    if (s.name === family + "_bucket") {
      if (le === undefined) throw new ParseError(`line ${s.line}: ${s.name} without le`);
      g.buckets.push({ le: parseFloatStrict(le, "le"), value: s.value, line: s.line });
    } else if (s.name === family + "_sum") {
      g.sum = s.value;
    } else if (s.name === family + "_count") {
      g.count = s.value;
    } else {
      throw new ParseError(`line ${s.line}: ${s.name} in histogram ${family}`);
    }
    if (le !== undefined && s.name !== family + "_bucket") throw new ParseError(`line ${s.line}: le on ${s.name}`);
  }
  for (const g of groups.values()) {
    const where = `line ${g.line}: histogram ${family}`;
    if (g.buckets.length === 0) throw new ParseError(`${where}: no buckets`);
    for (let k = 1; k < g.buckets.length; k++) {
      if (!(g.buckets[k].le > g.buckets[k - 1].le)) throw new ParseError(`line ${g.buckets[k].line}: le not ascending`);
      if (g.buckets[k].value < g.buckets[k - 1].value)
        throw new ParseError(`line ${g.buckets[k].line}: bucket counts not cumulative`);
    }
    const last = g.buckets[g.buckets.length - 1];
    if (last.le !== Infinity) throw new ParseError(`${where}: the last bucket is not le="+Inf"`);
    if (g.sum === undefined) throw new ParseError(`${where}: no _sum`);
    if (g.count === undefined) throw new ParseError(`${where}: no _count`);
    if (g.count !== last.value) throw new ParseError(`${where}: _count ${g.count} differs from the +Inf bucket ${last.value}`);
    for (const b of g.buckets)
      if (!(b.value >= 0) || !Number.isInteger(b.value)) throw new ParseError(`line ${b.line}: bucket count not a whole number`);
  }
}

export function parse(text) {
  if (text.length > 0 && !text.endsWith("\n")) throw new ParseError("the text does not end with a newline");
  const lines = text.split("\n");
  lines.pop();
  const types = new Map(); // family -> type
  const helps = new Set();
  const done = new Set(); // families whose samples are over
  const seen = new Set(); // series keys
  const samples = [];
  let current = null; // family of the last sample
  let currentSamples = [];
  const closeFamily = () => {
    if (current === null) return;
    if (types.get(current) === "histogram") checkHistogram(current, currentSamples);
    done.add(current);
    current = null;
    currentSamples = [];
  };
  lines.forEach((line, idx) => {
    const n = idx + 1;
    try {
      if (line.trim() === "") return;
      if (line.startsWith("#")) {
        const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
        if (!m) return; // another comment
        const [, kind, name, rest = ""] = m;
        if (!METRIC.test(name)) throw new ParseError(`invalid metric name ${JSON.stringify(name)}`);
        if (done.has(name) || current === name) throw new ParseError(`${kind} for ${name} after its samples`);
        if (kind === "HELP") {
          if (helps.has(name)) throw new ParseError(`second HELP for ${name}`);
          if (/\\(?![\\n])/.test(rest)) throw new ParseError(`invalid escape in HELP of ${name}`);
          helps.add(name);
        } else {
          if (types.has(name)) throw new ParseError(`second TYPE for ${name}`);
          if (!TYPES.has(rest.trim())) throw new ParseError(`unknown type ${JSON.stringify(rest)}`);
          types.set(name, rest.trim());
        }
        return;
      }
      const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
      if (!nm) throw new ParseError("a sample must start with a metric name");
      const name = nm[0];
      let i = name.length;
      let labels = {};
      if (line[i] === "{") [labels, i] = parseLabels(line, i);
      const rest = line.slice(i);
      const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
      if (!vm) throw new ParseError(`expected " value [timestamp]" after the series, got ${JSON.stringify(rest)}`);
      const value = parseFloatStrict(vm[1], "the value");
      const family = familyOf(name, types);
      if (family !== current) {
        closeFamily();
        if (done.has(family)) throw new ParseError(`samples of ${family} are not together`);
        current = family;
      }
      if (!types.has(family)) throw new ParseError(`sample of ${family} before its TYPE`);
      if (!helps.has(family)) throw new ParseError(`sample of ${family} before its HELP`);
      const type = types.get(family);
      if (type === "counter" && !(value >= 0)) throw new ParseError(`counter ${name} is ${vm[1]}`);
      if (type === "counter" && !name.endsWith("_total")) throw new ParseError(`counter ${name} does not end in _total`);
      const key = seriesKey(name, labels);
      if (seen.has(key)) throw new ParseError(`series ${name}${JSON.stringify(labels)} twice`);
      seen.add(key);
      const sample = { name, labels, value, line: n };
      currentSamples.push(sample);
      samples.push(sample);
    } catch (e) {
      if (e instanceof ParseError && !e.message.startsWith("line ")) e.message = `line ${n}: ${e.message}`;
      throw e;
    }
  });
  closeFamily();
  return samples;
}

const text = readFileSync(process.argv[2] ?? 0, "utf8");
try {
  const out = parse(text).map(({ name, labels, value }) =>
    JSON.stringify({ name, labels, value: Number.isFinite(value) ? value : String(value).replace(/^Infinity$/, "+Inf").replace(/^-Infinity$/, "-Inf") }),
  );
  process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
} catch (e) {
  if (!(e instanceof ParseError)) throw e;
  process.stderr.write(`prom_parse: ${e.message}\n`);
  process.exit(1);
}

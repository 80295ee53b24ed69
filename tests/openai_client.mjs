// The official OpenAI client against the service, unchanged: model list,
// a plain completion and a streamed one; or, with "conversation", a
// three-turn conversation plain and streamed. Usage:
//   node tests/openai_client.mjs BASE_URL MODEL EXPECTED_TEXT [conversation]
// Prints one "ok - ..." or "FAIL - ..." line per check; exits 1 on a failure.
// The openai package is resolved from $SCHEMA_DEPS/node_modules.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.SCHEMA_DEPS || process.cwd(), "noop.js"));
const OpenAI = require("openai").default ?? require("openai");

const [base, model, expected, mode] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "test-key", maxRetries: 0, timeout: 20000 });
let failed = 0;
const check = (what, cond, detail = "") => {
  console.log(`${cond ? "ok" : "FAIL"} - ${what}${cond ? "" : ": " + detail}`);
  if (!cond) failed++;
};
const messages = [
  { role: "system", content: "ignored: the service builds its own prompt" },
  { role: "user", content: "Since I moved away I cannot keep shabbat with my family and I feel so alone." },
];

// conversation: three turns (and a system message the service leaves out);
// the fake backend's answer (report_turns) says which messages it read.
async function conversation() {
  const turns = [
    { role: "system", content: "ignored: the service builds its own prompt" },
    { role: "user", content: "TURN-1 Since I moved away I cannot keep shabbat with my family." },
    { role: "assistant", content: "TURN-2 That sounds lonely. What do you miss most?" },
    { role: "user", content: "TURN-3 The dinners, and my mother's voice." },
  ];
  const plain = await client.chat.completions.create({ model, messages: turns });
  check("three turns: the reply was built from all three", plain.choices[0].message.content === expected,
    JSON.stringify(plain.choices[0].message.content));
  const ctx = plain.culturecare && plain.culturecare.context;
  check("three turns: two earlier turns used, the system message left out",
    ctx && ctx.turns_used === 2 && ctx.turns_dropped === 0 && ctx.system_messages_ignored === 1, JSON.stringify(ctx));
  const stream = await client.chat.completions.create({ model, messages: turns, stream: true });
  const pieces = [];
  for await (const chunk of stream) {
    const d = chunk.choices?.[0]?.delta?.content;
    if (d) pieces.push(d);
  }
  check("three turns, streamed: the same reply", pieces.join("") === expected, JSON.stringify(pieces.join("")));
}

try {
  if (mode === "conversation") {
    await conversation();
    console.log(failed ? `openai client: ${failed} failed` : "openai client: all passed");
    process.exit(failed ? 1 : 0);
  }
  const list = await client.models.list();
  const ids = [];
  for await (const m of list) ids.push(m.id);
  check("models.list names the culture's models", ids.includes(model), ids.slice(0, 5).join(","));

  const plain = await client.chat.completions.create({ model, messages });
  const text = plain.choices[0].message.content;
  check("chat.completions.create (plain) returns the reply", text === expected, JSON.stringify(text));
  check("with usage", plain.usage && plain.usage.total_tokens > 0, JSON.stringify(plain.usage));
  check("and the annotation metadata", plain.culturecare && plain.culturecare.culture === "jewish");

  const stream = await client.chat.completions.create({ model, messages, stream: true });
  const pieces = [];
  let meta = null;
  for await (const chunk of stream) {
    if (chunk.culturecare && !meta) meta = chunk.culturecare;
    const d = chunk.choices?.[0]?.delta?.content;
    if (d) pieces.push(d);
  }
  check("stream: text arrives in several chunks", pieces.length > 1, `${pieces.length} chunks`);
  check("stream: the chunks joined equal the plain reply", pieces.join("") === text, JSON.stringify(pieces.join("")));
  check("stream: metadata in the first chunk", meta && meta.culture === "jewish");

  try {
    await client.chat.completions.create({ model: "gpt-4o", messages });
    check("an unknown model is an error", false, "no error");
  } catch (e) {
    check("an unknown model is an API error with status 422", e.status === 422, String(e.status));
    check("in OpenAI's error shape", e.error && e.error.type === "invalid_request_error", JSON.stringify(e.error));
  }
} catch (e) {
  check("the client works", false, e.stack || String(e));
}
console.log(failed ? `openai client: ${failed} failed` : "openai client: all passed");
process.exit(failed ? 1 : 0);

#!/usr/bin/env bash
# Benchmark (prints figures, asserts nothing about speed): the latency the
# service adds to a streamed reply's first piece. The fake backend streams
# 200 pieces 20 ms apart; for each of R runs (default 20) it is the time
# between the fake handing its first piece to its HTTP library
# (_first_piece_ms in /_requests, wall clock) and the client receiving the
# first `event: delta` line (a node script using fetch, stamping each chunk
# with performance.timeOrigin + performance.now()). Prints min, median and
# max in ms, and whether every run got all 200 pieces in order.
# Usage: tests/bench/stream_latency.sh [BUILD_DIR] [RUNS]
# Loopback only; about 4.5 s per run.
. "$(dirname "$0")/bench.sh" "$@"
runs=${2:-20}
command -v node >/dev/null || { echo "node (18 or later, for fetch) is needed"; exit 1; }

pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
serve_up
fake_script "$(jq -cn '{pieces: [range(200) | "p\(.) "], piece_interval_ms: 20}')"

cat >"$T/latency.mjs" <<'JS'
// node latency.mjs BASE FAKE RUNS: one streamed POST /support per run.
const [base, fake, runs] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const now = () => performance.timeOrigin + performance.now();
const expected = Array.from({ length: 200 }, (_, i) => `p${i} `);
const body = JSON.stringify({
  message: "Since I moved away I feel so alone and I cannot sleep.",
  culture: "jewish", strategy: "redditor", annotator: "corpus", stream: true,
});
const lat = [];
let complete = 0;
for (let run = 1; run <= runs; run++) {
  const res = await fetch(`${base}/support`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body,
  });
  const dec = new TextDecoder();
  let buf = "", firstDelta = null, event = null;
  const texts = [];
  let done = false;
  for await (const chunk of res.body) {
    const t = now();
    buf += dec.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      if (line.startsWith("event:")) {
        event = line.slice(6).trim();
        if (event === "delta" && firstDelta === null) firstDelta = t;
      } else if (line.startsWith("data:") && event === "delta") {
        texts.push(JSON.parse(line.slice(5)).text);
      } else if (line.startsWith("data:") && event === "done") {
        done = true;
      } else if (line === "") {
        event = null;
      }
    }
  }
  const reqs = await (await fetch(`${fake}/_requests`)).json();
  const fp = reqs.at(-1)._first_piece_ms;
  const inOrder = done && texts.length === 200 && texts.every((x, i) => x === expected[i]);
  if (inOrder) complete++;
  const ms = firstDelta !== null && fp !== null ? firstDelta - fp : NaN;
  lat.push(ms);
  console.log(`run ${run}: status ${res.status}, first delta ${ms.toFixed(2)} ms after the fake's first piece, ` +
    `${texts.length} deltas${inOrder ? ", all 200 in order" : " (NOT all 200 in order)"}`);
}
const s = lat.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
console.log(`first-delta latency over ${s.length} runs: min ${s[0].toFixed(2)} ms, median ${med.toFixed(2)} ms, max ${s.at(-1).toFixed(2)} ms`);
console.log(`all 200 pieces in order: ${complete} of ${runs} runs`);
JS
echo "== first-delta latency through the service: 200 pieces 20 ms apart, $runs runs"
node "$T/latency.mjs" "$BASE" "$FAKE" "$runs"
serve_stop

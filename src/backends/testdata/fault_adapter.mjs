/**
 * A process-protocol adapter that misbehaves on request, for the process backend's
 * fault-injection tests. It answers only expression cases whose graph is a single input, and the
 * input's name picks the behaviour:
 *   crash      writes to stderr, then exits with code 3 without replying
 *   hang       writes to stderr, then never replies
 *   garbage    writes a line that is not JSON
 *   oversized  writes a valid reply padded to 1 MiB
 *   wrongid    replies with another request's id
 *   fails      replies ok: false
 *   badshape   replies with a value of the wrong shape
 *   count      replies with the number of requests this process has served (restarts reset it)
 *   duplicate  replies correctly, twice
 *   latedup    replies correctly, and again 100 ms later (while no request waits)
 *   barenan    replies with a bare NaN token, as Python's json.dumps writes by default
 *   huge       replies with the number literal 1e400, beyond float64's range
 *   proto      replies with a gradient under the key "__proto__"
 *   inherited  replies with a gradient under the key "constructor" and a value "valueOf"
 *   exitlater  replies correctly, then exits with code 4 100 ms later (while no request waits)
 *   pid        replies with this process's pid as the value
 *   declined   declines the case: {"id", "declined": "..."}
 *   closeout   closes its stdout but keeps running
 *   any other  replies correctly: the value is the input, its gradient the seed (or ones)
 * Start-up and lifetime faults come from argv[2]: 'exit-at-start', 'banner' (writes to stdout
 * before the handshake), 'json-banner' (a JSON line that is not a reply, before the handshake),
 * 'early-reply' (a handshake reply before reading the request, then the real one), 'protocol-2',
 * 'slow-exit' (exits 30 s after its stdin closes), 'child-holds-stdout' (starts a child that
 * inherits stdout and sleeps), 'hang-all' (never replies to a case, and creates the file argv[4] when one arrives; argv[3]
 * lists its capabilities).
 * Every argument is kept in the argv of the children it starts, so a test can find them by a marker.
 * The handshake's version echoes argv, so tests can see it verbatim.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const mode = process.argv[2] ?? '';
if (mode === 'exit-at-start') {
  process.stderr.write('fault adapter: refusing to start\n');
  process.exit(2);
}
if (mode === 'banner') process.stdout.write('Welcome to the fault adapter!\n');
if (mode === 'json-banner') process.stdout.write('{"status": "ready"}\n');
if (mode === 'child-holds-stdout') {
  spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', ...process.argv.slice(2)], { stdio: ['ignore', 'inherit', 'inherit'] });
}
if (mode === 'slow-exit') process.stdin.on('end', () => setTimeout(() => process.exit(0), 30_000));

let served = 0;
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

function answer(request) {
  if (request.type === 'handshake') {
    const capabilities = mode === 'hang-all' ? process.argv[3].split(',') : ['op:none'];
    return { protocol: mode === 'protocol-2' ? 2 : 1, name: 'faulty', version: JSON.stringify(process.argv.slice(2)), dtype: 'float64', capabilities };
  }
  if (request.type !== 'expr') throw new Error(`only expression cases, not '${request.type}'`);
  const c = request.case;
  if (c.graph.op !== 'input') throw new Error('only single-input graphs');
  const input = c.inputs[c.graph.name];
  const grads = Object.fromEntries(
    Object.entries(c.inputs)
      .filter(([, t]) => t.requiresGrad)
      .map(([name, t]) => [name, name === c.graph.name ? (c.seed ?? t.data.map(() => 1)) : null]),
  );
  return { value: { shape: input.shape, data: input.data }, grads };
}

if (mode === 'early-reply') send({ id: 0, ok: true, result: answer({ type: 'handshake' }) });

createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  if (request.type === 'expr') served++;
  if (mode === 'hang-all' && request.type !== 'handshake') return void writeFileSync(process.argv[4], 'busy');
  const name = request.type === 'expr' ? request.case.graph.name : '';
  const raw = (text) => process.stdout.write(`{"id": ${request.id}, "ok": true, "result": ${text}}\n`);
  switch (name) {
    case 'duplicate':
      send({ id: request.id, ok: true, result: answer(request) });
      send({ id: request.id, ok: true, result: answer(request) });
      return;
    case 'latedup':
      send({ id: request.id, ok: true, result: answer(request) });
      setTimeout(() => send({ id: request.id, ok: true, result: answer(request) }), 100);
      return;
    case 'barenan':
      raw('{"value": {"shape": [2], "data": [NaN, 1]}, "grads": {"barenan": [1, 1]}}');
      return;
    case 'huge':
      raw('{"value": {"shape": [2], "data": [1e400, 1]}, "grads": {"huge": [1, 1]}}');
      return;
    case 'proto':
      raw('{"value": {"shape": [2], "data": [1, 1]}, "grads": {"proto": [1, 1], "__proto__": [5, 5]}}');
      return;
    case 'inherited':
      raw('{"value": {"shape": [2], "data": [1, "valueOf"]}, "grads": {"inherited": [1, 1], "constructor": [1, 1]}}');
      return;
    case 'pid':
      send({ id: request.id, ok: true, result: { ...answer(request), value: { shape: [1], data: [process.pid] } } });
      return;
    case 'exitlater':
      send({ id: request.id, ok: true, result: answer(request) });
      setTimeout(() => process.exit(4), 100);
      return;
    case 'declined':
      send({ id: request.id, declined: 'inputs named declined are not supported' });
      return;
    case 'closeout':
      process.stdout.end();
      setTimeout(() => {}, 60_000);
      return;
    case 'crash':
      process.stderr.write('fault adapter: crashing on purpose\n');
      process.exit(3);
    case 'hang':
      process.stderr.write('fault adapter: hanging on purpose\n');
      return;
    case 'garbage':
      process.stdout.write('this is not json\n');
      return;
    case 'oversized':
      send({ id: request.id, ok: true, result: { ...answer(request), padding: 'x'.repeat(1 << 20) } });
      return;
    case 'wrongid':
      send({ id: request.id + 1000, ok: true, result: answer(request) });
      return;
    case 'fails':
      send({ id: request.id, ok: false, error: 'deliberate failure' });
      return;
    case 'badshape':
      send({ id: request.id, ok: true, result: { ...answer(request), value: { shape: [7], data: [1, 2, 3, 4, 5, 6, 7] } } });
      return;
    case 'count':
      send({ id: request.id, ok: true, result: { ...answer(request), value: { shape: [1], data: [served] } } });
      return;
  }
  try {
    send({ id: request.id, ok: true, result: answer(request) });
  } catch (e) {
    send({ id: request.id, ok: false, error: e.message });
  }
});

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
 *   any other  replies correctly: the value is the input, its gradient the seed (or ones)
 * Start-up faults come from argv[2]: 'exit-at-start', 'banner' (writes to stdout before the
 * handshake), 'protocol-2'. The handshake's version echoes argv, so tests can see it verbatim.
 */
import { createInterface } from 'node:readline';

const mode = process.argv[2] ?? '';
if (mode === 'exit-at-start') {
  process.stderr.write('fault adapter: refusing to start\n');
  process.exit(2);
}
if (mode === 'banner') process.stdout.write('Welcome to the fault adapter!\n');

let served = 0;
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

function answer(request) {
  if (request.type === 'handshake') {
    return { protocol: mode === 'protocol-2' ? 2 : 1, name: 'faulty', version: JSON.stringify(process.argv.slice(2)), dtype: 'float64', capabilities: ['op:none'] };
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

createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  if (request.type === 'expr') served++;
  const name = request.type === 'expr' ? request.case.graph.name : '';
  switch (name) {
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

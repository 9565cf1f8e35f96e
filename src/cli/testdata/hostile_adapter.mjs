/**
 * A process-protocol adapter whose every error message holds characters XML 1.0 forbids (U+FFFE,
 * NUL, an escape, a lone surrogate) and markup: the JUnit report must stay well-formed. It
 * declares the capabilities given as a JSON list in argv[2], so every claim sends it requests.
 */
import { createInterface } from 'node:readline';

const capabilities = JSON.parse(process.argv[2] ?? '[]');
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  if (request.type === 'handshake') send({ id: request.id, ok: true, result: { protocol: 1, name: 'hostile', version: '1', dtype: 'float64', capabilities } });
  else send({ id: request.id, ok: false, error: 'the GPU said \uFFFE\u0000\u001b[31m\uD800 </error><x y="&">' });
});

// A console endpoint for the VM notification test (test/vm/notify.test.ts), run in the guest
// with the host's node: `node http-receiver.mjs PORT OUT.jsonl`. Listens on 127.0.0.1:PORT,
// answers every request 200 and appends one JSON line per request to OUT.jsonl:
// {at_ms (receipt time on the guest's CLOCK_REALTIME, sub-ms), method, url, headers, body}.
// Prints "RECEIVER-LISTENING <port>" once it accepts connections.
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [port, out] = process.argv.slice(2);
if (!port || !out) {
  process.stderr.write('usage: http-receiver.mjs PORT OUT.jsonl\n');
  process.exit(2);
}
const now = () => performance.timeOrigin + performance.now();

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = now(); // the whole body is in: the event has been received
    const body = Buffer.concat(chunks).toString('utf8');
    appendFileSync(out, `${JSON.stringify({ at_ms: at, method: req.method, url: req.url, headers: req.headers, body })}\n`);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`RECEIVER-LISTENING ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

// Client for the compression tests: Node's `ws` (8.x) with permessage-deflate, compressing every message
// (threshold 0). Sends COUNT repetitive JSON messages, then one fragmented message, and checks every echo.
// Usage: node ws_deflate_client.js URI COUNT
// Prints "EXT <the negotiated extensions, or none>", "PAYLOAD <bytes sent in messages>", "OK", then closes with 1000.
'use strict';
const WebSocket = require('ws');

const [uri, countArg] = process.argv.slice(2);
const count = parseInt(countArg, 10);
const ws = new WebSocket(uri, { perMessageDeflate: { threshold: 0 } });
const expected = [];
let payload = 0;

function fail(why) {
  console.log('FAIL ' + why);
  process.exit(1);
}

ws.on('open', () => {
  console.log('EXT ' + (ws.extensions || 'none'));
  for (let i = 0; i < count; i++) {
    const book = [];
    for (let n = 0; n < 20; n++) {
      book.push({ price: 101 + n / 4, size: 100 * n });
    }
    const message = JSON.stringify({ type: 'quote', seq: i, symbol: 'WSGT', bid: 101.25, ask: 101.5, book });
    expected.push(message);
    payload += Buffer.byteLength(message);
    ws.send(message);
  }
  const parts = ['fragment one '.repeat(200), 'fragment two '.repeat(200), 'fragment three ✓ '.repeat(200)];
  expected.push(parts.join(''));
  parts.forEach((p, i) => {
    payload += Buffer.byteLength(p);
    ws.send(p, { fin: i === parts.length - 1 });
  });
});

ws.on('message', (data, isBinary) => {
  const want = expected.shift();
  if (isBinary || data.toString() !== want) {
    fail('an echo differs');
  }
  if (expected.length === 0) {
    console.log('PAYLOAD ' + payload);
    console.log('OK');
    ws.close(1000);
  }
});

ws.on('close', (code) => process.exit(code === 1000 ? 0 : 2));
ws.on('error', (e) => fail(String(e)));
setTimeout(() => fail('timed out'), 30000).unref();

// A small Alertmanager webhook receiver for the end-to-end test: every POST body is appended,
// one JSON line each ({path, time, body}), to the file given; GET /health answers like a
// healthy service of the stack, so the exporter can probe it.
// Usage: node webhook_receiver.js PORT FILE
'use strict';
const http = require('http');
const fs = require('fs');

const [port, file] = process.argv.slice(2);
http.createServer((req, res) => {
  let data = '';
  req.on('data', (chunk) => { data += chunk; if (data.length > 1 << 20) req.destroy(); });
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, {'Content-Type': 'application/json'});
      return res.end('{"status": "healthy"}');
    }
    if (req.method !== 'POST') { res.writeHead(404); return res.end(); }
    let body;
    try { body = JSON.parse(data); } catch { body = {unparsed: data}; }
    fs.appendFileSync(file, JSON.stringify({path: req.url, time: Date.now() / 1000, body}) + '\n');
    res.writeHead(200);
    res.end('ok');
  });
}).listen(Number(port), '127.0.0.1');

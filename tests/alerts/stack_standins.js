// Stand-ins for the parts of the documented stack that cannot run here, for the stack end-to-end
// test (stack_e2e.sh). One process serves every port given; each argument is KIND:PORT[:ARG]:
//   service:PORT            a v0.2 microservice (gateway 5000, auth 5001, agent 5002, RAG 5003):
//                           GET /health -> 200 {"status":"healthy"}; any /api/ path containing
//                           "/fail" -> 500, any other /api/ path -> 200 (nginx proxies to it).
//   letta:PORT              the memory service (Letta, 8283): /health and /v1/health/ healthy,
//                           GET /api/memory/stats -> the statistics the manuals read.
//   chroma-v1:PORT:DIR      a Chroma 0.4.x server (API v1 only) answering with the recorded
//                           responses of DIR (tests/fixtures/chroma/v1_0.4.24): every /api/v2/* and
//                           unknown path -> FastAPI's 404 {"detail":"Not Found"}, as 0.4/0.5 do.
// Every request is appended to stdout as "PORT METHOD URL STATUS" (the test's log).
// Listens on every address (IPv4 and, where the host has it, IPv6): the exporter's embedded
// default names "localhost", which may resolve to ::1 first.
// Usage: node stack_standins.js service:5000 ... letta:8283 chroma-v1:8003:DIR
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

function json(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {'Content-Type': 'application/json'});
  res.end(text);
  return status;
}

function service(req, res) {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, {status: 'healthy'});
  if (url.pathname.startsWith('/api/')) {
    if (url.pathname.includes('/fail')) return json(res, 500, {error: 'internal error'});
    return json(res, 200, {ok: true, path: url.pathname});
  }
  return json(res, 404, {error: 'not found'});
}

const kLettaStats = {
  status: 'healthy',
  total_memories: 1234,
  total_agents: 3,
  archival_memory: {entries: 1200, size_bytes: 4718592},
  recall_memory: {entries: 34},
  pool: {size: 20, in_use: 16},
  fallback_enabled: true,
};

function letta(req, res) {
  const url = new URL(req.url, 'http://x');
  if (req.method !== 'GET') return json(res, 405, {detail: 'Method Not Allowed'});
  if (url.pathname === '/health' || url.pathname === '/v1/health/' || url.pathname === '/v1/health') {
    return json(res, 200, {status: 'ok', version: '0.5.4'});
  }
  if (url.pathname === '/api/memory/stats') return json(res, 200, kLettaStats);
  return json(res, 404, {detail: 'Not Found'});
}

function chromaV1(dir) {
  const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
  const collections = JSON.parse(read('collections.json'));
  const notFound = read('not_found.json');
  const fixture = (name, fallback) =>
    fs.existsSync(path.join(dir, name)) ? read(name) : fallback;
  return (req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    if (req.method === 'GET' && p === '/api/v1/heartbeat') return json(res, 200, read('heartbeat.json'));
    if (req.method === 'GET' && p === '/api/v1/version') return json(res, 200, read('version.json'));
    if (req.method === 'GET' && p === '/api/v1/collections') {
      const offset = Number(url.searchParams.get('offset') || 0);
      const limit = Number(url.searchParams.get('limit') || collections.length);
      return json(res, 200, collections.slice(offset, offset + limit));
    }
    const m = /^\/api\/v1\/collections\/([^/]+)\/(count|get)$/.exec(p);
    const c = m && collections.find((x) => x.id === decodeURIComponent(m[1]));
    if (c && m[2] === 'count' && req.method === 'GET') {
      return json(res, 200, fixture(`count_${c.name}.json`, '0'));
    }
    if (c && m[2] === 'get' && req.method === 'POST') {
      const empty = {ids: [], embeddings: [], metadatas: null, documents: null, uris: null, data: null};
      return json(res, 200, fixture(`get_${c.name}.json`, JSON.stringify(empty)));
    }
    // 0.4 has no count_collections; every /api/v2/* is unknown to 0.4 and 0.5.
    return json(res, 404, notFound);
  };
}

for (const arg of process.argv.slice(2)) {
  const [kind, port, ...rest] = arg.split(':');
  let handler;
  if (kind === 'service') handler = service;
  else if (kind === 'letta') handler = letta;
  else if (kind === 'chroma-v1') handler = chromaV1(rest.join(':'));
  else throw new Error(`unknown stand-in kind ${kind} (service, letta, chroma-v1)`);
  http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = handler(req, res);
      process.stdout.write(`${port} ${req.method} ${req.url} ${status}\n`);
    });
  }).listen(Number(port));
}

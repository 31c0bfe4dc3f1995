// Client workload: Debian's Node.js (libnode108, linked with libuv.so.1).
// Run by scripts/test-clients.sh, once on Debian's libuv and once on rsuv.
//
// Prints `LIBUV <path>` for each libuv.so mapped into this process (from
// /proc/self/maps), then `OK <check>` or `FAIL <check>: <error>` per check
// and `RESULT <n> ok, <m> failed`. Exits 0 only if every check passed and
// the loop then drained by itself (no handle left open).
//
// `node node-workload.js fork-child` is the child of the fork-* checks.
'use strict';
const assert = require('assert');
const cp = require('child_process');
const crypto = require('crypto');
const dgram = require('dgram');
const dns = require('dns');
const { once } = require('events');
const fs = require('fs');
const fsp = fs.promises;
const net = require('net');
const os = require('os');
const path = require('path');
const util = require('util');
const zlib = require('zlib');
const { Worker } = require('worker_threads');

const CHECK_TIMEOUT_MS = 20000;

function libuvPaths() {
  const seen = new Set();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 6 && /\/libuv\.so[^/]*$/.test(f.slice(5).join(' '))) seen.add(f.slice(5).join(' '));
  }
  return [...seen];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves with the first `n` bytes read from a stream-like emitter.
function collect(stream, n) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let len = 0;
    stream.on('data', (d) => {
      parts.push(d);
      len += d.length;
      if (len >= n) resolve(Buffer.concat(parts));
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(parts)));
  });
}

// ---------------------------------------------------------------- child
function forkChild() {
  const servers = [];
  process.on('message', (m, handle) => {
    if (m.type === 'ping') {
      process.send({ type: 'pong', n: m.n, pid: process.pid, libuv: libuvPaths() });
    } else if (m.type === 'server') {
      servers.push(handle);
      handle.on('connection', (s) => s.end('child-server:' + process.pid));
      process.send({ type: 'server-ready' });
    } else if (m.type === 'socket') {
      handle.end('child-socket:' + process.pid);
      process.send({ type: 'socket-done' });
    } else if (m.type === 'exit') {
      for (const s of servers) s.close();
      process.disconnect();
    }
  });
}

// ---------------------------------------------------------------- checks
const checks = [];
const check = (name, fn) => checks.push({ name, fn });
let tmp;

check('timers', async () => {
  const order = [];
  const t0 = process.hrtime.bigint();
  let t30At;
  await new Promise((resolve) => {
    let pending = 2;
    const done = () => { if (--pending === 0) resolve(); };
    setTimeout(() => { order.push('t30'); t30At = process.hrtime.bigint(); done(); }, 30);
    setTimeout(() => order.push('t10'), 10);
    const c = setTimeout(() => order.push('cancelled'), 5);
    clearTimeout(c);
    setImmediate(() => order.push('immediate'));
    let n = 0;
    const iv = setInterval(() => {
      order.push('iv');
      if (++n === 3) { clearInterval(iv); done(); }
    }, 5);
    setTimeout(() => {}, 1e6).unref();
  });
  const ms = Number(t30At - t0) / 1e6;
  assert(ms >= 29, `30 ms timer fired after ${ms} ms`);
  assert(!order.includes('cancelled'), 'cleared timer fired');
  assert(order.includes('immediate'), `order ${order}`);
  assert(order.indexOf('t10') < order.indexOf('t30'), `order ${order}`);
  assert.strictEqual(order.filter((x) => x === 'iv').length, 3, `order ${order}`);
  // A refreshed timer fires later than first set.
  const r0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    const t = setTimeout(resolve, 20);
    setTimeout(() => t.refresh(), 10);
  });
  assert(Number(process.hrtime.bigint() - r0) / 1e6 >= 29, 'refresh() did not push the timer back');
});

check('fs-async', async () => {
  const d = await fsp.mkdtemp(path.join(tmp, 'fs-'));
  const f = path.join(d, 'a.txt');
  const data = crypto.randomBytes(300000);
  await fsp.writeFile(f, data);
  assert((await fsp.readFile(f)).equals(data), 'readFile != writeFile');
  await fsp.appendFile(f, 'tail');
  let st = await fsp.stat(f);
  assert(st.isFile() && st.size === 300004, `stat size ${st.size}`);
  const fh = await fsp.open(f, 'r+');
  const buf = Buffer.alloc(10);
  const { bytesRead } = await fh.read(buf, 0, 10, 100);
  assert(bytesRead === 10 && buf.equals(data.subarray(100, 110)), 'positional read');
  await fh.write('XYZ', 0);
  await fh.sync();
  await fh.datasync();
  await fh.truncate(1000);
  assert.strictEqual((await fh.stat()).size, 1000);
  await fh.close();
  assert.strictEqual((await fsp.readFile(f, 'latin1')).slice(0, 3), 'XYZ');
  await fsp.mkdir(path.join(d, 'sub', 'deep'), { recursive: true });
  const g = path.join(d, 'sub', 'b.txt');
  await fsp.rename(f, g);
  await fsp.symlink('sub/b.txt', path.join(d, 'link'));
  assert.strictEqual(await fsp.readlink(path.join(d, 'link')), 'sub/b.txt');
  assert((await fsp.lstat(path.join(d, 'link'))).isSymbolicLink());
  assert.strictEqual(await fsp.realpath(path.join(d, 'link')), await fsp.realpath(g));
  await fsp.copyFile(g, path.join(d, 'c.txt'));
  await fsp.link(g, path.join(d, 'hard'));
  assert.strictEqual((await fsp.stat(g)).nlink, 2);
  await fsp.utimes(path.join(d, 'c.txt'), 1000, 2000);
  st = await fsp.stat(path.join(d, 'c.txt'));
  assert(st.mtimeMs === 2000000 && st.atimeMs === 1000000, `utimes -> ${st.atimeMs} ${st.mtimeMs}`);
  await fsp.chmod(path.join(d, 'c.txt'), 0o600);
  assert.strictEqual((await fsp.stat(path.join(d, 'c.txt'))).mode & 0o777, 0o600);
  await fsp.access(path.join(d, 'c.txt'), fs.constants.R_OK | fs.constants.W_OK);
  assert.deepStrictEqual((await fsp.readdir(d)).sort(), ['c.txt', 'hard', 'link', 'sub']);
  const types = Object.fromEntries((await fsp.readdir(d, { withFileTypes: true }))
    .map((e) => [e.name, e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : e.isFile() ? 'f' : '?']));
  assert.deepStrictEqual(types, { 'c.txt': 'f', hard: 'f', link: 'l', sub: 'd' });
  const names = [];
  for await (const e of await fsp.opendir(path.join(d, 'sub'))) names.push(e.name);
  assert.deepStrictEqual(names.sort(), ['b.txt', 'deep']);
  await assert.rejects(fsp.stat(path.join(d, 'missing')), { code: 'ENOENT' });
  await assert.rejects(fsp.rmdir(path.join(d, 'sub')), { code: 'ENOTEMPTY' });
  await fsp.unlink(path.join(d, 'hard'));
  await fsp.rmdir(path.join(d, 'sub', 'deep'));
  await fsp.rm(d, { recursive: true });
  await assert.rejects(fsp.access(d), { code: 'ENOENT' });
});

check('fs-sync', async () => {
  const d = fs.mkdtempSync(path.join(tmp, 'fss-'));
  const f = path.join(d, 'x');
  fs.writeFileSync(f, 'hello sync');
  assert.strictEqual(fs.readFileSync(f, 'utf8'), 'hello sync');
  const fd = fs.openSync(f, 'r');
  const b = Buffer.alloc(5);
  assert.strictEqual(fs.readSync(fd, b, 0, 5, 6), 4);
  assert.strictEqual(b.subarray(0, 4).toString(), 'sync');
  assert.strictEqual(fs.fstatSync(fd).size, 10);
  fs.closeSync(fd);
  fs.mkdirSync(path.join(d, 'dd'));
  assert.deepStrictEqual(fs.readdirSync(d).sort(), ['dd', 'x']);
  fs.renameSync(f, path.join(d, 'y'));
  assert(fs.existsSync(path.join(d, 'y')) && !fs.existsSync(f));
  assert.throws(() => fs.readFileSync(f), { code: 'ENOENT' });
  fs.rmSync(d, { recursive: true });
});

check('fs-streams', async () => {
  const data = crypto.randomBytes(1 << 20);
  const f = path.join(tmp, 'stream.bin');
  const ws = fs.createWriteStream(f);
  for (let i = 0; i < data.length; i += 65536) ws.write(data.subarray(i, i + 65536));
  ws.end();
  await once(ws, 'finish');
  const back = await collect(fs.createReadStream(f, { highWaterMark: 16384 }), data.length);
  assert(back.equals(data), 'read stream != written data');
  await fsp.unlink(f);
});

check('fs-watch', async () => {
  const d = await fsp.mkdtemp(path.join(tmp, 'watch-'));
  const w = fs.watch(d);
  const created = new Promise((resolve) => w.on('change', (ev, name) => { if (name === 'new.txt') resolve(ev); }));
  await sleep(20);
  await fsp.writeFile(path.join(d, 'new.txt'), 'x');
  assert.strictEqual(await created, 'rename');
  w.close();
  const f = path.join(d, 'new.txt');
  const wf = fs.watch(f);
  const changed = new Promise((resolve) => wf.on('change', (ev) => resolve(ev)));
  await sleep(20);
  await fsp.appendFile(f, 'more');
  assert.strictEqual(await changed, 'change');
  wf.close();
  await fsp.rm(d, { recursive: true });
});

check('fs-watchfile', async () => {
  const f = path.join(tmp, 'polled');
  await fsp.writeFile(f, '1');
  const seen = new Promise((resolve) => fs.watchFile(f, { interval: 50 }, (cur, prev) => {
    if (cur.size === 3 && prev.size !== 3) resolve();
  }));
  await sleep(150);
  await fsp.writeFile(f, '123');
  await seen;
  fs.unwatchFile(f);
  await fsp.unlink(f);
});

check('child-spawn', async () => {
  const input = crypto.randomBytes(200000).toString('hex');
  const cat = cp.spawn('cat', [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = collect(cat.stdout, input.length);
  cat.stdin.end(input);
  const [code] = await once(cat, 'close');
  assert.strictEqual(code, 0);
  assert.strictEqual((await out).toString(), input, 'cat echoed different data');

  const sh = cp.spawn('sh', ['-c', 'printf "%s|%s" "$FOO" "$(pwd)"; echo oops >&2; exit 3'],
    { cwd: tmp, env: { ...process.env, FOO: 'bar' } });
  const shOut = collect(sh.stdout, 1 << 30);
  const shErr = collect(sh.stderr, 1 << 30);
  const [code2, sig2] = await once(sh, 'close');
  assert(code2 === 3 && sig2 === null, `exit ${code2} ${sig2}`);
  assert.strictEqual((await shOut).toString(), 'bar|' + fs.realpathSync(tmp));
  assert.strictEqual((await shErr).toString(), 'oops\n');

  const sl = cp.spawn('sleep', ['30']);
  await once(sl, 'spawn');
  assert(sl.pid > 0);
  sl.kill('SIGTERM');
  const [code3, sig3] = await once(sl, 'exit');
  assert(code3 === null && sig3 === 'SIGTERM', `killed child: ${code3} ${sig3}`);

  const bad = cp.spawn(path.join(tmp, 'no-such-program'));
  const [err] = await once(bad, 'error');
  assert.strictEqual(err.code, 'ENOENT');

  const { stdout } = await util.promisify(cp.exec)('echo "$FOO"', { env: { ...process.env, FOO: 'via-exec' } });
  assert.strictEqual(stdout, 'via-exec\n');
});

check('child-sync', async () => {
  assert.strictEqual(cp.execFileSync('sh', ['-c', 'echo hi'], { encoding: 'utf8' }), 'hi\n');
  const r = cp.spawnSync('cat', [], { input: 'abc' });
  assert(r.status === 0 && r.stdout.toString() === 'abc', `spawnSync cat: ${r.status} ${r.stdout}`);
  const k = cp.spawnSync('sh', ['-c', 'kill -TERM $$']);
  assert.strictEqual(k.signal, 'SIGTERM');
  const t = cp.spawnSync('sleep', ['10'], { timeout: 200 });
  assert(t.error && t.error.code === 'ETIMEDOUT' && t.signal === 'SIGTERM', `timeout: ${t.error} ${t.signal}`);
});

async function echoServerRoundTrip(listenArgs, connectArgs, size) {
  const server = net.createServer((s) => s.pipe(s));
  server.listen(...listenArgs);
  await once(server, 'listening');
  const addr = server.address();
  const data = crypto.randomBytes(size);
  const conns = [];
  for (let i = 0; i < 5; i++) {
    const sock = net.connect(...connectArgs(addr));
    await once(sock, 'connect');
    sock.setNoDelay(true);
    const back = collect(sock, data.length);
    sock.end(data);
    conns.push(back);
  }
  for (const back of conns) assert((await back).equals(data), 'echoed data differs');
  server.close();
  await once(server, 'close');
  return addr;
}

check('tcp', async () => {
  const addr = await echoServerRoundTrip([0, '127.0.0.1'], (a) => [a.port, '127.0.0.1'], 1 << 20);
  const s = net.connect(addr.port, '127.0.0.1');
  const [err] = await once(s, 'error');
  assert.strictEqual(err.code, 'ECONNREFUSED');
  const server = net.createServer((c) => {
    assert.strictEqual(c.remoteAddress, '127.0.0.1');
    c.end('hello');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const c = net.connect(server.address().port, 'localhost');
  c.setKeepAlive(true, 1000);
  assert.strictEqual((await collect(c, 1 << 30)).toString(), 'hello');
  server.close();
});

check('unix-socket', async () => {
  const p = path.join(tmp, 'echo.sock');
  await echoServerRoundTrip([p], (a) => [a], 256 * 1024);
  assert(!fs.existsSync(p), 'socket file left after close');
});

check('udp', async () => {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  a.bind(0, '127.0.0.1');
  b.bind(0, '127.0.0.1');
  await Promise.all([once(a, 'listening'), once(b, 'listening')]);
  b.on('message', (m, rinfo) => b.send(Buffer.concat([Buffer.from('echo:'), m]), rinfo.port, rinfo.address));
  const got = new Set();
  const all = new Promise((resolve) => a.on('message', (m, rinfo) => {
    assert.strictEqual(rinfo.port, b.address().port);
    got.add(m.toString());
    if (got.size === 10) resolve();
  }));
  for (let i = 0; i < 10; i++) a.send('ping' + i, b.address().port, '127.0.0.1');
  await all;
  for (let i = 0; i < 10; i++) assert(got.has('echo:ping' + i));
  const c = dgram.createSocket('udp4');
  c.connect(b.address().port, '127.0.0.1');
  await once(c, 'connect');
  const reply = once(c, 'message');
  c.send('connected');
  assert.strictEqual((await reply)[0].toString(), 'echo:connected');
  await Promise.all([a, b, c].map((s) => new Promise((r) => s.close(r))));
});

check('dns', async () => {
  const all = await dns.promises.lookup('localhost', { all: true });
  assert(all.some((x) => x.address === '127.0.0.1' || x.address === '::1'), JSON.stringify(all));
  const v4 = await dns.promises.lookup('localhost', { family: 4 });
  assert.strictEqual(v4.address, '127.0.0.1');
  const r = await Promise.all(Array.from({ length: 20 }, () => dns.promises.lookup('localhost')));
  assert.strictEqual(r.length, 20);
  const svc = await dns.promises.lookupService('127.0.0.1', 80);
  assert(typeof svc.hostname === 'string' && svc.hostname.length > 0, JSON.stringify(svc));
});

check('signals', async () => {
  for (const sig of ['SIGUSR1', 'SIGUSR2']) {
    let n = 0;
    const h = () => n++;
    process.on(sig, h);
    process.kill(process.pid, sig);
    for (let i = 0; i < 200 && n === 0; i++) await sleep(10);
    process.removeListener(sig, h);
    assert.strictEqual(n, 1, `${sig} delivered ${n} times`);
  }
  const both = Promise.all([once(process, 'SIGUSR1'), once(process, 'SIGUSR2')]);
  process.kill(process.pid, 'SIGUSR2');
  process.kill(process.pid, 'SIGUSR1');
  await both;
});

check('threadpool', async () => {
  const pbkdf2 = util.promisify(crypto.pbkdf2);
  const keys = await Promise.all(Array.from({ length: 8 }, (_, i) => pbkdf2('pw' + i, 'salt', 20000, 32, 'sha256')));
  keys.forEach((k, i) => assert(k.equals(crypto.pbkdf2Sync('pw' + i, 'salt', 20000, 32, 'sha256')), `pbkdf2 ${i}`));
  const scrypt = await util.promisify(crypto.scrypt)('pw', 'salt', 32);
  assert(scrypt.equals(crypto.scryptSync('pw', 'salt', 32)));
  assert.strictEqual((await util.promisify(crypto.randomBytes)(64)).length, 64);
  const data = crypto.randomBytes(500000);
  const z = await util.promisify(zlib.gzip)(data);
  assert((await util.promisify(zlib.gunzip)(z)).equals(data));
  const stats = await Promise.all(Array.from({ length: 100 }, () => fsp.stat(tmp)));
  assert(stats.every((s) => s.isDirectory()));
});

check('worker-threads', async () => {
  const f = path.join(tmp, 'for-worker.txt');
  await fsp.writeFile(f, 'worker data');
  const src = `
    const { parentPort, workerData } = require('worker_threads');
    const fs = require('fs'), crypto = require('crypto');
    setTimeout(() => fs.readFile(workerData.file, 'utf8', (err, s) => {
      crypto.pbkdf2('x', 'y', 1000, 16, 'sha256', (e2, key) => {
        parentPort.postMessage({ s, err: err && err.message, key: key.toString('hex') });
      });
    }), 10);
    parentPort.on('message', (m) => { if (m === 'bye') { parentPort.postMessage('bye-ack'); parentPort.close(); } });`;
  const expectKey = crypto.pbkdf2Sync('x', 'y', 1000, 16, 'sha256').toString('hex');
  const run = async () => {
    const w = new Worker(src, { eval: true, workerData: { file: f } });
    const exited = once(w, 'exit');
    const [m] = await once(w, 'message');
    assert.deepStrictEqual(m, { s: 'worker data', err: null, key: expectKey });
    const ack = once(w, 'message');
    w.postMessage('bye');
    assert.strictEqual((await ack)[0], 'bye-ack');
    const [code] = await exited;
    assert.strictEqual(code, 0);
  };
  await Promise.all([run(), run(), run()]);
  const busy = new Worker('setInterval(() => {}, 1000); require("worker_threads").parentPort.postMessage("up")', { eval: true });
  await once(busy, 'message');
  assert.strictEqual(await busy.terminate(), 1);
  await fsp.unlink(f);
});

function forkWorkload() {
  const child = cp.fork(__filename, ['fork-child'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  child.output = collect(child.stdout, 1 << 30);
  child.errput = collect(child.stderr, 1 << 30);
  const waiting = new Set();
  child.on('exit', (code, sig) => {
    for (const w of waiting) w.reject(new Error(`child exited (${code} ${sig}) waiting for ${w.type}`));
  });
  child.next = (type) => new Promise((resolve, reject) => {
    const w = { type, reject };
    waiting.add(w);
    const onMsg = (m) => {
      if (m.type === type) {
        child.removeListener('message', onMsg);
        waiting.delete(w);
        resolve(m);
      }
    };
    child.on('message', onMsg);
  });
  child.finish = async () => {
    const exited = once(child, 'exit');
    child.send({ type: 'exit' });
    const [code, sig] = await exited;
    const err = (await child.errput).toString();
    assert(code === 0 && sig === null, `child exit ${code} ${sig}; stderr: ${err}`);
  };
  return child;
}

check('fork-ipc', async () => {
  const child = forkWorkload();
  for (let n = 0; n < 20; n++) {
    const pong = child.next('pong');
    child.send({ type: 'ping', n });
    const m = await pong;
    assert.strictEqual(m.n, n);
    assert.deepStrictEqual(m.libuv, libuvPaths(), 'child mapped another libuv');
  }
  await child.finish();
});

check('fork-send-server', async () => {
  const child = forkWorkload();
  const server = net.createServer((s) => s.end('parent-server'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = server.address().port;
  const ready = child.next('server-ready');
  await new Promise((resolve, reject) => child.send({ type: 'server' }, server, (e) => (e ? reject(e) : resolve())));
  await ready;
  server.close();
  for (let i = 0; i < 3; i++) {
    const c = net.connect(port, '127.0.0.1');
    assert.strictEqual((await collect(c, 1 << 30)).toString(), 'child-server:' + child.pid);
  }
  await child.finish();
});

check('fork-send-socket', async () => {
  const child = forkWorkload();
  const server = net.createServer({ pauseOnConnect: true }, (s) => child.send({ type: 'socket' }, s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const done = child.next('socket-done');
  const c = net.connect(server.address().port, '127.0.0.1');
  assert.strictEqual((await collect(c, 1 << 30)).toString(), 'child-socket:' + child.pid);
  await done;
  server.close();
  await child.finish();
});

check('os-info', async () => {
  assert(os.cpus().length >= 1 && typeof os.cpus()[0].model === 'string');
  assert(os.totalmem() > 0 && os.freemem() > 0 && os.freemem() <= os.totalmem());
  assert(os.uptime() > 0 && os.loadavg().length === 3);
  assert.strictEqual(os.hostname(), fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
  assert.strictEqual(os.release(), fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  const u = os.userInfo();
  assert(u.uid === process.getuid() && u.username.length > 0, JSON.stringify(u));
  assert(os.homedir().length > 0);
  const addrs = Object.values(os.networkInterfaces()).flat();
  assert(addrs.some((a) => a.address === '127.0.0.1' && a.internal), 'no 127.0.0.1 interface');
  assert.strictEqual(typeof os.getPriority(), 'number');
  assert(process.resourceUsage().maxRSS > 0 && process.memoryUsage().rss > 0);
  assert.strictEqual(process.cwd(), fs.realpathSync('.'));
  process.title = 'rsuvtitle';
  assert.strictEqual(process.title, 'rsuvtitle');
});

// ---------------------------------------------------------------- main
async function main() {
  for (const p of libuvPaths()) console.log('LIBUV ' + p);
  console.log('INFO node ' + process.version + ', process.versions.uv ' + process.versions.uv);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'node-'));
  let ok = 0;
  let failed = 0;
  for (const { name, fn } of checks) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([fn(), timeout]);
      console.log('OK ' + name);
      ok++;
    } catch (e) {
      console.log(`FAIL ${name}: ${(e && e.stack) || e}`.replace(/\n/g, '\n    '));
      failed++;
    } finally {
      clearTimeout(timer);
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`RESULT ${ok} ok, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
  if (!failed) {
    // Every handle is closed now: the loop must end by itself.
    setTimeout(() => {
      console.log('FAIL exit: the loop is still alive 5 s after the checks');
      process.exit(1);
    }, 5000).unref();
  } else {
    setTimeout(() => process.exit(1), 2000).unref();
  }
}

if (process.argv[2] === 'fork-child') forkChild();
else main();

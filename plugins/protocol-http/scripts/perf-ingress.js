#!/usr/bin/env node
// Quick loop for tuning the HTTP ingress: one gateway (tcp transport, protocol-http), one agent
// over tcp, the bench's HTTP origin and nginx (keep-alive upstream, one worker), then `wrk
// -t2 -c50` against the ingress and nginx alternately. Prints requests/s and CPU µs per
// request of each process (from /proc, so a loaded machine shows in the rps, less in the µs).
//   npx tsc -b && node plugins/protocol-http/scripts/perf-ingress.js [--reps 3] [--seconds 5] [--profile DIR] [--no-nginx]
//     [--trace-gc] (count the gateway's scavenges, print its last GC lines) [--http-options JSON] (protocol-http options)
//     [--post BYTES] (POST requests with a body of that size instead of GETs)
// Needs wrk and nginx; the bench package must be built (its origin worker is reused).
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'core/dist/cli.js');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const reps = Number(opt('--reps', 3));
const seconds = Number(opt('--seconds', 5));
const profileDir = opt('--profile', undefined);
const withNginx = !args.includes('--no-nginx');
const connections = Number(opt('--connections', 50));
const traceGc = args.includes('--trace-gc');
const httpOptions = JSON.parse(opt('--http-options', '{}'));
const postBytes = Number(opt('--post', 0));
let wrkScript;
const TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const children = [];

function cpu(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const sys = (Number(f[12]) + Number(f[14])) / TCK;
    cpu.sys.set(pid, sys);
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TCK;
  } catch {
    return 0;
  }
}

cpu.sys = new Map();
const sysOf = (pids) => pids.reduce((s, p) => s + (cpu(p), cpu.sys.get(p) ?? 0), 0);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function start(name, cmd, argv, opts = {}) {
  const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
  p.lines = [];
  p.scavenges = 0;
  const keep = (d) => {
    for (const l of d.toString().split('\n')) {
      if (!l) continue;
      if (l.includes(': Scavenge ')) p.scavenges++;
      p.lines.push(l);
    }
    if (p.lines.length > 200) p.lines.splice(0, p.lines.length - 200);
  };
  p.stdout.on('data', keep);
  p.stderr.on('data', keep);
  p.label = name;
  children.push(p);
  return p;
}

function waitLine(p, re, ms = 30000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${p.label}: no ${re} in ${ms} ms: ${p.lines.slice(-5).join(' | ')}`)), ms);
    const check = () => {
      const l = p.lines.find((x) => re.test(x));
      if (l) {
        clearTimeout(t);
        resolve(l);
      } else setTimeout(check, 50);
    };
    check();
  });
}

function waitPort(port, ms = 20000) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve()));
      s.once('error', () => (Date.now() > until ? reject(new Error(`port ${port} not open`)) : setTimeout(tryOnce, 100)));
    };
    tryOnce();
  });
}

function wrk(url, host) {
  const a = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', ...(wrkScript ? ['-s', wrkScript] : []), ...(host ? ['-H', `Host: ${host}`] : []), url];
  return new Promise((resolve) => {
    const p = spawn('wrk', a);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', () => {
      const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
      const total = Number(out.match(/(\d+) requests in/)?.[1] ?? 0);
      const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
      const sock = out.match(/Socket errors: (.*)/)?.[1];
      const p50 = out.match(/^\s+50%\s+(\S+)/m)?.[1];
      resolve({ rps, total, non2xx, sock, p50 });
    });
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-perf-http-'));
  if (postBytes > 0) {
    wrkScript = path.join(dir, 'post.lua');
    fs.writeFileSync(wrkScript, `wrk.method = "POST"\nwrk.body = string.rep("a", ${postBytes})\nwrk.headers["Content-Type"] = "application/json"\n`);
  }
  const [originPort, control, httpPort, nginxPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const origin = start('origin', process.execPath, [path.join(root, 'bench/dist/workers/http-origin.js'), String(originPort)]);
  await waitLine(origin, /^listening/);
  const config = {
    zone: 'tfgw.localhost',
    dataDir: path.join(dir, 'data'),
    log: { level: 'warn' },
    gateway: { publicAddresses: ['127.0.0.1'], tokens: [{ token: 'perf-token', role: 'agent' }] },
    transports: [['tcp', { listen: `127.0.0.1:${control}` }]],
    plugins: [['protocol-http', { listen: `127.0.0.1:${httpPort}`, ...httpOptions }]],
  };
  fs.writeFileSync(path.join(dir, 'tfgw.config.js'), `module.exports = ${JSON.stringify(config)};\n`);
  const prof = (role) => [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${role}.cpuprofile`] : []), ...(traceGc && role === 'gateway' ? ['--trace-gc'] : [])];
  const gw = start('gateway', process.execPath, [...prof('gateway'), cli, '--config', path.join(dir, 'tfgw.config.js')], { cwd: dir });
  await waitPort(httpPort);
  await waitPort(control);
  const agent = start('agent', process.execPath, [...prof('agent'), cli, 'agent', '--server', `tcp://127.0.0.1:${control}`, '--token', 'perf-token', '--name', 'perf', '--http', `web=127.0.0.1:${originPort}`]);
  await waitLine(agent, /web\.perf\.tfgw\.localhost/);
  let nginx;
  if (withNginx) {
    const d = path.join(dir, 'nginx');
    fs.mkdirSync(path.join(d, 'tmp'), { recursive: true });
    fs.writeFileSync(
      path.join(d, 'nginx.conf'),
      `worker_processes 1; pid ${d}/nginx.pid; error_log ${d}/error.log warn; events { worker_connections 8192; }
http { access_log off; client_body_temp_path ${d}/tmp/body; proxy_temp_path ${d}/tmp/proxy; fastcgi_temp_path ${d}/tmp/f; uwsgi_temp_path ${d}/tmp/u; scgi_temp_path ${d}/tmp/s;
  keepalive_requests 1000000; upstream origin { server 127.0.0.1:${originPort}; keepalive 64; }
  server { listen 127.0.0.1:${nginxPort}; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } } }\n`,
    );
    nginx = start('nginx', '/usr/sbin/nginx', ['-e', `${d}/error.log`, '-p', d, '-c', path.join(d, 'nginx.conf'), '-g', 'daemon off;']);
    await waitPort(nginxPort);
  }
  const host = `web.perf.tfgw.localhost`;
  // warm-up
  await wrk(`http://127.0.0.1:${httpPort}/`, host);
  const rows = [];
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? ['tfgw', 'nginx'] : ['nginx', 'tfgw'];
    for (const which of order) {
      if (which === 'nginx' && !nginx) continue;
      const pids = which === 'tfgw' ? { gw: gw.pid, ag: agent.pid, origin: origin.pid } : { nginx: nginx.pid, origin: origin.pid };
      // nginx: count the worker (child) too
      const tree = (pid) => [pid, ...fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
        try {
          const s = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
          return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false;
        }
      }).map(Number)];
      const before = {};
      const beforeSys = {};
      for (const [k, pid] of Object.entries(pids)) {
        before[k] = tree(pid).reduce((s, p) => s + cpu(p), 0);
        beforeSys[k] = sysOf(tree(pid));
      }
      const wrkBefore = cpu(process.pid) - process.cpuUsage().user / 1e6 - process.cpuUsage().system / 1e6;
      const o = which === 'tfgw' ? await wrk(`http://127.0.0.1:${httpPort}/`, host) : await wrk(`http://127.0.0.1:${nginxPort}/`);
      const wrkCpu = cpu(process.pid) - process.cpuUsage().user / 1e6 - process.cpuUsage().system / 1e6 - wrkBefore;
      const costs = {};
      const sysCosts = {};
      for (const [k, pid] of Object.entries(pids)) {
        costs[k] = (((tree(pid).reduce((s, p) => s + cpu(p), 0) - before[k]) / Math.max(1, o.total)) * 1e6).toFixed(1);
        sysCosts[k] = (((sysOf(tree(pid)) - beforeSys[k]) / Math.max(1, o.total)) * 1e6).toFixed(1);
      }
      costs.wrk = ((wrkCpu / Math.max(1, o.total)) * 1e6).toFixed(1);
      if (traceGc && which === 'tfgw') {
        console.log(`gateway scavenges so far: ${gw.scavenges}; last GC lines:`);
        for (const l of gw.lines.filter((x) => /: (Scavenge|Mark-Compact) /.test(x)).slice(-6)) console.log(`  ${l.replace(/^.*ms: /, '').replace(/ \(average.*/, '')}`);
      }
      const row = { rep: r + 1, which, rps: Math.round(o.rps), p50: o.p50, usPerReq: costs, sysUsPerReq: sysCosts, errors: o.non2xx, ...(o.sock ? { sock: o.sock } : {}) };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const t = med(rows.filter((x) => x.which === 'tfgw').map((x) => x.rps));
  const n = nginx ? med(rows.filter((x) => x.which === 'nginx').map((x) => x.rps)) : NaN;
  const gwUs = med(rows.filter((x) => x.which === 'tfgw').map((x) => Number(x.usPerReq.gw)));
  const agUs = med(rows.filter((x) => x.which === 'tfgw').map((x) => Number(x.usPerReq.ag)));
  console.log(`median: tfgw ${t} req/s (gateway ${gwUs} µs/req, agent ${agUs} µs/req), nginx ${n} req/s, ratio ${(t / n).toFixed(2)}; load ${os.loadavg()[0].toFixed(1)}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

function stopAll() {
  for (const p of children.reverse()) {
    try {
      process.kill(-p.pid, 'SIGINT');
    } catch {}
  }
}

main().then(
  () => {
    stopAll();
    setTimeout(() => process.exit(0), profileDir ? 3000 : 200);
  },
  (e) => {
    console.error(e);
    stopAll();
    setTimeout(() => process.exit(1), 200);
  },
);

import fs from 'node:fs';
import path from 'node:path';
import { whileAlive, type Proc, type Scope } from '../procs';
import { waitForPort } from '../ports';
import { which } from '../debian-tools';

/**
 * nginx as a reverse proxy in front of the origin, with a keep-alive upstream pool (what a
 * tuned nginx in front of an app looks like). One worker process: tfgw's gateway is one
 * Node event loop, so both get one core's worth of event loop; the CPU row shows the rest.
 */
export async function startNginx(scope: Scope, dir: string, listenPort: number, originPort: number): Promise<Proc> {
  const d = path.join(dir, 'nginx');
  fs.mkdirSync(path.join(d, 'tmp'), { recursive: true });
  const conf = `
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${d}/tmp/body;
  proxy_temp_path ${d}/tmp/proxy;
  fastcgi_temp_path ${d}/tmp/fastcgi;
  uwsgi_temp_path ${d}/tmp/uwsgi;
  scgi_temp_path ${d}/tmp/scgi;
  keepalive_requests 1000000;
  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  const file = path.join(d, 'nginx.conf');
  fs.writeFileSync(file, conf);
  // -e: nginx opens its error log before reading the config; keep it out of /var/log.
  const p = scope.start('nginx', which('nginx') ?? '/usr/sbin/nginx', ['-e', `${d}/error.log`, '-p', d, '-c', file, '-g', 'daemon off;']);
  await whileAlive(p, waitForPort(listenPort, 10000), 'listening');
  return p;
}

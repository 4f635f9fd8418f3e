import type { Agent } from '../roles/agent';
import type { RegisteredMessage } from '../protocol/messages';
import type { TfgwError } from '../errors';
import type { Logger } from '../log';

/**
 * Shows an agent's connection state to people: one updating line on a TTY (connecting,
 * registered, reconnecting in N s with the reason) and log lines otherwise. Public URLs are
 * printed to stdout once each, as `PROTOCOL URL -> TARGET`, so scripts can read them.
 */
export function attachAgentStatus(agent: Agent, log: Logger, targets: Map<string, string>, out: NodeJS.WriteStream = process.stdout): void {
  const tty = Boolean(process.stderr.isTTY);
  const printed = new Set<string>();
  const status = (text: string) => {
    if (tty) process.stderr.write(`\r\x1b[K${text}`);
  };
  agent.on('connecting', (attempt: number) => {
    status(attempt === 0 ? 'connecting…' : `connecting (attempt ${attempt + 1})…`);
  });
  agent.on('retry', ({ delayMs, reason }: { delayMs: number; reason: TfgwError }) => {
    status(`reconnecting in ${(delayMs / 1000).toFixed(1)} s: ${reason.message}`);
    log.warn({ code: reason.code, delayMs }, `reconnecting in ${(delayMs / 1000).toFixed(1)} s: ${reason.message}`);
  });
  agent.on('published', (m: RegisteredMessage) => {
    status(`registered: ${m.routes.length} service(s)${m.errors.length ? `, ${m.errors.length} refused` : ''}`);
    if (tty) process.stderr.write('\n');
    for (const r of m.routes) {
      const key = `${r.protocol} ${r.url}`;
      if (printed.has(key)) continue;
      printed.add(key);
      const target = targets.get(`${r.service}/${r.protocol}`) ?? '';
      out.write(`${r.protocol.padEnd(5)} ${r.url}${target ? ` -> ${target}` : ''}\n`);
    }
    for (const e of m.errors) out.write(`error ${e.protocol}:${e.service || '(agent name)'} ${e.code}: ${e.message}\n`);
  });
}

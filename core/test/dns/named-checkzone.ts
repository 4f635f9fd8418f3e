/** Runs the real `named-checkzone` (BIND) on a zone file. */
import { execFile } from 'node:child_process';

/** Result of a check: `ok` and the tool's output. */
export interface CheckResult {
  /** Exit code 0 and "OK" printed. */
  ok: boolean;
  /** stdout + stderr. */
  output: string;
}

/** `named-checkzone -i local ZONE FILE`: integrity checks inside the zone (glue, NS, MX/SRV targets); out-of-zone targets are not looked up, so the check runs offline. */
export function namedCheckzone(zone: string, file: string): Promise<CheckResult> {
  return new Promise((resolve) => {
    execFile('named-checkzone', ['-i', 'local', zone, file], (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      resolve({ ok: !err && /\bOK\b/.test(stdout), output });
    });
  });
}

import crypto from 'node:crypto';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../src/status-page';

describe('status page', () => {
  it('allows exactly its inline script and style by hash', () => {
    const script = /<script>([\s\S]*)<\/script>/.exec(STATUS_PAGE_HTML)![1];
    const style = /<style>([\s\S]*)<\/style>/.exec(STATUS_PAGE_HTML)![1];
    const h = (s: string) => `'sha256-${crypto.createHash('sha256').update(s).digest('base64')}'`;
    expect(STATUS_PAGE_CSP).toContain(`script-src ${h(script)}`);
    expect(STATUS_PAGE_CSP).toContain(`style-src ${h(style)}`);
    expect(STATUS_PAGE_CSP).toContain("default-src 'none'");
  });
  it('never writes API data as HTML and sends the token only in a header', () => {
    expect(STATUS_PAGE_HTML).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect(STATUS_PAGE_HTML).not.toMatch(/[?&]token=/);
    expect(STATUS_PAGE_HTML).not.toContain('EventSource');
  });
});

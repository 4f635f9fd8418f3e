import { adminEndpoints } from '../src/server';
import { openApiDocument } from '../src/openapi';

describe('OpenAPI document', () => {
  it('describes exactly the endpoints served, each protected one with a 401', () => {
    const doc = openApiDocument('0.0.0') as { paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>> };
    const served = adminEndpoints({} as never, new Set()).map((e) => ({ key: `${e.method} ${e.path.replace(/:([a-z]+)/g, '{$1}')}`, public: e.public === true }));
    const described = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(served.map((s) => s.key).sort()).toEqual(described.sort());
    for (const s of served) {
      const [method, p] = s.key.split(' ');
      const op = doc.paths[p][method.toLowerCase()];
      if (s.public) expect(op.security).toEqual([]);
      else expect(op.responses['401']).toBeDefined();
    }
  });
});

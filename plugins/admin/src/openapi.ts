/**
 * The OpenAPI 3.1 description of the admin listener, served at `GET /api/openapi.json`
 * (public). Every endpoint the router serves is described here; a test checks both lists
 * match.
 */

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
const err = (description: string): Json => json(ref('Error'), description);
const obj = (properties: Record<string, Json>, required: string[] = Object.keys(properties)): Json => ({ type: 'object', properties, required });
const arrayOf = (name: string): Json => ({ type: 'array', items: ref(name) });

const unauthorized = { '401': err('Missing or wrong bearer token (`TFGW_ERR_AUTH`); no data is returned') };
const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });

/** Builds the document (a fresh object each call). */
export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'tfgw admin API',
      version,
      description:
        'Operate a tfgw gateway: sessions, routes, names, reservations, DNS records, config reload and the HTTP request log. ' +
        'Every `/api/v1` endpoint needs `Authorization: Bearer <admin token>`; `/healthz`, `/metrics`, `/api/openapi.json` and the status page shell `/` are public. ' +
        'Errors are always `{code, message}` with a stable `TFGW_ERR_*` code.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'sessions' },
      { name: 'routes' },
      { name: 'names' },
      { name: 'reservations' },
      { name: 'dns' },
      { name: 'operations' },
      { name: 'public' },
    ],
    paths: {
      '/api/v1/sessions': {
        get: {
          tags: ['sessions'],
          operationId: 'listSessions',
          summary: 'Live agent and client sessions',
          responses: { '200': json(obj({ sessions: arrayOf('Session') }), 'The sessions'), ...unauthorized },
        },
      },
      '/api/v1/sessions/{id}': {
        delete: {
          tags: ['sessions'],
          operationId: 'kickSession',
          summary: 'Close a session (kick); an agent may reconnect unless its token is removed',
          parameters: [pathParam('id', 'Session id')],
          responses: { '200': json(obj({ kicked: { type: 'string' } }), 'Closed'), ...unauthorized, '404': err('No live session with that id (`TFGW_ERR_NOT_FOUND`)') },
        },
      },
      '/api/v1/routes': {
        get: {
          tags: ['routes'],
          operationId: 'listRoutes',
          summary: 'Routes: online and in their reconnect grace period',
          responses: { '200': json(obj({ routes: arrayOf('Route') }), 'The routes'), ...unauthorized },
        },
      },
      '/api/v1/routes/{id}': {
        get: {
          tags: ['routes'],
          operationId: 'getRoute',
          summary: 'One route',
          parameters: [pathParam('id', 'Route id, `protocol:hostname`, URL-encoded')],
          responses: { '200': json(obj({ route: ref('Route') }), 'The route'), ...unauthorized, '404': err('No such route') },
        },
      },
      '/api/v1/routes/{id}/disable': {
        post: {
          tags: ['routes'],
          operationId: 'disableRoute',
          summary: 'Refuse new visitors on a route (open connections go on)',
          parameters: [pathParam('id', 'Route id, `protocol:hostname`, URL-encoded')],
          responses: { '200': json(obj({ route: ref('Route') }), 'The route, now disabled'), ...unauthorized, '404': err('No such route') },
        },
      },
      '/api/v1/routes/{id}/enable': {
        post: {
          tags: ['routes'],
          operationId: 'enableRoute',
          summary: 'Admit visitors on a route again',
          parameters: [pathParam('id', 'Route id, `protocol:hostname`, URL-encoded')],
          responses: { '200': json(obj({ route: ref('Route') }), 'The route, now enabled'), ...unauthorized, '404': err('No such route') },
        },
      },
      '/api/v1/names': {
        get: {
          tags: ['names'],
          operationId: 'listNames',
          summary: 'Names owned now (agents and reservations)',
          responses: { '200': json(obj({ names: arrayOf('NameClaim') }), 'The names'), ...unauthorized },
        },
      },
      '/api/v1/names/{fqdn}': {
        delete: {
          tags: ['names'],
          operationId: 'releaseName',
          summary: "Release a name: an agent's name closes its session and removes its routes; a reserved name drops the reservation",
          parameters: [pathParam('fqdn', 'Fully-qualified name')],
          responses: { '200': json(obj({ released: { type: 'string' } }), 'Released'), ...unauthorized, '404': err('Nobody owns that name') },
        },
      },
      '/api/v1/reservations': {
        get: {
          tags: ['reservations'],
          operationId: 'listReservations',
          summary: 'Operator reservations: names, delegations, proxies',
          responses: { '200': json(obj({ reservations: arrayOf('Reservation') }), 'The reservations'), ...unauthorized },
        },
        post: {
          tags: ['reservations'],
          operationId: 'addReservation',
          summary: 'Reserve a name (with records), delegate a zone to an agent, or route a hostname to a route',
          requestBody: { required: true, content: { 'application/json': { schema: ref('ReservationInput') } } },
          responses: {
            '201': json(obj({ reservation: ref('Reservation') }), 'Reserved (a reservation of the same name and owner is replaced)'),
            '400': err('Invalid input (`TFGW_ERR_BAD_MESSAGE`, `TFGW_ERR_DNS` for bad records)'),
            ...unauthorized,
            '409': err('Another owner holds the name, zone or hostname (`TFGW_ERR_NAME_TAKEN`); the other owner is not named'),
            '413': err('Body too large'),
            '415': err('Body is not application/json'),
          },
        },
      },
      '/api/v1/reservations/{name}': {
        get: {
          tags: ['reservations'],
          operationId: 'getReservation',
          summary: 'One reservation',
          parameters: [pathParam('name', 'Reserved name, zone or hostname')],
          responses: { '200': json(obj({ reservation: ref('Reservation') }), 'The reservation'), ...unauthorized, '404': err('No such reservation') },
        },
        delete: {
          tags: ['reservations'],
          operationId: 'deleteReservation',
          summary: 'Delete a reservation with its records and routing',
          parameters: [pathParam('name', 'Reserved name, zone or hostname'), { name: 'owner', in: 'query', required: false, description: 'When given, must be the owner', schema: { type: 'string' } }],
          responses: {
            '200': json(obj({ removed: ref('Reservation') }), 'Removed'),
            ...unauthorized,
            '404': err('No such reservation (`TFGW_ERR_NOT_FOUND`)'),
            '409': err('`owner` is not the owner (`TFGW_ERR_NAME_TAKEN`)'),
          },
        },
      },
      '/api/v1/records': {
        get: {
          tags: ['dns'],
          operationId: 'listRecords',
          summary: "Every label of the gateway's zones (configured and delegated) from the DNS store",
          parameters: [{ name: 'zone', in: 'query', required: false, description: 'Only this zone', schema: { type: 'string' } }],
          responses: {
            '200': json(obj({ store: { type: 'string' }, zones: { type: 'object', additionalProperties: { type: 'object', additionalProperties: ref('LabelRecords') } } }), 'Records by zone and label'),
            ...unauthorized,
            '404': err('No DNS store plugin is loaded, or the zone is not one of the gateway\'s'),
          },
        },
      },
      '/api/v1/reload': {
        post: {
          tags: ['operations'],
          operationId: 'reloadConfig',
          summary: 'Re-read the config file and apply it, keeping untouched sessions',
          responses: {
            '200': json(obj({ result: ref('ReloadResult') }), 'Applied'),
            '400': err('The new config is invalid (`TFGW_ERR_CONFIG`, `TFGW_ERR_PLUGIN_*`); the running config stays'),
            ...unauthorized,
            '501': err('No `config.reload` service in this process (`TFGW_ERR_NOT_IMPLEMENTED`)'),
          },
        },
      },
      '/api/v1/requests': {
        get: {
          tags: ['operations'],
          operationId: 'listRequests',
          summary: 'Recent HTTP requests through the ingress, oldest first',
          parameters: [
            { name: 'after', in: 'query', required: false, description: 'Only entries with a larger `seq`', schema: { type: 'integer', minimum: 0 } },
            { name: 'limit', in: 'query', required: false, description: 'At most this many (the newest)', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: { '200': json(obj({ requests: arrayOf('RequestLogEntry') }), 'The requests'), '400': err('Bad query'), ...unauthorized },
        },
      },
      '/api/v1/requests/stream': {
        get: {
          tags: ['operations'],
          operationId: 'streamRequests',
          summary: 'Live HTTP request log as server-sent events (`event: request`, `id` = seq, `data` = RequestLogEntry JSON)',
          parameters: [
            { name: 'after', in: 'query', required: false, description: 'Replay kept entries after this seq first (default: all kept); `Last-Event-ID` works too', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: { '200': { description: 'An endless event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...unauthorized },
        },
      },
      '/api/openapi.json': {
        get: { tags: ['public'], operationId: 'openApi', summary: 'This document', security: [], responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1 document') } },
      },
      '/healthz': {
        get: { tags: ['public'], operationId: 'health', summary: 'Liveness', security: [], responses: { '200': json(obj({ status: { const: 'ok' } }), 'Running') } },
      },
      '/metrics': {
        get: {
          tags: ['public'],
          operationId: 'metrics',
          summary: 'Prometheus text exposition',
          security: [],
          responses: { '200': { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/': {
        get: {
          tags: ['public'],
          operationId: 'statusPage',
          summary: 'Status page (static HTML; it asks for the admin token and calls the API with it)',
          security: [],
          responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The admin token (option `token` or TFGW_ADMIN_TOKEN)' } },
      schemas: {
        Error: obj({ code: { type: 'string', pattern: '^TFGW_ERR_[A-Z_]+$' }, message: { type: 'string' } }),
        Session: obj(
          {
            id: { type: 'string' },
            role: { enum: ['agent', 'client'] },
            agent: { type: 'string', description: 'Agent name (agents only)' },
            transport: { type: 'string' },
            remoteAddress: { type: 'string' },
            owner: { type: 'string', description: 'Id of the token (never the token)' },
            rttMs: { type: ['number', 'null'] },
            streams: { type: 'integer', description: 'Open streams, control stream included' },
            bytesIn: { type: 'integer' },
            bytesOut: { type: 'integer' },
            since: { type: 'integer', description: 'Epoch ms' },
          },
          ['id', 'role', 'transport', 'remoteAddress', 'owner', 'rttMs', 'streams', 'bytesIn', 'bytesOut', 'since'],
        ),
        Route: obj({
          id: { type: 'string', description: '`protocol:hostname`' },
          agent: { type: 'string' },
          service: { type: 'string' },
          protocol: { type: 'string' },
          hostname: { type: 'string' },
          port: { type: ['integer', 'null'] },
          url: { type: ['string', 'null'] },
          online: { type: 'boolean' },
          enabled: { type: 'boolean' },
          visitors: { type: 'integer', description: 'Open now' },
          visitorsTotal: { type: 'integer' },
          bytesIn: { type: 'integer', description: 'Visitor to service' },
          bytesOut: { type: 'integer', description: 'Service to visitor' },
        }),
        NameClaim: obj({ fqdn: { type: 'string' }, zone: { type: 'string' }, owner: { type: 'string' }, kind: { enum: ['agent', 'reservation'] }, expiresAt: { type: 'integer' } }, ['fqdn', 'zone', 'owner', 'kind']),
        LabelRecords: {
          type: 'object',
          description: 'Records of one label in the CoreDNS redis schema: a, aaaa, cname, ns, txt, mx, srv, caa (arrays), soa (object)',
          properties: {
            a: { type: 'array', items: obj({ ip: { type: 'string' }, ttl: { type: 'integer' } }, ['ip']) },
            aaaa: { type: 'array', items: obj({ ip: { type: 'string' }, ttl: { type: 'integer' } }, ['ip']) },
            cname: { type: 'array', items: obj({ host: { type: 'string' }, ttl: { type: 'integer' } }, ['host']) },
            ns: { type: 'array', items: obj({ host: { type: 'string' }, ttl: { type: 'integer' } }, ['host']) },
            txt: { type: 'array', items: obj({ text: { type: 'string' }, ttl: { type: 'integer' } }, ['text']) },
            mx: { type: 'array', items: obj({ host: { type: 'string' }, preference: { type: 'integer' }, ttl: { type: 'integer' } }, ['host', 'preference']) },
            srv: { type: 'array', items: obj({ target: { type: 'string' }, port: { type: 'integer' }, priority: { type: 'integer' }, weight: { type: 'integer' }, ttl: { type: 'integer' } }, ['target', 'port', 'priority', 'weight']) },
            caa: { type: 'array', items: obj({ flag: { type: 'integer' }, tag: { type: 'string' }, value: { type: 'string' } }, ['flag', 'tag', 'value']) },
            soa: { type: 'object' },
          },
        },
        Reservation: obj(
          {
            type: { enum: ['name', 'delegation', 'proxy'] },
            name: { type: 'string' },
            owner: { type: 'string' },
            expiresAt: { type: 'integer', description: 'Epoch ms' },
            records: ref('LabelRecords'),
            agent: { type: 'string' },
            route: { type: 'string' },
            createdAt: { type: 'integer' },
          },
          ['type', 'name', 'owner', 'createdAt'],
        ),
        ReservationInput: {
          type: 'object',
          required: ['type', 'name'],
          properties: {
            type: { enum: ['name', 'delegation', 'proxy'], description: 'name: records for a name in a zone of the gateway; delegation: a zone whose `SVC.<zone>` names route to `agent`\'s service SVC; proxy: a hostname routed to `route`' },
            name: { type: 'string', description: 'fqdn (name), zone (delegation) or hostname (proxy; `*.` prefix allowed)' },
            owner: { type: 'string', default: 'admin' },
            ttlSeconds: { type: 'number', exclusiveMinimum: 0 },
            expiresAt: { type: ['integer', 'string'], description: 'Epoch ms or ISO 8601; not with ttlSeconds' },
            records: ref('LabelRecords'),
            agent: { type: 'string', description: 'delegation only' },
            route: { type: 'string', description: 'proxy only: a route id' },
          },
        },
        ReloadResult: obj({ added: { type: 'array', items: { type: 'string' } }, removed: { type: 'array', items: { type: 'string' } }, kept: { type: 'array', items: { type: 'string' } } }),
        RequestLogEntry: obj(
          {
            seq: { type: 'integer' },
            time: { type: 'integer', description: 'Epoch ms the request arrived' },
            method: { type: 'string' },
            host: { type: 'string' },
            path: { type: 'string' },
            status: { type: 'integer' },
            bytes: { type: 'integer', description: 'Response body bytes' },
            durationMs: { type: 'number' },
            routeId: { type: 'string' },
            visitor: { type: 'string' },
          },
          ['seq', 'time', 'method', 'host', 'path', 'status', 'bytes', 'durationMs'],
        ),
      },
    },
  };
}

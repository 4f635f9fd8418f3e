// @ts-check
'use strict';
// A third-party tfgw plugin, as a user would publish it on npm: plain JavaScript, no build.
// It limits how often one visitor IP may open connections or send requests (token bucket
// per IP), refusing the excess through the gateway's `visitor` hook.
const { TfgwError } = require('@tfgw/core');

const PLUGIN_NAME = 'visitor-limit';

/**
 * @typedef {object} VisitorLimitOptions
 * @property {number} [perMinute=600] new visitor connections/requests allowed per IP per minute
 * @property {number} [burst=perMinute] bucket size: how many may come at once
 * @property {number} [maxTrackedIps=100000] IPs tracked at once; the oldest are forgotten first
 */

/**
 * @param {VisitorLimitOptions} [options]
 * @returns {import('@tfgw/core').TfgwPlugin}
 */
module.exports = function visitorLimit(options = {}) {
  const perMinute = options.perMinute ?? 600;
  const burst = options.burst ?? perMinute;
  const maxTrackedIps = options.maxTrackedIps ?? 100000;
  for (const [key, v] of Object.entries({ perMinute, burst, maxTrackedIps })) {
    if (!Number.isFinite(v) || v <= 0) {
      throw new TfgwError('TFGW_ERR_CONFIG', `${key}: expected a positive number, got ${JSON.stringify(v)}`, { details: { path: key } });
    }
  }
  const refillPerMs = perMinute / 60000;
  /** @type {Map<string, { tokens: number, at: number }>} */
  const buckets = new Map();

  return {
    name: PLUGIN_NAME,
    apply(node) {
      node.hooks.visitor.tap(PLUGIN_NAME, (visitor) => {
        const now = Date.now();
        let b = buckets.get(visitor.address);
        if (b) {
          b.tokens = Math.min(burst, b.tokens + (now - b.at) * refillPerMs);
          b.at = now;
          // Re-insert so the Map's order stays "least recently seen first".
          buckets.delete(visitor.address);
        } else {
          b = { tokens: burst, at: now };
        }
        buckets.set(visitor.address, b);
        if (buckets.size > maxTrackedIps) buckets.delete(/** @type {string} */ (buckets.keys().next().value));
        if (b.tokens < 1) {
          return { code: 'TFGW_ERR_VISITOR_REJECTED', message: `visitor ${visitor.address} exceeded ${perMinute}/min (visitor-limit)` };
        }
        b.tokens -= 1;
        return undefined;
      });
    },
  };
};

import type { Scenario } from '../types';
import { tcpThroughput } from './tcp-throughput';
import { latency } from './latency';
import { http } from './http';
import { udp } from './udp';
import { churn } from './churn';
import { scale } from './scale';
import { dns } from './dns';
import { clientPath } from './client-path';
import { quic } from './quic';

/** Every scenario, in the order `npm run bench` runs them. */
export const SCENARIOS: readonly Scenario[] = [tcpThroughput, latency, http, udp, churn, scale, dns, clientPath, quic];

import type { TfgwNode } from '../node';
import { Agent } from './agent';
import { Client } from './client';
import { Gateway } from './gateway';

/** Creates the roles the config declares and registers their lifecycles on the node. */
export function attachRoles(node: TfgwNode): void {
  const cfg = node.config;
  if (cfg.gateway) node.gateway = new Gateway(node);
  if (cfg.agent) node.agent = new Agent(node, cfg.agent);
  if (cfg.client) node.client = new Client(node, cfg.client);
}

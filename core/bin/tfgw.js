#!/bin/sh
':' //; exec node --initial-old-space-size=64 --max-semi-space-size=2 "$0" "$@"
// The `tfgw` command. A committed stub, so npm links it at install time even before the
// TypeScript build has produced dist/ (the real CLI is dist/cli.js).
//
// Run as a program, the line above is shell: it re-runs this file under `node` with the V8
// flags of NODE_FLAGS in core/src/cli/node-flags.ts (keep both the same; a test checks).
// `exec` keeps the process id, so signals and `kill PID` reach the gateway itself. Run with
// `node core/bin/tfgw.js`, Node skips the first line and reads the second as a string.
'use strict';
require('../dist/cli.js');

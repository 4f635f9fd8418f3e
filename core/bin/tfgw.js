#!/usr/bin/env node
// The `tfgw` command. A committed stub, so npm links it at install time even before the
// TypeScript build has produced dist/ (the real CLI is dist/cli.js).
'use strict';
require('../dist/cli.js');

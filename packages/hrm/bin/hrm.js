#!/usr/bin/env node
// The `hrm` bin. A committed file, so that `npm ci` links it before `npm run build` writes dist/.
import '../dist/cli.js';

#!/usr/bin/env node
/** The `hrm` bin: runs the command line and exits with its code. */
import { main } from './commands/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

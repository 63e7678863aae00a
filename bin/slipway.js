#!/usr/bin/env node
// Runs the compiled CLI (`npm run build` produces dist/). In development:
// `npx tsx src/cli/index.ts <command>`.
import '../dist/cli/index.js';

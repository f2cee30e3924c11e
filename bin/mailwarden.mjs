#!/usr/bin/env node
// The installed `mailwarden` command: runs the TypeScript sources directly through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../sidecar/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

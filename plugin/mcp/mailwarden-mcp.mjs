#!/usr/bin/env node
// Launcher for MCP clients that start the server from another directory: loads tsx relative to this file.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');

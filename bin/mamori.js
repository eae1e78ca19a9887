#!/usr/bin/env node
// The CLI is bundled at build time (one module graph instead of hundreds of files), so it starts fast.
import '../dist/bundle/cli/main.js';

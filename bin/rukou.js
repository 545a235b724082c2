#!/usr/bin/env node
// @ts-check
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'rukou.js');
if (!fs.existsSync(cli)) {
  console.error('rukou: the emulator is not built yet; run `npm run build` first.');
  process.exit(1);
}
require(cli);

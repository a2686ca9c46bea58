// `npm pack` hooks: `copy` puts the repository's protos into the package's
// proto/ (prepack), `remove` deletes that copy again (postpack), so that a
// checkout always loads ../../proto.
'use strict';
const fs = require('fs');
const path = require('path');

const PROTOS = ['google/rpc/status.proto', 'hubspot/crm/associations/v1/associations_archive.proto'];
const from = path.join(__dirname, '..', '..', '..', 'proto');
const to = path.join(__dirname, '..', 'proto');

if (process.argv[2] === 'copy') {
  for (const proto of PROTOS) {
    fs.mkdirSync(path.dirname(path.join(to, proto)), { recursive: true });
    fs.copyFileSync(path.join(from, proto), path.join(to, proto));
  }
} else if (process.argv[2] === 'remove') {
  fs.rmSync(to, { recursive: true, force: true });
} else {
  throw new Error('usage: protos.js copy|remove');
}

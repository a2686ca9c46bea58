#!/usr/bin/env node
// A small Node caller of the gateway (@grpc/grpc-js + @grpc/proto-loader).
// Archives FROM:TO[,TO...] pairs and prints the result as JSON; with
// --label=CATEGORY:TYPE_ID (repeatable) it removes only those labels of the
// pairs (ArchiveAssociationLabels) and the associations stay. On failure it
// prints the gRPC code and the UpstreamError carried in the rich status
// details (grpc-status-details-bin), then exits with the gRPC code.
//   node archive_client.js --target=127.0.0.1:50051 [--from_type=contacts]
//       [--to_type=companies] [--label=USER_DEFINED:36 ...] 101:201,202 102:203
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_ROOT = path.join(__dirname, '..', '..', 'proto');
const INCLUDE_DIRS = [PROTO_ROOT, '/usr/include'];
const ARCHIVE_PROTO = 'hubspot/crm/associations/v1/associations_archive.proto';
const CATEGORIES = ['HUBSPOT_DEFINED', 'INTEGRATOR_DEFINED', 'USER_DEFINED', 'WORK'];

function parseArgs(argv) {
  const args = { target: '127.0.0.1:50051', from_type: 'contacts', to_type: 'companies',
                 deadline_s: 30, pairs: [], labels: [] };
  for (const arg of argv) {
    const flag = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (flag && flag[1] === 'label') {
      const [category, typeId] = flag[2].split(':');
      if (!CATEGORIES.includes(category) || !/^-?[0-9]+$/.test(typeId || '')) {
        throw new Error(`expected --label=CATEGORY:TYPE_ID, got ${arg}`);
      }
      args.labels.push({ category, type_id: Number(typeId) });
    } else if (flag) {
      if (!(flag[1] in args) || flag[1] === 'pairs' || flag[1] === 'labels') {
        throw new Error(`unknown flag ${arg}`);
      }
      args[flag[1]] = flag[1] === 'deadline_s' ? Number(flag[2]) : flag[2];
    } else {
      const [from, to] = arg.split(':');
      if (!from || !to) throw new Error(`expected FROM:TO[,TO...], got ${arg}`);
      args.pairs.push({ from_object: { id: from }, to_objects: to.split(',').map((id) => ({ id })) });
    }
  }
  if (args.pairs.length === 0) throw new Error('give at least one FROM:TO[,TO...]');
  return args;
}

// The UpstreamError in a failed call's rich status details, or null.
function upstreamError(error, root) {
  const details = error.metadata && error.metadata.get('grpc-status-details-bin');
  if (!details || details.length === 0) return null;
  const status = root.lookupType('google.rpc.Status').decode(details[0]);
  const UpstreamError = root.lookupType('hubspot.crm.associations.v1.UpstreamError');
  for (const any of status.details) {
    if (any.type_url.endsWith('/hubspot.crm.associations.v1.UpstreamError')) {
      return UpstreamError.toObject(UpstreamError.decode(any.value), { longs: Number });
    }
  }
  return null;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const definition = protoLoader.loadSync(ARCHIVE_PROTO, {
    includeDirs: INCLUDE_DIRS, keepCase: true, defaults: true, enums: String, longs: Number,
  });
  const v1 = grpc.loadPackageDefinition(definition).hubspot.crm.associations.v1;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    INCLUDE_DIRS.map((dir) => path.join(dir, target)).find((file) => require('fs').existsSync(file));
  root.loadSync(['google/rpc/status.proto', ARCHIVE_PROTO], { keepCase: true });

  const client = new v1.AssociationsArchive(args.target, grpc.credentials.createInsecure());
  // With labels: one input per (from, to), each removing every label.
  const labelInputs = args.pairs.flatMap((pair) => pair.to_objects.map((to) => (
    { from_object: pair.from_object, to_object: to, types: args.labels })));
  const method = args.labels.length > 0 ? 'ArchiveAssociationLabels' : 'ArchiveAssociations';
  const request = { from_object_type: args.from_type, to_object_type: args.to_type,
                    inputs: args.labels.length > 0 ? labelInputs : args.pairs };
  const deadline = Date.now() + args.deadline_s * 1000;
  return new Promise((resolve) => {
    client[method](request, { deadline }, (error, result) => {
      client.close();
      if (error) {
        console.log(JSON.stringify({ code: grpc.status[error.code], message: error.details,
                                     upstreamError: upstreamError(error, root) }));
        resolve(error.code);
        return;
      }
      console.log(JSON.stringify(result));
      resolve(result.status === 'COMPLETE' && result.errors.length === 0 ? 0 : 20);
    });
  });
}

main().then((code) => { process.exitCode = code; },
            (error) => { console.error(error.message); process.exitCode = 64; });

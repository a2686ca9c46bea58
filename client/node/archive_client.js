#!/usr/bin/env node
// A small Node caller of the gateway (@grpc/grpc-js + @grpc/proto-loader).
// Archives FROM:TO[,TO...] pairs and prints the result as JSON; with
// --label=CATEGORY:TYPE_ID (repeatable) it removes only those labels of the
// pairs (ArchiveAssociationLabels) and the associations stay. On failure it
// prints the gRPC code and the UpstreamError carried in the rich status
// details (grpc-status-details-bin), then exits with the gRPC code. With
// --bulk_file it streams a file of from,to lines instead (archiveBulk:
// acknowledgements, unacknowledged requests resent on a new stream) and
// prints the job's counts.
//   node archive_client.js --target=127.0.0.1:50051 [--from_type=contacts]
//       [--to_type=companies] [--label=USER_DEFINED:36 ...] 101:201,202 102:203
//   node archive_client.js --bulk_file=pairs.csv
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const { messageJson } = require('./proto3_json');

const PROTO_ROOT = path.join(__dirname, '..', '..', 'proto');
const INCLUDE_DIRS = [PROTO_ROOT, '/usr/include'];
const ARCHIVE_PROTO = 'hubspot/crm/associations/v1/associations_archive.proto';
const CATEGORIES = ['HUBSPOT_DEFINED', 'INTEGRATOR_DEFINED', 'USER_DEFINED', 'WORK'];

function parseArgs(argv) {
  const args = { target: '127.0.0.1:50051', from_type: 'contacts', to_type: 'companies',
                 deadline_s: 30, bulk_file: '', pairs_per_message: 100, pairs: [], labels: [] };
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
      args[flag[1]] = typeof args[flag[1]] === 'number' ? Number(flag[2]) : flag[2];
    } else {
      const [from, to] = arg.split(':');
      if (!from || !to) throw new Error(`expected FROM:TO[,TO...], got ${arg}`);
      args.pairs.push({ from_object: { id: from }, to_objects: to.split(',').map((id) => ({ id })) });
    }
  }
  if (args.pairs.length === 0 && !args.bulk_file) {
    throw new Error('give at least one FROM:TO[,TO...] or --bulk_file');
  }
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
      return messageJson(UpstreamError, UpstreamError.toObject(UpstreamError.decode(any.value),
                                                              { enums: String, longs: String }));
    }
  }
  return null;
}

const RESEND_ON = [grpc.status.UNAVAILABLE, grpc.status.CANCELLED];

// Runs one stream: sends `queue` (requests with their index), then resolves
// with its status once the stream ends. Calls `onProgress(progress,
// indexOfPosition)` for each progress message.
function runStream(client, queue, options, onProgress) {
  return new Promise((resolve) => {
    const call = client.ArchiveAssociationsStream(options.metadata || new grpc.Metadata(),
                                                  { deadline: options.deadline });
    const indexOfPosition = [];
    let next = 0;
    const write = () => {
      while (next < queue.length) {
        const { index, request } = queue[next++];
        indexOfPosition.push(index);
        if (!call.write(request)) {  // Flow control: wait until it drains.
          call.once('drain', write);
          return;
        }
      }
      call.end();
    };
    call.on('data', (progress) => onProgress(progress, indexOfPosition));
    call.on('error', () => {});  // Reported by 'status'.
    call.on('status', (status) => resolve(status));
    write();
  });
}

// Archives `requests` (an array of ArchiveAssociationsRequest objects) on
// ArchiveAssociationsStream, following its protocol: a request is done once a
// progress message acknowledges its position on the stream, its failed inputs
// named in the errors `error_positions` ties to it. When a stream ends with
// UNAVAILABLE (a gateway draining or gone) or CANCELLED, the requests not
// acknowledged are sent again on a new stream, after a backoff doubling from
// `initialBackoffMs`, at most `maxReconnects` times in a row without an
// acknowledgement. Resolves with { acknowledged: Set of indexes, errors: Map
// index -> errors, unconfirmed: indexes never acknowledged, code, message,
// reconnects }.
async function archiveBulk(client, requests, options = {}) {
  const maxReconnects = options.maxReconnects ?? 5;
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const outcome = { acknowledged: new Set(), errors: new Map(), unconfirmed: [],
                    code: grpc.status.OK, message: '', reconnects: 0 };
  const unacknowledged = new Set(requests.keys());
  let inARow = 0;
  for (;;) {
    const queue = [...unacknowledged].map((index) => ({ index, request: requests[index] }));
    const errors = new Map();  // position -> errors, until acknowledged.
    let acknowledgedAny = false;
    const status = await runStream(client, queue, options, (progress, indexOfPosition) => {
      progress.errors.forEach((error, i) => {
        const position = progress.error_positions[i];
        if (!errors.has(position)) errors.set(position, []);
        errors.get(position).push(error);
      });
      for (const position of progress.acknowledged) {
        const index = indexOfPosition[position];
        if (!unacknowledged.delete(index)) continue;
        acknowledgedAny = true;
        outcome.acknowledged.add(index);
        if (errors.has(position)) outcome.errors.set(index, errors.get(position));
        errors.delete(position);
      }
    });
    outcome.code = status.code;
    outcome.message = status.details;
    if (acknowledgedAny) inARow = 0;
    if (unacknowledged.size === 0 || !RESEND_ON.includes(status.code) ||
        inARow >= maxReconnects) {
      break;
    }
    await new Promise((wake) => setTimeout(wake, initialBackoffMs * 2 ** Math.min(inARow, 5)));
    inARow++;
    outcome.reconnects++;
  }
  outcome.unconfirmed = [...unacknowledged].sort((a, b) => a - b);
  return outcome;
}

// How many of an acknowledged request's inputs its errors name as failed.
function failedInputs(request, errors) {
  const named = new Set();
  for (const error of errors) {
    if (error.context.omitted || !error.context.inputs) return request.inputs.length;
    error.context.inputs.values.forEach((input) => named.add(input));
  }
  return request.inputs.filter((input) => named.has(
    `${input.from_object.id}:${input.to_objects.map((to) => to.id).join(',')}`)).length;
}

// --bulk_file: streams the file's from,to lines, prints the counts as JSON.
async function runBulk(args, v1) {
  const inputs = [];
  const lines = require('fs').readFileSync(args.bulk_file, 'utf8').split('\n');
  for (const [number, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line === 'from,to') continue;
    const [from, to] = line.split(',');
    // Bytes that are not UTF-8 were read as U+FFFD, which no record id matches.
    if (!/^[0-9]{1,20}$/.test(from || '') || !/^[0-9]{1,20}$/.test(to || '')) {
      console.log(JSON.stringify({ code: 'INVALID_ARGUMENT',
                                   message: `${args.bulk_file} line ${number + 1}: expected from,to` }));
      return 3;
    }
    inputs.push({ from_object: { id: from }, to_objects: [{ id: to }] });
  }
  const requests = [];
  for (let start = 0; start < inputs.length; start += args.pairs_per_message) {
    requests.push({ from_object_type: args.from_type, to_object_type: args.to_type,
                    inputs: inputs.slice(start, start + args.pairs_per_message) });
  }
  const client = new v1.AssociationsArchive(args.target, grpc.credentials.createInsecure());
  const outcome = await archiveBulk(client, requests,
                                    { deadline: Date.now() + args.deadline_s * 1000 });
  client.close();
  let failed = 0;
  for (const [index, errors] of outcome.errors) failed += failedInputs(requests[index], errors);
  const count = (indexes) => [...indexes].reduce((n, i) => n + requests[i].inputs.length, 0);
  const acknowledged = count(outcome.acknowledged);
  const unconfirmed = count(outcome.unconfirmed);
  console.log(JSON.stringify({ code: grpc.status[outcome.code], message: outcome.message,
                               pairs: inputs.length, archived: acknowledged - failed, failed,
                               unconfirmed, reconnects: outcome.reconnects }));
  if (acknowledged + unconfirmed !== inputs.length) return 70;
  if (outcome.code !== grpc.status.OK) return outcome.code;
  return failed === 0 && unconfirmed === 0 ? 0 : 20;
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
  root.resolveAll();
  if (args.bulk_file) return runBulk(args, v1);

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
        const upstream = upstreamError(error, root);
        console.log(JSON.stringify({ code: grpc.status[error.code], message: error.details,
                                     ...(upstream ? { upstreamError: upstream } : {}) }));
        resolve(error.code);
        return;
      }
      console.log(JSON.stringify(
        messageJson(root.lookupType('hubspot.crm.associations.v1.BatchResult'), result)));
      resolve(result.status === 'COMPLETE' && result.errors.length === 0 ? 0 : 20);
    });
  });
}

if (require.main === module) {
  main().then((code) => { process.exitCode = code; },
              (error) => { console.error(error.message); process.exitCode = 64; });
}

module.exports = { archiveBulk };

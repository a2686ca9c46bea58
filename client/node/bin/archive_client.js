#!/usr/bin/env node
// hubspot-archive-client: the Node caller's command. Archives FROM:TO[,TO...] pairs and prints the result as JSON; with
// --label=CATEGORY:TYPE_ID (repeatable) it removes only those labels of the
// pairs (ArchiveAssociationLabels) and the associations stay; a pair's
// unlabeled type (HUBSPOT_DEFINED, e.g. 279 for contacts to companies) removes
// the whole association, which the gateway refuses unless
// --remove_association_if_unlabeled. A failed call
// prints {"code", "message", "upstreamError"} and exits with the gRPC code; a
// result with errors, or not COMPLETE, exits 20. Output is one line of JSON
// in the proto3 mapping, as the Python and Go callers print it. With
// --bulk_file it streams a file of from,to lines instead (archiveBulk:
// acknowledgements, unacknowledged requests resent on a new stream) and
// prints the job's counts.
//   hubspot-archive-client --target=127.0.0.1:50051 [--deadline=30] [--from_type=contacts]
//       [--to_type=companies] [--label=USER_DEFINED:36 ...] 101:201,202 102:203
//   hubspot-archive-client --bulk_file=pairs.csv
'use strict';
const grpc = require('@grpc/grpc-js');
const gateway = require('..');

const CATEGORIES = ['HUBSPOT_DEFINED', 'INTEGRATOR_DEFINED', 'USER_DEFINED', 'WORK'];

function parseArgs(argv) {
  const args = { target: '127.0.0.1:50051', from_type: 'contacts', to_type: 'companies',
                 deadline: 30, bulk_file: '', pairs_per_message: 100, pairs: [], labels: [],
                 remove_association_if_unlabeled: false };
  for (const arg of argv) {
    const flag = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (arg === '--remove_association_if_unlabeled') {
      args.remove_association_if_unlabeled = true;
    } else if (flag && flag[1] === 'label') {
      const [category, typeId] = flag[2].split(':');
      if (!CATEGORIES.includes(category) || !/^-?[0-9]+$/.test(typeId || '')) {
        throw new Error(`expected --label=CATEGORY:TYPE_ID, got ${arg}`);
      }
      args.labels.push({ category, type_id: Number(typeId) });
    } else if (flag) {
      if (!(flag[1] in args) || ['pairs', 'labels', 'remove_association_if_unlabeled'].includes(flag[1])) {
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
async function runBulk(args) {
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
  const client = gateway.createClient(args.target);
  const outcome = await gateway.archiveBulk(client, requests,
                                    { deadline: Date.now() + args.deadline * 1000 });
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
  if (args.bulk_file) return runBulk(args);

  const client = gateway.createClient(args.target);
  const deadline = Date.now() + args.deadline * 1000;
  try {
    let result;
    if (args.labels.length > 0) {
      // One input per (from, to), each removing every label.
      const inputs = args.pairs.flatMap((pair) => pair.to_objects.map((to) => (
        { from_object: pair.from_object, to_object: to, types: args.labels })));
      result = await gateway.archiveLabels(client, {
        from_object_type: args.from_type, to_object_type: args.to_type, inputs,
        remove_association_if_unlabeled: args.remove_association_if_unlabeled }, { deadline });
    } else {
      result = await gateway.archive(client, { from_object_type: args.from_type,
                                               to_object_type: args.to_type, inputs: args.pairs },
                                     { deadline });
    }
    console.log(gateway.toJson(result));
    return result.status === 'COMPLETE' && result.errors.length === 0 ? 0 : 20;
  } catch (error) {
    if (!(error instanceof gateway.ArchiveError)) throw error;
    console.log(gateway.toJson(error));
    return error.code;
  } finally {
    client.close();
  }
}

main().then((code) => { process.exitCode = code; },
            (error) => { console.error(error.message); process.exitCode = 64; });

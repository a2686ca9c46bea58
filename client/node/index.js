// The Node caller of the gateway (@grpc/grpc-js + @grpc/proto-loader):
// a client of hubspot.crm.associations.v1.AssociationsArchive, promise-based
// unary calls that reject with an ArchiveError carrying the UpstreamError
// rich detail, archiveBulk for the bulk stream's protocol, and toJson, the
// proto3 JSON mapping every caller in this repository prints. Messages are
// plain objects with the proto's field names (keepCase), enums by name.
//
//   const gateway = require('hubspot-archive-gateway');
//   const client = gateway.createClient('127.0.0.1:50051');
//   try {
//     const result = await gateway.archive(client, { from_object_type: 'contacts',
//       to_object_type: 'companies', inputs: [{ from_object: { id: '101' },
//       to_objects: [{ id: '201' }] }] });
//     console.log(gateway.toJson(result));
//   } catch (error) {  // an ArchiveError: error.code, error.upstream
//     console.log(gateway.toJson(error));
//   }
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const { messageJson } = require('./proto3_json');

// The protos: the package's copy (made by `npm pack`'s prepack), else the
// repository's proto/ when run from a checkout.
const PACKAGED_PROTO_ROOT = path.join(__dirname, 'proto');
const PROTO_ROOT = fs.existsSync(PACKAGED_PROTO_ROOT) ? PACKAGED_PROTO_ROOT
  : path.join(__dirname, '..', '..', 'proto');
const ARCHIVE_PROTO = 'hubspot/crm/associations/v1/associations_archive.proto';
const STATUS_PROTO = 'google/rpc/status.proto';
const PACKAGE = 'hubspot.crm.associations.v1';

const definition = protoLoader.loadSync(ARCHIVE_PROTO, {
  includeDirs: [PROTO_ROOT], keepCase: true, defaults: true, enums: String, longs: Number,
});
const v1 = grpc.loadPackageDefinition(definition).hubspot.crm.associations.v1;

// protobufjs types, to decode google.rpc.Status and print proto3 JSON; the
// well-known types come from protobufjs's own copies.
const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  const file = path.join(PROTO_ROOT, target);
  return fs.existsSync(file) ? file : protobuf.util.path.resolve(origin, target);
};
root.loadSync([STATUS_PROTO, ARCHIVE_PROTO], { keepCase: true });
root.resolveAll();
const Status = root.lookupType('google.rpc.Status');
const UpstreamError = root.lookupType(`${PACKAGE}.UpstreamError`);
const BatchResult = root.lookupType(`${PACKAGE}.BatchResult`);

// A failed call: `code` (a grpc.status number), `codeName`
// ("PERMISSION_DENIED"), `details` (the status message) and `upstream`, the
// UpstreamError the gateway attached (HubSpot's answer, or how the upstream
// could not be reached) as a plain object, or null.
class ArchiveError extends Error {
  constructor(code, details, upstream = null) {
    const codeName = grpc.status[code] || `CODE_${code}`;
    const http = upstream && upstream.http_status ? ` (HubSpot answered HTTP ${upstream.http_status})` : '';
    super(`${codeName}: ${details}${http}`);
    this.name = 'ArchiveError';
    this.code = code;
    this.codeName = codeName;
    this.details = details;
    this.upstream = upstream;
  }

  // Decodes a @grpc/grpc-js call error and its grpc-status-details-bin.
  static fromGrpcError(error) {
    return new ArchiveError(error.code, error.details || '', upstreamErrorOf(error));
  }

  // {code, message, upstreamError}: the output every caller here prints.
  toJSON() {
    return { code: this.codeName, message: this.details,
             ...(this.upstream ? { upstreamError: messageJson(UpstreamError, this.upstream) } : {}) };
  }
}

// The UpstreamError in a failed call's rich status details, or null.
function upstreamErrorOf(error) {
  const details = error.metadata && error.metadata.get('grpc-status-details-bin');
  if (!details || details.length === 0) return null;
  const suffix = `/${PACKAGE}.UpstreamError`;
  for (const any of Status.decode(details[0]).details) {
    if (any.type_url.endsWith(suffix)) {
      return UpstreamError.toObject(UpstreamError.decode(any.value), { enums: String, longs: Number });
    }
  }
  return null;
}

// A client of the gateway at `target` ("host:port"); close() it when done.
function createClient(target, credentials = grpc.credentials.createInsecure(), options = {}) {
  return new v1.AssociationsArchive(target, credentials, options);
}

function unary(client, method, request, { deadline, metadata } = {}) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata || new grpc.Metadata(), deadline ? { deadline } : {},
                   (error, result) => (error ? reject(ArchiveError.fromGrpcError(error))
                                             : resolve(result)));
  });
}

// ArchiveAssociations: resolves with the BatchResult, rejects with an ArchiveError.
// `options.deadline` is a Date or milliseconds since the epoch.
function archive(client, request, options) {
  return unary(client, 'ArchiveAssociations', request, options);
}

// ArchiveAssociationLabels: removes only the listed labels; as archive().
function archiveLabels(client, request, options) {
  return unary(client, 'ArchiveAssociationLabels', request, options);
}

// One line of JSON in the proto3 mapping: a BatchResult, or an ArchiveError.
function toJson(answer) {
  if (answer instanceof ArchiveError) return JSON.stringify(answer);
  return JSON.stringify(messageJson(BatchResult, answer));
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

module.exports = { ArchiveError, archive, archiveBulk, archiveLabels, createClient, toJson, v1 };

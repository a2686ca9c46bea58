// Tests of the installed hubspot-archive-gateway package (GATEWAY_PACKAGE):
// ArchiveError decoding over real gRPC on loopback, and the JSON output,
// the same lines as client/go/archive's and client/python's tests.
'use strict';
const assert = require('node:assert');
const path = require('node:path');
const test = require('node:test');

const packageDir = process.env.GATEWAY_PACKAGE;
const gateway = require(packageDir);
const req = (name) => require(require.resolve(name, { paths: [packageDir] }));
const grpc = req('@grpc/grpc-js');
const protobuf = req('protobufjs');

const root = new protobuf.Root().loadSync([
  path.join(packageDir, 'proto/google/rpc/status.proto'),
  path.join(packageDir, 'proto/hubspot/crm/associations/v1/associations_archive.proto'),
], { keepCase: true });
const UpstreamError = root.lookupType('hubspot.crm.associations.v1.UpstreamError');
const Status = root.lookupType('google.rpc.Status');
const FORBIDDEN = { http_status: 403, category: 'MISSING_SCOPES', correlation_id: 'c-1',
                    retry_after: { seconds: 1, nanos: 500000000 }, attempts: 1 };

// Serves a gateway that fails every unary call with `code`, `details` and,
// if given, `upstream`; resolves with a client of it and a stop function.
async function serve(code, details, upstream) {
  const server = new grpc.Server();
  const fail = (_call, callback) => {
    const metadata = new grpc.Metadata();
    if (upstream) {
      const status = Status.fromObject({ code, message: details, details: [{
        type_url: 'type.googleapis.com/hubspot.crm.associations.v1.UpstreamError',
        value: UpstreamError.encode(UpstreamError.fromObject(upstream)).finish() }] });
      metadata.set('grpc-status-details-bin', Buffer.from(Status.encode(status).finish()));
    }
    callback({ code, details, metadata });
  };
  server.addService(gateway.v1.AssociationsArchive.service,
                    { ArchiveAssociations: fail, ArchiveAssociationLabels: fail });
  const port = await new Promise((resolve, reject) => server.bindAsync(
    '127.0.0.1:0', grpc.ServerCredentials.createInsecure(),
    (error, bound) => (error ? reject(error) : resolve(bound))));
  const client = gateway.createClient(`127.0.0.1:${port}`);
  return { client, stop: () => { client.close(); server.forceShutdown(); } };
}

test('both calls reject with an ArchiveError carrying the UpstreamError', async () => {
  const { client, stop } = await serve(grpc.status.PERMISSION_DENIED, 'HubSpot refused the token',
                                       FORBIDDEN);
  try {
    for (const call of [gateway.archive, gateway.archiveLabels]) {
      const error = await call(client, {}).then(() => null, (e) => e);
      assert.ok(error instanceof gateway.ArchiveError, String(error));
      assert.strictEqual(error.code, grpc.status.PERMISSION_DENIED);
      assert.strictEqual(error.codeName, 'PERMISSION_DENIED');
      assert.strictEqual(error.upstream.http_status, 403);
      assert.strictEqual(error.upstream.correlation_id, 'c-1');
      assert.strictEqual(error.message,
                         'PERMISSION_DENIED: HubSpot refused the token (HubSpot answered HTTP 403)');
      assert.strictEqual(gateway.toJson(error),
        '{"code":"PERMISSION_DENIED","message":"HubSpot refused the token","upstreamError":' +
        '{"httpStatus":403,"category":"MISSING_SCOPES","correlationId":"c-1",' +
        '"retryAfter":"1.500s","attempts":1}}');
    }
  } finally {
    stop();
  }
});

test('a status without detail has no UpstreamError', async () => {
  const { client, stop } = await serve(grpc.status.UNAVAILABLE, 'draining');
  try {
    const error = await gateway.archive(client, {}).then(() => null, (e) => e);
    assert.strictEqual(error.upstream, null);
    assert.strictEqual(gateway.toJson(error), '{"code":"UNAVAILABLE","message":"draining"}');
  } finally {
    stop();
  }
});

test('a BatchResult prints in the proto3 JSON mapping', () => {
  const result = {
    status: 'COMPLETE',
    results: [{ struct_value: { fields: { id: { string_value: '7' } } } }, { number_value: 101 },
              { number_value: 1.5 }],
    requested_at: null,
    started_at: { seconds: 1767323045, nanos: 600000000 },
    completed_at: { seconds: 1767323046, nanos: 0 },
    errors: [{ status: '', category: 'OBJECT_NOT_FOUND', errors: [{ in_field: 'to' }] }],
    num_errors: 1,
    links: {},
  };
  assert.strictEqual(gateway.toJson(result),
    '{"status":"COMPLETE","results":[{"id":"7"},101,1.5],"startedAt":"2026-01-02T03:04:05.600Z",' +
    '"completedAt":"2026-01-02T03:04:06Z","errors":[{"category":"OBJECT_NOT_FOUND",' +
    '"errors":[{"in":"to"}]}],"numErrors":1}');
});

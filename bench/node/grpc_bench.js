// A Node caller of the gateway with @grpc/grpc-js and the project's proto:
// the like-for-like alternative to calling HubSpot with its Node SDK.
//   node grpc_bench.js --target=127.0.0.1:PORT
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { parseArgs, runClosedLoop, inputsFor } = require('./closed_loop');

const PROTO_ROOT = path.join(__dirname, '..', '..', 'proto');

async function main() {
  const args = parseArgs({
    target: '127.0.0.1:50051', calls: 2000, concurrency: 16, inputs_per_call: 1,
    label: 'node-grpc',
  });
  const definition = protoLoader.loadSync('hubspot/crm/associations/v1/associations_archive.proto', {
    includeDirs: [PROTO_ROOT, '/usr/include'], keepCase: true, defaults: true, enums: String,
  });
  const v1 = grpc.loadPackageDefinition(definition).hubspot.crm.associations.v1;
  const client = new v1.AssociationsArchive(args.target, grpc.credentials.createInsecure());
  const errors = await runClosedLoop(
    { calls: args.calls, concurrency: args.concurrency, label: args.label, mode: 'node-grpc',
      inputsPerCall: args.inputs_per_call },
    (index) => new Promise((resolve, reject) => {
      const request = {
        from_object_type: 'contacts', to_object_type: 'companies',
        inputs: inputsFor(index, args.inputs_per_call).map(
          (pair) => ({ from_object: { id: pair.from }, to_objects: [{ id: pair.to }] })),
      };
      client.ArchiveAssociations(request, { deadline: Date.now() + 60000 }, (error, result) => {
        if (error) reject(error);
        else if (result.status !== 'COMPLETE') reject(new Error(`status ${result.status}`));
        else resolve();
      });
    }));
  client.close();
  process.exitCode = errors === 0 ? 0 : 1;
}

main().catch((error) => { console.error(error); process.exitCode = 2; });

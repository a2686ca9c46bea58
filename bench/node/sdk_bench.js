// HubSpot's official Node SDK (@hubspot/api-client v14) archiving associations
// directly against HubSpot's API (here the simulator, via basePath): the way
// callers would do it without the gateway.
//   node sdk_bench.js --base_path=http://127.0.0.1:PORT --token=... [--limiter=1]
'use strict';
const hubspot = require('@hubspot/api-client');
const { parseArgs, runClosedLoop, inputsFor } = require('./closed_loop');

async function main() {
  const args = parseArgs({
    base_path: '', token: '', calls: 2000, concurrency: 16, inputs_per_call: 1,
    retries: 0, limiter: 0, label: 'node-sdk',
  });
  const options = { accessToken: args.token, basePath: args.base_path };
  if (args.retries > 0) options.numberOfApiCallRetries = args.retries;
  // The SDK's documented limiter defaults (Bottleneck): about 9 requests/s.
  if (args.limiter) options.limiterOptions = { minTime: 111, maxConcurrent: 6 };
  const client = new hubspot.Client(options);
  const errors = await runClosedLoop(
    { calls: args.calls, concurrency: args.concurrency, label: args.label, mode: 'node-sdk',
      inputsPerCall: args.inputs_per_call },
    (index) => client.crm.associations.v4.batchApi.archive('contacts', 'companies', {
      inputs: inputsFor(index, args.inputs_per_call).map(
        (pair) => ({ _from: { id: pair.from }, to: [{ id: pair.to }] })),
    }));
  process.exitCode = errors === 0 ? 0 : 1;
}

main().catch((error) => { console.error(error); process.exitCode = 2; });

// Shared by the Node benchmark callers: argument parsing, a closed loop that
// keeps `concurrency` calls in flight, and a result line in the same format as
// bench/load_generator (CPU and peak RSS of this Node process).
'use strict';

function parseArgs(defaults) {
  const args = { ...defaults };
  for (const arg of process.argv.slice(2)) {
    const match = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (!match || !(match[1] in args)) throw new Error(`unknown argument ${arg}`);
    args[match[1]] = typeof defaults[match[1]] === 'number' ? Number(match[2]) : match[2];
  }
  return args;
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

// callOnce(index) returns a promise that resolves on success and rejects on failure.
async function runClosedLoop({ calls, concurrency, label, mode, inputsPerCall }, callOnce) {
  const latencies = [];
  let errors = 0;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  async function worker() {
    while (next < calls) {
      const index = next++;
      const t0 = process.hrtime.bigint();
      try {
        await callOnce(index);
      } catch (error) {
        errors++;
        if (errors === 1) console.error(`first error: ${error.message || error}`);
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  console.log(`command: node ${process.argv.slice(1).join(' ')}`);
  console.log(
    `result label=${label} mode=${mode} concurrency=${concurrency} inputs_per_call=${inputsPerCall} ` +
      `calls=${latencies.length} errors=${errors} seconds=${seconds.toFixed(3)} ` +
      `throughput=${(latencies.length / seconds).toFixed(1)}/s ` +
      `p50_ms=${percentile(latencies, 0.5).toFixed(3)} p90_ms=${percentile(latencies, 0.9).toFixed(3)} ` +
      `p99_ms=${percentile(latencies, 0.99).toFixed(3)} max_ms=${percentile(latencies, 1).toFixed(3)} ` +
      `measured_pid=${process.pid} ` +
      `cpu_s_per_1000_calls=${(((cpu.user + cpu.system) / 1e6) * 1000 / calls).toFixed(4)} ` +
      `peak_rss_mib=${(process.resourceUsage().maxRSS / 1024).toFixed(1)}`);
  return errors;
}

// The same ids as bench/load_generator: call i archives (i*1000+k+1) -> (i*1000+k+500001).
function inputsFor(index, inputsPerCall) {
  const inputs = [];
  for (let k = 0; k < inputsPerCall; k++) {
    inputs.push({ from: String(index * 1000 + k + 1), to: String(index * 1000 + k + 500001) });
  }
  return inputs;
}

module.exports = { parseArgs, runClosedLoop, inputsFor };

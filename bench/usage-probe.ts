// Preloaded into a measured Node process (NODE_OPTIONS=--import): at exit it appends the process's
// own peak RSS and CPU time to $SRIOV_BENCH_USAGE, one JSON line per process. getrusage(RUSAGE_SELF)
// from inside is exact, where sampling /proc from outside misses the last moments of a process.
import { appendFileSync } from 'node:fs';

const file = process.env.SRIOV_BENCH_USAGE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    appendFileSync(file, `${JSON.stringify({ pid: process.pid, maxRssKb: usage.maxRSS, userUs: usage.userCPUTime, systemUs: usage.systemCPUTime })}\n`);
  });
}

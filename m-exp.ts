import { readServer } from './src/simulation/cluster/manifests';
import { exampleManifests } from './src/simulation/cluster/example-chart';
import { DEFAULT_SETTINGS, replayCandidate, settingsLabel, splitTrace, tuningGrid, tuningRun } from './src/simulation/evidence/tuning';
import { Trace } from './src/simulation/traffic/trace';
const trace = Trace.fromCsvFile(process.argv[2]);
const chart = exampleManifests();
readServer(chart);
const { train, test } = splitTrace(trace, 0.5);
const mk = (t: Trace) => tuningRun({ name: 'x', chart, trace: t, sloTtftSeconds: 2, sloTarget: 0.99, maxReplicas: 16 });
const a = mk(train); const b = mk(test);
for (const s of [DEFAULT_SETTINGS, ...tuningGrid()]) {
  const r1 = replayCandidate(a, s); const r2 = replayCandidate(b, s);
  console.log(`${(r1.sloAttainment*100).toFixed(2)} ${r1.billedGpuHours.toFixed(1)} | ${(r2.sloAttainment*100).toFixed(2)} ${r2.billedGpuHours.toFixed(1)} | ${settingsLabel(s)}`);
}

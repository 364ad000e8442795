import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Trace } from '../../../src/simulation/traffic/trace';

const CSV = [
  'TIMESTAMP,ContextTokens,GeneratedTokens',
  '2023-11-16 18:15:46.6805900,374,44',
  '2023-11-16 18:15:50.9951690,396,109',
  '2023-11-16 18:15:48.0000000,10,1',
  '',
].join('\n');

describe('Trace', () => {
  test('reads the Azure CSV format: relative times, sorted, with the wall-clock start', () => {
    const trace = Trace.parseCsv(CSV, 'azure.csv');
    expect(trace.length).toBe(3);
    expect(trace.request(0)).toEqual({ arrivalSeconds: 0, promptTokens: 374, outputTokens: 44 });
    expect(trace.request(1).arrivalSeconds).toBeCloseTo(1.31941, 5);
    expect(trace.request(2)).toEqual({ arrivalSeconds: expect.closeTo(4.314579, 5), promptTokens: 396, outputTokens: 109 });
    expect(trace.startEpochSeconds).toBeCloseTo(Date.UTC(2023, 10, 16, 18, 15, 46) / 1000 + 0.68059, 4);
    expect(trace.durationSeconds).toBeCloseTo(4.314579, 5);
    expect(trace.rateScale).toBe(1);
  });

  test('reads a file and names it after the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-'));
    writeFileSync(join(dir, 'small.csv'), CSV);
    expect(Trace.fromCsvFile(join(dir, 'small.csv')).name).toBe('small.csv');
    expect(() => Trace.fromCsvFile(join(dir, 'missing.csv'))).toThrow(/Trace file '.*missing.csv' cannot be read/);
  });

  test('errors name the line and what is wrong', () => {
    expect(() => Trace.parseCsv('time,a,b\n1,2,3')).toThrow("Trace 'trace': the first line must be the header 'TIMESTAMP,ContextTokens,GeneratedTokens', got 'time,a,b'");
    expect(() => Trace.parseCsv('TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,12,x', 'f.csv'))
      .toThrow("Trace 'f.csv' line 2: output tokens 'x' must be a whole number from 1 to 10000000 (vLLM refuses an empty prompt and max_tokens 0)");
    expect(() => Trace.parseCsv('TIMESTAMP,ContextTokens,GeneratedTokens\n')).toThrow("Trace 'trace' has no requests");
  });

  test('a 200 MiB line of commas is refused with the line named (it is scanned, never split), and 1-token requests are read', () => {
    const commas = ','.repeat(200 * 2 ** 20);
    expect(() => Trace.parseCsv(`TIMESTAMP,ContextTokens,GeneratedTokens\n${commas}\n`, 'commas')).toThrow(
      `Trace 'commas' line 2: expected 'timestamp,promptTokens,outputTokens', got '${','.repeat(80)}'`);
    const ones = Trace.parseCsv('TIMESTAMP,ContextTokens,GeneratedTokens\n0,1,1\n0.5,1,1\n', 'ones');
    expect(ones.length).toBe(2);
  });

  test('uniform traces are evenly spaced', () => {
    const trace = Trace.uniform({ requestsPerSecond: 4, durationSeconds: 10, promptTokens: 100, outputTokens: 10 });
    expect(trace.length).toBe(40);
    expect(trace.request(5).arrivalSeconds).toBe(1.25);
    expect(trace.durationSeconds).toBe(10);
  });

  test('rate scaling: whole factors repeat every request, fractions are seeded and deterministic', () => {
    const base = Trace.uniform({ requestsPerSecond: 10, durationSeconds: 100, promptTokens: 5, outputTokens: 5 });
    const triple = base.scaleRate(3);
    expect(triple.length).toBe(3000);
    expect(triple.rateScale).toBe(3);
    expect(triple.durationSeconds).toBe(base.durationSeconds);
    const a = base.scaleRate(2.5, 7);
    const b = base.scaleRate(2.5, 7);
    expect(a.length).toBe(b.length);
    expect(a.length).toBeGreaterThan(2400);
    expect(a.length).toBeLessThan(2600);
    expect(a.request(100)).toEqual(b.request(100));
    expect(base.scaleRate(2.5, 8).request(100)).not.toEqual(a.request(100));
    expect(() => base.scaleRate(0)).toThrow('rate scale (0) must be a number > 0');
  });

  test('a diurnal envelope thins the troughs and keeps the peak', () => {
    const base = Trace.uniform({ requestsPerSecond: 10, durationSeconds: 1000, promptTokens: 5, outputTokens: 5 });
    const shaped = base.withDiurnalEnvelope({ minFactor: 0.2, seed: 3 });
    const count = (from: number, to: number, t: Trace): number => {
      let n = 0;
      for (let i = 0; i < t.length; i++) if (t.request(i).arrivalSeconds >= from && t.request(i).arrivalSeconds < to) n++;
      return n;
    };
    expect(count(450, 550, shaped)).toBeGreaterThan(900);
    expect(count(0, 50, shaped)).toBeLessThan(200);
    expect(shaped.withDiurnalEnvelope({ seed: 3 }).length).toBe(shaped.withDiurnalEnvelope({ seed: 3 }).length);
  });

  test('a flash crowd multiplies the rate inside its window only', () => {
    const base = Trace.uniform({ requestsPerSecond: 10, durationSeconds: 100, promptTokens: 5, outputTokens: 5 });
    const crowd = base.withFlashCrowd({ startSeconds: 20, durationSeconds: 10, multiplier: 4 });
    expect(crowd.length).toBe(1000 + 300);
    expect(() => base.withFlashCrowd({ startSeconds: 0, durationSeconds: 10, multiplier: 0.5 })).toThrow('flash crowd multiplier (0.5) must be >= 1');
  });
});

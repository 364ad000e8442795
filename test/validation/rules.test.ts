import { ApiObject, Testing } from 'cdk8s';
import { Check } from '../../src/errors';
import { Trace } from '../../src/simulation/traffic/trace';
import { checkInsideDirectory } from '../../src/validation/hub';
import { checkRenderedMetadata } from '../../src/validation/kubernetes-names';
import { checkInt32 } from '../../src/validation/quantities';
import { timeZoneProblem } from '../../src/validation/schedule';

// Rules that no prop combination reaches today (the props are bounded before them), checked directly so they still
// hold if the bounds move, and the trace budget of the library API.

const check = new Check("Thing 'x'");

test('int32 fields', () => {
  expect(() => checkInt32(check, 'startup probe failureThreshold', 2 ** 31, 'derived from the cold start (coldStart)'))
    .toThrow("Thing 'x': startup probe failureThreshold (2147483648) derived from the cold start (coldStart) must be a whole number from 0 to 2147483647 (an int32 field)");
  expect(() => checkInt32(check, 'n', 2 ** 31 - 1, 'it')).not.toThrow();
});

test('weight directories stay inside the cache mount', () => {
  expect(() => checkInsideDirectory(check, 'model', '/models', '/models/org/../../etc/main'))
    .toThrow("Thing 'x': model ('/models/org/../../etc/main') must stay inside /models: it is derived from the model id and revision");
  expect(() => checkInsideDirectory(check, 'model', '/models', '/models/org/name/main')).not.toThrow();
});

test('annotations over 256 KiB', () => {
  const chart = Testing.chart();
  new ApiObject(chart, 'big', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', annotations: { note: 'x'.repeat(256 * 1024) } } });
  expect(() => checkRenderedMetadata(check, chart)).toThrow("Thing 'x': rendered ConfigMap annotations ('262148 bytes') must total at most 262144 bytes (256 KiB)");
});

test("'Local' is the KEDA pod's own zone, not a zone Go loads by name from the database", () => {
  expect(timeZoneProblem('Local')).toBe('must be an IANA time zone such as Europe/Paris');
  expect(timeZoneProblem('America/Argentina/Buenos_Aires')).toBeUndefined();
  expect(timeZoneProblem('america/New_York')).toBe("must be spelt with its exact case (Go's time.LoadLocation is case-sensitive): 'America/New_York'");
});

test('traces built in code keep to the replay budget', () => {
  expect(() => Trace.uniform({ requestsPerSecond: 1000, durationSeconds: 3600, promptTokens: 10, outputTokens: 10 }))
    .toThrow('Trace.uniform: 1000 requests/s for 3600 s is 3600000 requests; one replay holds at most 2000000');
  expect(() => Trace.fromRequests([{ arrivalSeconds: 0, promptTokens: 0, outputTokens: 10 }], 'code'))
    .toThrow("Trace 'code' request 0: arrivalSeconds must be from 0 to 604800 and token counts whole numbers from 1 to 10000000, got {\"arrivalSeconds\":0,\"promptTokens\":0,\"outputTokens\":10}");
});

import { clusterScenarios, Scenario, standardScenarios } from './suite';
import { generateTrace, GeneratedTraceProps, MixSegment } from '../traffic/generated-trace';
import { TokenMix, tokenMix, TokenMixName } from '../traffic/token-mix';
import { Trace } from '../traffic/trace';

/** One member's parameters: what the training and evaluation parts never share within a family. */
export type FamilyParameters = { readonly [name: string]: number | string };

/** A scenario of the generated suite, with the family it belongs to and the parameters it was made with. */
export interface GeneratedScenario extends Scenario {
  /** The family (token mix x arrival shape). */
  readonly family: string;
  /** `train` (the sweep tunes on it) or `evaluation` (the benchmark page reports on it). */
  readonly part: 'train' | 'evaluation';
  readonly parameters: FamilyParameters;
  /** The seed of `trace`; the others are `firstSeed + 1`, ... (`Trace.withSeed`). */
  readonly firstSeed: number;
}

/** The generated suite: families shared by both parts, parameter values and seeds not. */
export interface GeneratedSuite {
  readonly train: GeneratedScenario[];
  readonly evaluation: GeneratedScenario[];
}

/** A family of the generated suite: a token mix and an arrival shape, with the members of each part. */
export interface SuiteFamily {
  readonly name: string;
  /** The token mix(es), in words. */
  readonly mix: string;
  /** The arrival shape, in words. */
  readonly shape: string;
  readonly challenge: string;
  readonly train: FamilyParameters[];
  readonly evaluation: FamilyParameters[];
  /** A member's name (unique in the suite), description and trace props. */
  member(p: FamilyParameters, mixes: (name: TokenMixName) => TokenMix): { name: string; description: string; props: Omit<GeneratedTraceProps, 'seed'> };
}

/** Seeds per generated scenario. */
export const GENERATED_SEEDS = 2;
/** The first seed of the training part (1, 2) and of the evaluation part (101, 102). */
export const TRAIN_FIRST_SEED = 1;
export const EVALUATION_FIRST_SEED = 101;

const MINUTE = 60;
const HOUR = 3600;
const num = (p: FamilyParameters, key: string): number => {
  const value = p[key];
  if (typeof value !== 'number') throw new Error(`generated suite: parameter '${key}' must be a number, got ${JSON.stringify(value)}`);
  return value;
};
const str = (p: FamilyParameters, key: string): string => String(p[key]);
/** The lowest rate of a member, requests per second, for descriptions (no float noise: 0.35 x 48 is 16.8). */
const low = (p: FamilyParameters): number => Number((num(p, 'trough') * num(p, 'peak')).toFixed(2));

const COLD_START_BURST = 'bursts shorter than a cold start: capacity asked for when a burst begins arrives after it ends, and idles through the gap';
const MIX_SHIFT = 'the work per request changes when the mix does: a request-count signal misreads it';

/**
 * The families. Rates are sized for the reference server (Llama 3.1 70B on 4 x H100, autoscaled from 1 to 16
 * replicas): every member's busiest minute needs 2-12 replicas of engine work (a test holds it to that band).
 */
export const SUITE_FAMILIES: SuiteFamily[] = [
  {
    name: 'chat-noisy-day',
    mix: 'chat (Azure conversation trace)',
    shape: 'diurnal, rate multiplier wandering per few minutes (gamma, mean 1)',
    challenge: 'a slow swing with minutes-long surges and lulls on top: capacity must follow the swing without chasing the noise',
    train: [
      { peak: 40, trough: 0.3, cv: 0.25, noiseMinutes: 5 },
      { peak: 55, trough: 0.45, cv: 0.35, noiseMinutes: 10 },
    ],
    evaluation: [
      { peak: 48, trough: 0.35, cv: 0.3, noiseMinutes: 4 },
      { peak: 62, trough: 0.5, cv: 0.2, noiseMinutes: 8 },
    ],
    member: (p, mixes) => ({
      name: `chat-noisy-day-${num(p, 'peak')}rps-cv${num(p, 'cv')}`,
      description: `2 h chat: diurnal ${low(p)}-${num(p, 'peak')} requests/s, x gamma noise (cv ${num(p, 'cv')}) per ${num(p, 'noiseMinutes')} min`,
      props: {
        name: 'chat-noisy-day',
        durationSeconds: 2 * HOUR,
        peakRequestsPerSecond: num(p, 'peak'),
        shape: { kind: 'diurnal', troughFactor: num(p, 'trough') },
        noise: { periodSeconds: num(p, 'noiseMinutes') * MINUTE, cv: num(p, 'cv') },
        mix: mixes('chat'),
      },
    }),
  },
  {
    name: 'code-bursts',
    mix: 'code (prefill-heavy)',
    shape: 'on/off bursts shorter than a cold start, silence between',
    challenge: COLD_START_BURST,
    train: [
      { rate: 40, burstSeconds: 45, gapSeconds: 240, jitter: 0.3 },
      { rate: 75, burstSeconds: 75, gapSeconds: 360, jitter: 0.2 },
    ],
    evaluation: [
      { rate: 30, burstSeconds: 60, gapSeconds: 180, jitter: 0.25 },
      { rate: 95, burstSeconds: 90, gapSeconds: 480, jitter: 0.35 },
    ],
    member: (p, mixes) => ({
      name: `code-bursts-${num(p, 'rate')}rps-${num(p, 'burstSeconds')}s`,
      description: `1.5 h code: bursts of ${num(p, 'rate')} requests/s for ${num(p, 'burstSeconds')} s, silence for ${num(p, 'gapSeconds') / MINUTE} min (+-${Math.round(num(p, 'jitter') * 100)} %)`,
      props: {
        name: 'code-bursts',
        durationSeconds: 1.5 * HOUR,
        peakRequestsPerSecond: num(p, 'rate'),
        shape: { kind: 'on-off', burstSeconds: num(p, 'burstSeconds'), gapSeconds: num(p, 'gapSeconds'), jitter: num(p, 'jitter') },
        mix: mixes('code'),
      },
    }),
  },
  {
    name: 'retrieval-peak-crowd',
    mix: 'retrieval (several-k prompts)',
    shape: 'diurnal with a flash crowd at the daily peak',
    challenge: 'a step on top of the day\'s peak in long prompts: little headroom stands, and the queue is of prefill-heavy requests',
    train: [
      { peak: 5, trough: 0.4, crowd: 2, crowdMinutes: 10 },
      { peak: 7, trough: 0.3, crowd: 1.6, crowdMinutes: 4 },
    ],
    evaluation: [
      { peak: 6, trough: 0.35, crowd: 1.8, crowdMinutes: 15 },
      { peak: 4, trough: 0.5, crowd: 2.5, crowdMinutes: 3 },
    ],
    member: (p, mixes) => ({
      name: `retrieval-peak-crowd-${num(p, 'peak')}rps-${num(p, 'crowd')}x-${num(p, 'crowdMinutes')}min`,
      description: `2 h retrieval: diurnal ${low(p)}-${num(p, 'peak')} requests/s, ${num(p, 'crowd')}x for ${num(p, 'crowdMinutes')} min at the peak`,
      props: {
        name: 'retrieval-peak-crowd',
        durationSeconds: 2 * HOUR,
        peakRequestsPerSecond: num(p, 'peak'),
        shape: { kind: 'diurnal', troughFactor: num(p, 'trough') },
        crowds: [{ at: 'peak', durationSeconds: num(p, 'crowdMinutes') * MINUTE, multiplier: num(p, 'crowd') }],
        mix: mixes('retrieval'),
      },
    }),
  },
  {
    name: 'long-context-flat',
    mix: 'long-context (8k-32k prompts)',
    shape: 'flat',
    challenge: 'few, heavy requests: a queue of a handful is already seconds of prefill, and the KV cache holds few sequences',
    train: [{ rate: 3 }],
    evaluation: [{ rate: 4.5 }],
    member: (p, mixes) => ({
      name: `long-context-flat-${num(p, 'rate')}rps`,
      description: `1 h long-context at ${num(p, 'rate')} requests/s`,
      props: { name: 'long-context-flat', durationSeconds: HOUR, peakRequestsPerSecond: num(p, 'rate'), shape: { kind: 'flat' }, mix: mixes('long-context') },
    }),
  },
  {
    name: 'long-context-day',
    mix: 'long-context (8k-32k prompts)',
    shape: 'diurnal',
    challenge: 'a slow swing in heavy requests: each replica added or removed is a large step in capacity',
    train: [{ peak: 7, trough: 0.3 }],
    evaluation: [{ peak: 6, trough: 0.45 }],
    member: (p, mixes) => ({
      name: `long-context-day-${num(p, 'peak')}rps`,
      description: `2 h long-context: diurnal ${low(p)}-${num(p, 'peak')} requests/s`,
      props: {
        name: 'long-context-day',
        durationSeconds: 2 * HOUR,
        peakRequestsPerSecond: num(p, 'peak'),
        shape: { kind: 'diurnal', troughFactor: num(p, 'trough') },
        mix: mixes('long-context'),
      },
    }),
  },
  {
    name: 'decode-ramp',
    mix: 'decode-heavy (short prompts, long generations)',
    shape: 'ramp',
    challenge: 'a climb in long generations: the waiting queue stays short while running sequences pile up, so queue-based signals lag',
    train: [{ peak: 50, trough: 0.25 }],
    evaluation: [{ peak: 60, trough: 0.35 }],
    member: (p, mixes) => ({
      name: `decode-ramp-${num(p, 'peak')}rps`,
      description: `2 h decode-heavy: a climb from ${low(p)} to ${num(p, 'peak')} requests/s`,
      props: {
        name: 'decode-ramp',
        durationSeconds: 2 * HOUR,
        peakRequestsPerSecond: num(p, 'peak'),
        shape: { kind: 'ramp', troughFactor: num(p, 'trough') },
        mix: mixes('decode-heavy'),
      },
    }),
  },
  {
    name: 'decode-trough-crowd',
    mix: 'decode-heavy (short prompts, long generations)',
    shape: 'diurnal (peak at the ends) with a flash crowd at the trough',
    challenge: 'a crowd when capacity has been scaled down for the night: the largest step relative to what is running',
    train: [{ peak: 45, trough: 0.3, crowd: 3, crowdMinutes: 10 }],
    evaluation: [{ peak: 50, trough: 0.25, crowd: 4, crowdMinutes: 6 }],
    member: (p, mixes) => ({
      name: `decode-trough-crowd-${num(p, 'crowd')}x-${num(p, 'crowdMinutes')}min`,
      description: `2 h decode-heavy: diurnal ${num(p, 'peak')} requests/s at the ends, ${low(p)} mid-trace, `
        + `${num(p, 'crowd')}x for ${num(p, 'crowdMinutes')} min at the trough`,
      props: {
        name: 'decode-trough-crowd',
        durationSeconds: 2 * HOUR,
        peakRequestsPerSecond: num(p, 'peak'),
        shape: { kind: 'diurnal', troughFactor: num(p, 'trough'), peakAtFraction: 0 },
        crowds: [{ at: 'trough', durationSeconds: num(p, 'crowdMinutes') * MINUTE, multiplier: num(p, 'crowd') }],
        mix: mixes('decode-heavy'),
      },
    }),
  },
  {
    name: 'mixed-day',
    mix: 'switches between mixes (chat, code, retrieval, decode-heavy)',
    shape: 'diurnal, the mix switching at set times',
    challenge: MIX_SHIFT,
    train: [
      { peak: 40, trough: 0.4, order: 'chat>code>retrieval>chat', switchMinutes: '30,60,90', retrievalFactor: 0.25 },
      { peak: 45, trough: 0.5, order: 'code>chat>decode-heavy>retrieval', switchMinutes: '25,55,95', retrievalFactor: 0.2 },
    ],
    evaluation: [
      { peak: 36, trough: 0.45, order: 'chat>retrieval>code>decode-heavy', switchMinutes: '20,50,80', retrievalFactor: 0.22 },
      { peak: 42, trough: 0.35, order: 'decode-heavy>chat>retrieval>code', switchMinutes: '35,65,100', retrievalFactor: 0.18 },
    ],
    member: (p, mixes) => {
      const order = str(p, 'order').split('>') as TokenMixName[];
      const switches = [0, ...str(p, 'switchMinutes').split(',').map(Number)];
      const segments: MixSegment[] = order.map((name, i) => ({
        fromSeconds: switches[i] * MINUTE,
        mix: mixes(name),
        rateFactor: name === 'retrieval' ? num(p, 'retrievalFactor') : 1,
      }));
      return {
        name: `mixed-day-${order.join('-')}`,
        description: `2 h diurnal ${low(p)}-${num(p, 'peak')} requests/s, the mix going ${order.join(' > ')} `
          + `at ${str(p, 'switchMinutes')} min (retrieval at ${num(p, 'retrievalFactor')}x the rate)`,
        props: {
          name: 'mixed-day',
          durationSeconds: 2 * HOUR,
          peakRequestsPerSecond: num(p, 'peak'),
          shape: { kind: 'diurnal', troughFactor: num(p, 'trough') },
          mix: segments,
        },
      };
    },
  },
];

/**
 * The generated suite: every family of `SUITE_FAMILIES` with its training members (seeds 1 and 2) and its
 * evaluation members (other parameter values, seeds 101 and 102), each a warm start. `conversation` is the Azure
 * conversation trace the `chat` mix samples. The nodes-autoscaled and connection-pinned variants come from
 * `clusterScenarios` applied to either part.
 */
export function generatedSuite(conversation: Trace): GeneratedSuite {
  const mixes = (name: TokenMixName): TokenMix => tokenMix(name, conversation);
  const part = (which: 'train' | 'evaluation'): GeneratedScenario[] => SUITE_FAMILIES.flatMap((family) => family[which].map((parameters) => {
    const member = family.member(parameters, mixes);
    const firstSeed = which === 'train' ? TRAIN_FIRST_SEED : EVALUATION_FIRST_SEED;
    return {
      name: member.name,
      description: member.description,
      trace: generateTrace({ ...member.props, seed: firstSeed }),
      start: 'warm',
      seeds: GENERATED_SEEDS,
      firstSeed,
      challenge: family.challenge,
      family: family.name,
      part: which,
      parameters,
    };
  }));
  return { train: part('train'), evaluation: part('evaluation') };
}

/**
 * The part the sweep tunes the defaults on: the generated training scenarios with nodes free (seeds 1 and 2), with GPU
 * nodes autoscaled and with pinned connections (seed 1), and the Azure scenarios of `standardScenarios` (seed 1).
 */
export function trainingScenarios(azure: Trace): Scenario[] {
  return [...standardScenarios(azure).map((s) => ({ ...s, seeds: 1 })), ...clusterScenarios(generatedSuite(azure).train)];
}

/** The part the benchmark page reports the defaults on, never tuned on: the generated evaluation scenarios, nodes free, autoscaled and with pinned connections. */
export function evaluationScenarios(azure: Trace): Scenario[] {
  return clusterScenarios(generatedSuite(azure).evaluation);
}

import { basename } from 'path';
import { readBounded } from './bounded-read';
import { SeededRandom } from './random';
import { ValidationError } from '../../errors';

/**
 * What one replay may hold, so a trace file or a reshaping never exhausts time or memory: the bytes read from a
 * file, the requests after every transformation, the span of arrival times, and the tokens of one request.
 */
const TRACE_LIMITS = {
  /** Bytes read from a trace file. */
  maxFileBytes: 256 * 1024 * 1024,
  /** Requests in a trace, after rate scaling and flash crowds. */
  maxRequests: 2_000_000,
  /** From the first arrival to the last, seconds (7 days). */
  maxDurationSeconds: 7 * 86_400,
  /** Prompt or output tokens of one request (the longest context any model serves today is 10M tokens). */
  maxTokensPerRequest: 10_000_000,
} as const;

/** One request of a trace. */
export interface TraceRequest {
  /** Arrival time, seconds from the start of the trace. */
  readonly arrivalSeconds: number;
  /** Prompt (context) tokens. */
  readonly promptTokens: number;
  /** Generated (output) tokens. */
  readonly outputTokens: number;
}

/** A generated trace of evenly spaced, identical requests: hand-checkable test input. */
export interface UniformTraceProps {
  /** Requests per second. */
  readonly requestsPerSecond: number;
  /** Length of the trace, seconds. */
  readonly durationSeconds: number;
  /** Prompt tokens of every request. */
  readonly promptTokens: number;
  /** Output tokens of every request. */
  readonly outputTokens: number;
  /**
   * Arrival time of the first request, seconds.
   * @default 0
   */
  readonly startSeconds?: number;
}

/** A diurnal envelope: the arrival rate follows a cosine between `minFactor` and 1. */
export interface DiurnalEnvelopeProps {
  /**
   * Period of the envelope, seconds (the trace's "day").
   * @default - the trace's duration
   */
  readonly periodSeconds?: number;
  /**
   * Rate at the trough as a fraction of the original rate, in [0, 1].
   * @default 0.2
   */
  readonly minFactor?: number;
  /**
   * Seed of the thinning.
   * @default 1
   */
  readonly seed?: number;
}

/** A flash crowd: for a while, the arrival rate is multiplied. */
export interface FlashCrowdProps {
  /** When the crowd arrives, seconds from the start. */
  readonly startSeconds: number;
  /** How long it stays, seconds. */
  readonly durationSeconds: number;
  /** Rate multiplier while it lasts (> 1). */
  readonly multiplier: number;
  /**
   * Seed of the extra arrivals.
   * @default 1
   */
  readonly seed?: number;
}

/** The shape of a generated day's rate over time. */
export enum TrafficShape {
  /** A constant rate. */
  FLAT = 'flat',
  /** A slow swing: from the trough up to the peak at mid-trace and back down (one cosine period over the trace). */
  DIURNAL = 'diurnal',
  /** A straight climb from the trough to the peak over the trace. */
  RAMP = 'ramp',
}

/** A generated trace: Poisson arrivals whose rate follows a shape, with token counts drawn from a real trace. */
export interface SyntheticTraceProps {
  /** Requests per second at the shape's peak. */
  readonly peakRequestsPerSecond: number;
  /** (prompt, output) token pairs are drawn at random from this trace's requests. */
  readonly tokenSource: Trace;
  /**
   * Length of the trace, seconds.
   * @default 7200
   */
  readonly durationSeconds?: number;
  /**
   * How the rate moves.
   * @default TrafficShape.FLAT
   */
  readonly shape?: TrafficShape;
  /**
   * The lowest rate as a fraction of the peak (DIURNAL and RAMP).
   * @default 0.3
   */
  readonly troughFactor?: number;
  /**
   * Windows in which the rate is multiplied (flash crowds); `seed` of each is ignored.
   * @default - none
   */
  readonly flashCrowds?: FlashCrowdProps[];
  /**
   * Seed of the arrivals and token draws.
   * @default 1
   */
  readonly seed?: number;
}

/** The most requests a generated trace may hold: the same budget as any other replay. */
const SYNTHETIC_REQUEST_LIMIT = TRACE_LIMITS.maxRequests;

const HEADER_PATTERN = /^\s*TIMESTAMP\s*,\s*ContextTokens\s*,\s*GeneratedTokens\s*$/i;
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/**
 * A traffic trace: arrival times with prompt and output token counts, sorted by arrival.
 *
 * Read the Azure LLM inference trace format (`TIMESTAMP,ContextTokens,GeneratedTokens`) with
 * `Trace.fromCsvFile`; derive harder workloads with the seeded, deterministic transformations.
 */
export class Trace {
  /** Bytes read from a trace file (256 MiB). */
  public static readonly MAX_FILE_BYTES = TRACE_LIMITS.maxFileBytes;
  /** Requests one trace may hold, after rate scaling and flash crowds. */
  public static readonly MAX_REQUESTS = TRACE_LIMITS.maxRequests;
  /** The longest span from the first arrival to the last, seconds (7 days). */
  public static readonly MAX_DURATION_SECONDS = TRACE_LIMITS.maxDurationSeconds;
  /** Prompt or output tokens of one request. */
  public static readonly MAX_TOKENS_PER_REQUEST = TRACE_LIMITS.maxTokensPerRequest;

  /** Reads a trace file in the Azure LLM inference trace CSV format. */
  public static fromCsvFile(path: string): Trace {
    return Trace.parseCsv(readBounded(path, TRACE_LIMITS.maxFileBytes, 'Trace file'), basename(path));
  }

  /**
   * Parses CSV text: a `TIMESTAMP,ContextTokens,GeneratedTokens` header, then one request per line.
   * Timestamps are `YYYY-MM-DD HH:MM:SS.fraction` (read as UTC) or plain seconds; times become relative to the first request.
   * @param name the trace's name in reports; default: 'trace'
   */
  public static parseCsv(text: string, name?: string): Trace {
    const label = name ?? 'trace';
    const lines = lineReader(text);
    const header = lines.next();
    if (!HEADER_PATTERN.test(header ?? '')) {
      throw new ValidationError(`Trace '${label}': the first line must be the header 'TIMESTAMP,ContextTokens,GeneratedTokens', got '${printable(header ?? '')}'`);
    }
    const arrivals: number[] = [];
    const prompts: number[] = [];
    const outputs: number[] = [];
    let format: 'date' | 'seconds' | undefined;
    for (let line = lines.next(), number = 2; line !== undefined; line = lines.next(), number++) {
      if (line.trim() === '') continue;
      const where = `Trace '${label}' line ${number}`;
      const fields = threeFields(line);
      if (fields === undefined) throw new ValidationError(`${where}: expected 'timestamp,promptTokens,outputTokens', got '${printable(line)}'`);
      const stamp = fields[0].trim();
      const lineFormat = TIMESTAMP_PATTERN.test(stamp) ? 'date' : 'seconds';
      format = format ?? lineFormat;
      if (lineFormat !== format) {
        throw new ValidationError(`${where}: timestamp '${printable(stamp)}' mixes formats: the trace started with ${format === 'date' ? 'dates (YYYY-MM-DD HH:MM:SS)' : 'plain seconds'}`);
      }
      const time = parseTimestamp(stamp);
      if (!Number.isFinite(time)) {
        throw new ValidationError(`${where}: timestamp '${printable(stamp)}' must be a real date 'YYYY-MM-DD HH:MM:SS[.fraction]' (UTC) or seconds >= 0`);
      }
      const prompt = tokenCount(fields[1], where, 'prompt tokens');
      const output = tokenCount(fields[2], where, 'output tokens');
      arrivals.push(time);
      prompts.push(prompt);
      outputs.push(output);
      if (arrivals.length > TRACE_LIMITS.maxRequests) {
        throw new ValidationError(`Trace '${label}' has more than ${TRACE_LIMITS.maxRequests} requests, the most one replay holds`);
      }
    }
    if (arrivals.length === 0) throw new ValidationError(`Trace '${label}' has no requests`);
    const trace = Trace.build(label, arrivals, prompts, outputs, 1);
    trace.startEpoch = format === 'date' ? arrivals.reduce((a, b) => Math.min(a, b), Infinity) : 0;
    return trace;
  }

  /**
   * A trace from a list of requests (sorted by arrival here).
   * @param name the trace's name in reports; default: 'trace'
   */
  public static fromRequests(requests: TraceRequest[], name?: string): Trace {
    if (requests.length === 0) throw new ValidationError(`Trace '${name ?? 'trace'}' has no requests`);
    if (requests.length > TRACE_LIMITS.maxRequests) {
      throw new ValidationError(`Trace '${name ?? 'trace'}' has ${requests.length} requests; one replay holds at most ${TRACE_LIMITS.maxRequests}`);
    }
    const max = TRACE_LIMITS.maxTokensPerRequest;
    for (const [i, r] of requests.entries()) {
      const wholeTokens = [r.promptTokens, r.outputTokens].every((t) => Number.isInteger(t) && t >= 1 && t <= max);
      if (!(r.arrivalSeconds >= 0 && r.arrivalSeconds <= TRACE_LIMITS.maxDurationSeconds) || !wholeTokens) {
        throw new ValidationError(`Trace '${name ?? 'trace'}' request ${i}: arrivalSeconds must be from 0 to ${TRACE_LIMITS.maxDurationSeconds} `
          + `and token counts whole numbers from 1 to ${max}, got ${JSON.stringify(r)}`);
      }
    }
    return Trace.build(name ?? 'trace', requests.map((r) => r.arrivalSeconds), requests.map((r) => r.promptTokens),
      requests.map((r) => r.outputTokens), 1, false);
  }

  /**
   * A generated trace (a day's shape, flash crowds) made from a seed: arrivals are a Poisson process whose rate
   * follows `shape` times any flash crowd's multiplier, drawn by thinning; token pairs come from `tokenSource`.
   */
  public static synthetic(props: SyntheticTraceProps): Trace {
    const duration = props.durationSeconds ?? 7200;
    const peak = props.peakRequestsPerSecond;
    const trough = props.troughFactor ?? 0.3;
    const shape = props.shape ?? TrafficShape.FLAT;
    const crowds = props.flashCrowds ?? [];
    const seed = props.seed ?? 1;
    const subject = 'Trace.synthetic';
    if (!(duration > 0 && duration <= 7 * 86_400)) throw new ValidationError(`${subject}: durationSeconds (${duration}) must be > 0 and at most a week`);
    if (!(trough >= 0 && trough <= 1)) throw new ValidationError(`${subject}: troughFactor (${trough}) must be from 0 to 1`);
    if (!Object.values(TrafficShape).includes(shape)) throw new ValidationError(`${subject}: shape (${shape}) must be one of ${Object.values(TrafficShape).join(', ')}`);
    for (const crowd of crowds) {
      if (!(crowd.multiplier >= 1 && crowd.multiplier <= 100) || !(crowd.durationSeconds > 0) || !(crowd.startSeconds >= 0)) {
        throw new ValidationError(`${subject}: a flash crowd's multiplier (${crowd.multiplier}) must be from 1 to 100, durationSeconds (${crowd.durationSeconds}) > 0 and startSeconds (${crowd.startSeconds}) >= 0`);
      }
    }
    const maxMultiplier = crowds.reduce((m, c) => m * c.multiplier, 1);
    const ceiling = peak * maxMultiplier;
    if (!(peak > 0) || !(ceiling * duration <= SYNTHETIC_REQUEST_LIMIT)) {
      throw new ValidationError(`${subject}: peakRequestsPerSecond (${peak}) must be > 0, and peak x flash crowds x duration at most ${SYNTHETIC_REQUEST_LIMIT} requests`);
    }
    if (props.tokenSource.length === 0) throw new ValidationError(`${subject}: tokenSource has no requests`);
    const level = (t: number): number => {
      const x = t / duration;
      const base = shape === TrafficShape.DIURNAL ? trough + (1 - trough) * 0.5 * (1 - Math.cos(2 * Math.PI * x))
        : shape === TrafficShape.RAMP ? trough + (1 - trough) * x : 1;
      return crowds.reduce((m, c) => (t >= c.startSeconds && t < c.startSeconds + c.durationSeconds ? m * c.multiplier : m), base);
    };
    const random = new SeededRandom(seed);
    const source = props.tokenSource;
    const arrivals: number[] = [];
    const prompts: number[] = [];
    const outputs: number[] = [];
    for (let t = random.exponential(1 / ceiling); t < duration; t += random.exponential(1 / ceiling)) {
      if (random.next() * maxMultiplier >= level(t)) continue;
      const pick = Math.floor(random.next() * source.length);
      arrivals.push(t);
      prompts.push(source._prompts[pick]);
      outputs.push(source._outputs[pick]);
    }
    if (arrivals.length === 0) throw new ValidationError(`${subject}: no request arrived; raise peakRequestsPerSecond or durationSeconds`);
    const trace = Trace.build(`synthetic ${shape}, peak ${peak}/s, seed ${seed}`, arrivals, prompts, outputs, 1, false);
    trace.duration = duration;
    trace.redraw = (s) => Trace.synthetic({ ...props, seed: s });
    return trace;
  }

  /**
   * A trace a generator made from a seed (`traffic/generated-trace.ts`): arrivals in seconds from 0 (sorted here),
   * whole token counts, the span it covers, and how to make it again with another seed (`withSeed`).
   * @internal
   */
  public static _generated(name: string, arrivals: number[], prompts: number[], outputs: number[], durationSeconds: number,
    redraw: (seed: number) => Trace): Trace {
    if (arrivals.length === 0) throw new ValidationError(`Trace '${name}': the generator made no requests`);
    if (arrivals.length > TRACE_LIMITS.maxRequests) {
      throw new ValidationError(`Trace '${name}' has ${arrivals.length} requests; one replay holds at most ${TRACE_LIMITS.maxRequests}`);
    }
    const trace = Trace.build(name, arrivals, prompts, outputs, 1, false);
    trace.duration = Math.max(trace.duration, durationSeconds);
    trace.redraw = redraw;
    return trace;
  }

  /** Evenly spaced identical requests, `requestsPerSecond` for `durationSeconds`. */
  public static uniform(props: UniformTraceProps): Trace {
    if (!(props.requestsPerSecond > 0) || !(props.durationSeconds > 0) || !(props.durationSeconds <= TRACE_LIMITS.maxDurationSeconds)) {
      throw new ValidationError(`Trace.uniform: requestsPerSecond (${props.requestsPerSecond}) must be > 0 and durationSeconds (${props.durationSeconds}) from 0 to ${TRACE_LIMITS.maxDurationSeconds}`);
    }
    const count = Math.floor(props.requestsPerSecond * props.durationSeconds);
    if (!(count <= TRACE_LIMITS.maxRequests)) {
      throw new ValidationError(`Trace.uniform: ${props.requestsPerSecond} requests/s for ${props.durationSeconds} s is ${count} requests; one replay holds at most ${TRACE_LIMITS.maxRequests}`);
    }
    const start = props.startSeconds ?? 0;
    const requests: TraceRequest[] = [];
    for (let i = 0; i < count; i++) {
      requests.push({ arrivalSeconds: start + i / props.requestsPerSecond, promptTokens: props.promptTokens, outputTokens: props.outputTokens });
    }
    const trace = Trace.fromRequests(requests, `uniform-${props.requestsPerSecond}rps`);
    trace.duration = Math.max(trace.duration, start + props.durationSeconds);
    return trace;
  }

  private static build(name: string, arrivals: number[], prompts: number[], outputs: number[], rateScale: number, relative = true): Trace {
    const order = arrivals.map((_, i) => i).sort((a, b) => arrivals[a] - arrivals[b] || a - b);
    const origin = relative ? arrivals[order[0]] : 0;
    const trace = new Trace(name, order.length, rateScale);
    order.forEach((source, i) => {
      trace._arrivals[i] = arrivals[source] - origin;
      trace._prompts[i] = prompts[source];
      trace._outputs[i] = outputs[source];
    });
    trace.duration = Math.max(1, trace._arrivals[order.length - 1]);
    if (!(trace.duration <= TRACE_LIMITS.maxDurationSeconds)) {
      throw new ValidationError(`Trace '${name}' spans ${trace.duration.toFixed(0)} s from its first arrival to its last; one replay covers at most `
        + `${TRACE_LIMITS.maxDurationSeconds} s (7 days): check for a far-future timestamp`);
    }
    return trace;
  }

  /** A name for reports (the file name for a file). */
  public readonly name: string;
  /** How many times the original rate this trace runs at (1 for a trace as read). */
  public readonly rateScale: number;
  /** @internal */
  public readonly _arrivals: Float64Array;
  /** @internal */
  public readonly _prompts: Int32Array;
  /** @internal */
  public readonly _outputs: Int32Array;
  private duration = 0;
  private startEpoch = 0;
  /** Redraws this trace from its source with another seed (undefined: nothing random went into it). */
  private redraw?: (seed: number) => Trace;
  /** The traffic that came before this trace, ending `history.duration` seconds after its own start: the lead-in, when set. */
  private history?: Trace;

  private constructor(name: string, length: number, rateScale: number) {
    this.name = name;
    this.rateScale = rateScale;
    this._arrivals = new Float64Array(length);
    this._prompts = new Int32Array(length);
    this._outputs = new Int32Array(length);
  }

  /** Number of requests. */
  public get length(): number {
    return this._arrivals.length;
  }

  /** Length of the trace, seconds: from the first arrival to the last (at least 1). */
  public get durationSeconds(): number {
    return this.duration;
  }

  /** Wall-clock time of the trace's start, seconds since 1970-01-01 UTC (0 when the trace has relative times). */
  public get startEpochSeconds(): number {
    return this.startEpoch;
  }

  /** The request at `index` (in arrival order). */
  public request(index: number): TraceRequest {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new ValidationError(`Trace '${this.name}': request index ${index} must be a whole number from 0 to ${this.length - 1}`);
    }
    return { arrivalSeconds: this._arrivals[index], promptTokens: this._prompts[index], outputTokens: this._outputs[index] };
  }

  /**
   * The same traffic at `factor` times the rate over the same hour: each request is repeated
   * floor(factor) times, plus once more with probability frac(factor); copies arrive at seeded
   * random times between the original arrival and the next one, so the shape of the trace is kept.
   * @param seed seed of the random arrival times; default: 1
   */
  public scaleRate(factor: number, seed = 1): Trace {
    if (!(factor > 0) || !Number.isFinite(factor)) throw new ValidationError(`Trace '${this.name}': rate scale (${factor}) must be a number > 0`);
    this.checkGrowth('rate scale', factor, this.length * factor);
    const random = new SeededRandom(seed);
    const out = this.resample((i, emit) => {
      const copies = Math.floor(factor) + (random.next() < factor - Math.floor(factor) ? 1 : 0);
      const gap = (i + 1 < this.length ? this._arrivals[i + 1] : this.duration) - this._arrivals[i];
      for (let c = 0; c < copies; c++) emit(this._arrivals[i] + (c === 0 ? 0 : random.next() * gap));
    }, this.rateScale * factor);
    out.redraw = (s) => this.withSeed(s).scaleRate(factor, s);
    return out;
  }

  /**
   * The trace thinned by a cosine envelope: rate 1x at the peak (mid-period), `minFactor` at the troughs.
   * @param props the envelope; default: see DiurnalEnvelopeProps
   */
  public withDiurnalEnvelope(props: DiurnalEnvelopeProps = {}): Trace {
    const period = props.periodSeconds ?? this.duration;
    const minFactor = props.minFactor ?? 0.2;
    if (!(period > 0) || !(minFactor >= 0 && minFactor <= 1)) {
      throw new ValidationError(`Trace '${this.name}': diurnal periodSeconds (${period}) must be > 0 and minFactor (${minFactor}) in [0, 1]`);
    }
    const random = new SeededRandom(props.seed ?? 1);
    return this.derived((s) => this.withSeed(s).withDiurnalEnvelope({ ...props, seed: s }), (i, emit) => {
      const t = this._arrivals[i];
      const envelope = minFactor + (1 - minFactor) * 0.5 * (1 - Math.cos((2 * Math.PI * t) / period));
      if (random.next() < envelope) emit(t);
    });
  }

  /** The trace with a flash crowd: inside the window, each request is repeated like `scaleRate(multiplier)`. */
  public withFlashCrowd(props: FlashCrowdProps): Trace {
    if (!(props.multiplier >= 1) || !(props.durationSeconds > 0) || !(props.startSeconds >= 0)) {
      throw new ValidationError(`Trace '${this.name}': flash crowd multiplier (${props.multiplier}) must be >= 1, durationSeconds (${props.durationSeconds}) > 0, startSeconds (${props.startSeconds}) >= 0`);
    }
    const end = props.startSeconds + props.durationSeconds;
    let inside = 0;
    for (let i = 0; i < this.length; i++) if (this._arrivals[i] >= props.startSeconds && this._arrivals[i] < end) inside++;
    this.checkGrowth('flash crowd multiplier', props.multiplier, this.length + inside * (props.multiplier - 1));
    const random = new SeededRandom(props.seed ?? 1);
    return this.derived((s) => this.withSeed(s).withFlashCrowd({ ...props, seed: s }), (i, emit) => {
      const t = this._arrivals[i];
      if (t < props.startSeconds || t >= end) return emit(t);
      const m = props.multiplier;
      const copies = Math.floor(m) + (random.next() < m - Math.floor(m) ? 1 : 0);
      const gap = (i + 1 < this.length ? Math.min(this._arrivals[i + 1], end) : end) - t;
      for (let c = 0; c < copies; c++) emit(t + (c === 0 ? 0 : random.next() * Math.max(0, gap)));
    });
  }

  /**
   * The same arrivals with the (prompt, output) token pairs shuffled among them (seeded): the same load
   * shape and token mix, without the coincidences of which request came when.
   * @param seed seed of the shuffle; default: 1
   */
  public shuffleTokens(seed = 1): Trace {
    const random = new SeededRandom(seed);
    const order = Array.from({ length: this.length }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const trace = Trace.build(`${this.name} (tokens shuffled, seed ${seed})`, Array.from(this._arrivals),
      order.map((i) => this._prompts[i]), order.map((i) => this._outputs[i]), this.rateScale, false);
    trace.duration = this.duration;
    trace.startEpoch = this.startEpoch;
    trace.redraw = (s) => this.withSeed(s).shuffleTokens(s);
    return trace;
  }

  /**
   * The same traffic drawn again with another seed: every random step that made this trace from its source
   * (rate scaling, envelopes, flash crowds, token shuffles) is redone with `seed`. A trace read from a file,
   * with nothing random in it, is returned as it is.
   */
  public withSeed(seed: number): Trace {
    if (!Number.isInteger(seed)) throw new ValidationError(`Trace '${this.name}': seed (${seed}) must be a whole number`);
    return this.redraw ? this.redraw(seed) : this;
  }

  /**
   * The trace with its own first `seconds` replayed once before it, ramped in: a lead-in request at time t is
   * kept with probability t / seconds (seeded), so the load climbs from nothing to the trace's own, and a cluster
   * scales up with it the way it would through a morning rather than from a standing start. The original
   * requests follow from index `leadInRequests`, shifted by `seconds`.
   * @internal
   */
  public _withLeadIn(seconds: number): { trace: Trace; leadInRequests: number } {
    const history = this.history;
    const leadIn = Math.min(seconds, history ? history.duration : this.duration);
    const source = history ?? this;
    // With a history, its last `leadIn` seconds as they were; without, the trace's own start, ramped in.
    const from = history ? history.duration - leadIn : 0;
    const random = new SeededRandom(1);
    const kept: number[] = [];
    for (let i = 0; i < source.length && source._arrivals[i] < from + leadIn; i++) {
      if (history ? source._arrivals[i] >= from : random.next() * leadIn < source._arrivals[i]) kept.push(i);
    }
    const count = kept.length;
    const trace = new Trace(this.name, count + this.length, this.rateScale);
    kept.forEach((index, i) => {
      trace._arrivals[i] = source._arrivals[index] - from;
      trace._prompts[i] = source._prompts[index];
      trace._outputs[i] = source._outputs[index];
    });
    for (let i = 0; i < this.length; i++) trace._arrivals[count + i] = this._arrivals[i] + leadIn;
    trace._prompts.set(this._prompts, count);
    trace._outputs.set(this._outputs, count);
    trace.duration = this.duration + leadIn;
    trace.startEpoch = this.startEpoch - leadIn;
    return { trace, leadInRequests: count };
  }

  /**
   * The trace as the continuation of `history`, which began `historySeconds` before it: a warm start then replays the
   * last minutes of the history as they were instead of a ramp into the trace's own start.
   * @internal
   */
  public _withHistory(history: Trace, historySeconds: number): Trace {
    const trace = this.resample((i, emit) => emit(this._arrivals[i]), this.rateScale);
    trace.duration = this.duration;
    trace.startEpoch = this.startEpoch;
    const past = history.resample((i, emit) => emit(history._arrivals[i]), history.rateScale);
    past.duration = historySeconds;
    trace.history = past;
    return trace;
  }

  private derived(redraw: (seed: number) => Trace, visit: (index: number, emit: (arrival: number) => void) => void): Trace {
    const trace = this.resample(visit, this.rateScale);
    trace.redraw = redraw;
    return trace;
  }

  /** Refuses a transformation whose expected request count is past the budget, before allocating anything. */
  private checkGrowth(what: string, factor: number, expected: number): void {
    if (expected > TRACE_LIMITS.maxRequests) {
      throw new ValidationError(`Trace '${this.name}': ${what} ${factor} would make about ${Math.round(expected)} requests from ${this.length}; `
        + `one replay holds at most ${TRACE_LIMITS.maxRequests} (at most ${Math.floor(TRACE_LIMITS.maxRequests / this.length)}x this trace)`);
    }
  }

  private resample(visit: (index: number, emit: (arrival: number) => void) => void, rateScale: number): Trace {
    const arrivals: number[] = [];
    const prompts: number[] = [];
    const outputs: number[] = [];
    for (let i = 0; i < this.length; i++) {
      visit(i, (arrival) => {
        arrivals.push(arrival);
        prompts.push(this._prompts[i]);
        outputs.push(this._outputs[i]);
      });
    }
    if (arrivals.length === 0) throw new ValidationError(`Trace '${this.name}': the transformation left no requests`);
    const trace = Trace.build(this.name, arrivals, prompts, outputs, rateScale, false);
    trace.duration = Math.max(trace.duration, this.duration);
    trace.startEpoch = this.startEpoch;
    return trace;
  }
}

/** Seconds since the epoch of a UTC date, or plain seconds; NaN for an impossible date (2023-02-30, 25:00). */
function parseTimestamp(text: string): number {
  const match = TIMESTAMP_PATTERN.exec(text);
  if (!match) return /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  const [y, mo, d, h, mi, s] = match.slice(1, 7).map(Number);
  const fraction = match[7];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const real = date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
    && date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s;
  return real ? date.getTime() / 1000 + (fraction ? Number(fraction) : 0) : NaN;
}

/** A token count of one request: a whole number from 1 (vLLM refuses an empty prompt and max_tokens 0) to the budget. */
function tokenCount(field: string, where: string, what: string): number {
  const text = field.trim();
  const value = /^\d{1,12}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= TRACE_LIMITS.maxTokensPerRequest)) {
    throw new ValidationError(`${where}: ${what} '${printable(text)}' must be a whole number from 1 to ${TRACE_LIMITS.maxTokensPerRequest}`
      + ' (vLLM refuses an empty prompt and max_tokens 0)');
  }
  return value;
}

/** At most 80 characters of input, control characters shown as '?', for one-line messages. */
/** The three comma-separated fields of a line, or undefined: found by scanning, so a huge line of commas costs nothing. */
function threeFields(line: string): string[] | undefined {
  const first = line.indexOf(',');
  const second = first < 0 ? -1 : line.indexOf(',', first + 1);
  if (second < 0 || line.indexOf(',', second + 1) >= 0) return undefined;
  return [line.slice(0, first), line.slice(first + 1, second), line.slice(second + 1)];
}

function printable(text: string): string {
  return text.slice(0, 80).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Lines of a text, one at a time, without splitting it all at once. */
function lineReader(text: string): { next(): string | undefined } {
  let at = 0;
  return {
    next() {
      if (at > text.length) return undefined;
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const line = text.slice(at, end > at && text[end - 1] === '\r' ? end - 1 : end);
      at = end + 1;
      return line;
    },
  };
}

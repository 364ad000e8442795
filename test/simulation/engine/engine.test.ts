import { Gpu } from '../../../src/gpu';
import { Model } from '../../../src/model';
import { engineConfig } from '../../../src/simulation/cluster/manifests';
import { EngineConfig, EngineReplica, engineStepTime, uniformStepWork } from '../../../src/simulation/engine/engine';
import { RequestBook, RequestStatus } from '../../../src/simulation/engine/request-book';
import { Trace, TraceRequest } from '../../../src/simulation/traffic/trace';
import { flatEngine } from '../helpers';

function run(config: EngineConfig, requests: TraceRequest[], closedForm = true): { book: RequestBook; engine: EngineReplica } {
  const trace = Trace.fromRequests(requests);
  const book = new RequestBook(trace, config.maxModelLen);
  const engine = new EngineReplica(config, book, 0);
  engine.closedForm = closedForm;
  for (let i = 0; i < book.count; i++) {
    engine.advance(book.arrival[i]);
    engine.enqueue(i, book.arrival[i]);
  }
  engine.advance(1e9);
  return { book, engine };
}

/** Throughput (output tokens per second) of `n` identical requests that all arrive at once. */
function throughput(config: EngineConfig, n: number, prompt: number, output: number): { tokensPerSecond: number; preemptions: number } {
  const { book, engine } = run(config, Array.from({ length: n }, () => ({ arrivalSeconds: 0, promptTokens: prompt, outputTokens: output })));
  const end = Math.max(...Array.from(book.finish));
  return { tokensPerSecond: (n * output) / end, preemptions: engine.preemptions };
}

/** Llama 3.1 8B on one H100 with the simulator's roofline, and a KV cache of `kvTokens`. */
function llama8b(kvTokens: number): EngineConfig {
  const bandwidth = 3.35e12 * 0.8;
  return {
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    kvCapacityTokens: kvTokens,
    maxModelLen: 32_768,
    weightSecondsPerStep: 16e9 / bandwidth,
    kvSecondsPerToken: 131072 / bandwidth,
    computeSecondsPerToken: (2 * 8e9) / (989e12 * 0.6),
    parallelFactor: 1,
    stepOverheadSeconds: 0.002,
  };
}

describe('EngineReplica', () => {
  test('GIVEN one request WHEN it runs THEN the first token comes after one prefill step and the last after output - 1 decode steps', () => {
    const { book } = run(flatEngine(), [{ arrivalSeconds: 1, promptTokens: 100, outputTokens: 5 }]);
    expect(book.firstToken[0]).toBeCloseTo(1.01, 12);
    expect(book.finish[0]).toBeCloseTo(1.05, 12);
    expect(book.status[0]).toBe(RequestStatus.DONE);
  });

  test('GIVEN a prompt longer than the token budget THEN it is prefilled in chunks, one step each', () => {
    const { book } = run(flatEngine({ maxNumBatchedTokens: 8192 }), [{ arrivalSeconds: 0, promptTokens: 20_000, outputTokens: 1 }]);
    // 8192 + 8192 + 3616 tokens: three steps of 10 ms.
    expect(book.firstToken[0]).toBeCloseTo(0.03, 12);
  });

  test('GIVEN more requests than --max-num-seqs THEN only that many run and the rest wait', () => {
    const config = flatEngine({ maxNumSeqs: 2 });
    const trace = Trace.fromRequests(Array.from({ length: 5 }, () => ({ arrivalSeconds: 0, promptTokens: 10, outputTokens: 100 })));
    const book = new RequestBook(trace, config.maxModelLen);
    const engine = new EngineReplica(config, book, 0);
    for (let i = 0; i < 5; i++) engine.enqueue(i, 0);
    engine.advance(0.05);
    expect(engine.numRunning).toBe(2);
    expect(engine.numWaiting).toBe(3);
  });

  test('GIVEN a prompt of --max-model-len tokens or more THEN it is rejected', () => {
    const { book } = run(flatEngine({ maxModelLen: 1000 }), [{ arrivalSeconds: 0, promptTokens: 1000, outputTokens: 5 }]);
    expect(book.status[0]).toBe(RequestStatus.FAILED);
  });

  test('the closed-form decode stretches give exactly the step-by-step result', () => {
    const requests: TraceRequest[] = [];
    let seed = 3;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let t = 0; t < 60; t += random() * 0.2) {
      requests.push({ arrivalSeconds: t, promptTokens: 1 + Math.floor(random() * 3000), outputTokens: 1 + Math.floor(random() * 400) });
    }
    const config = llama8b(60_000);
    const fast = run(config, requests, true);
    const slow = run(config, requests, false);
    expect(fast.engine.steps).toBe(slow.engine.steps);
    expect(fast.engine.preemptions).toBe(slow.engine.preemptions);
    for (let i = 0; i < requests.length; i++) {
      expect(fast.book.firstToken[i]).toBeCloseTo(slow.book.firstToken[i], 9);
      expect(fast.book.finish[i]).toBeCloseTo(slow.book.finish[i], 9);
    }
  });

  /** Requests from a fixed pseudo-random sequence: `count` arrivals over `seconds`. */
  function randomRequests(seconds: number, maxPrompt: number, maxOutput: number, seed0: number): TraceRequest[] {
    const requests: TraceRequest[] = [];
    let seed = seed0;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let t = 0; t < seconds; t += random() * 0.2) {
      requests.push({ arrivalSeconds: t, promptTokens: 1 + Math.floor(random() * maxPrompt), outputTokens: 1 + Math.floor(random() * maxOutput) });
    }
    return requests;
  }

  function expectSameRun(config: EngineConfig, requests: TraceRequest[]): void {
    const fast = run(config, requests, true);
    const slow = run(config, requests, false);
    expect(fast.engine.steps).toBe(slow.engine.steps);
    expect(fast.engine.preemptions).toBe(slow.engine.preemptions);
    expect(fast.engine.busySeconds).toBeCloseTo(slow.engine.busySeconds, 6);
    for (let i = 0; i < requests.length; i++) {
      expect(fast.book.firstToken[i]).toBeCloseTo(slow.book.firstToken[i], 9);
      expect(fast.book.finish[i]).toBeCloseTo(slow.book.finish[i], 9);
    }
  }

  /** The replay's configuration for Llama 3.1 8B on one H100: attention FLOPs, partial overlap, host time. */
  function calibrated8b(overrides: Partial<EngineConfig> = {}): EngineConfig {
    const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 });
    const limits = { maxNumSeqs: 256, maxNumBatchedTokens: 8192, kvCapacityTokens: 200_000, maxModelLen: 32_768 };
    return { ...engineConfig(model, Gpu.H100, 1, limits), ...overrides };
  }

  test('the closed form stays exact with the calibrated step time (attention FLOPs, partial overlap, host time)', () => {
    const config = calibrated8b();
    expect(config.attentionSecondsPerPair).toBeGreaterThan(0);
    expect(config.minorBoundFraction).toBeGreaterThan(0);
    expect(config.hostSecondsPerStep).toBeGreaterThan(0);
    expectSameRun(config, randomRequests(60, 6000, 400, 5));
  });

  test('the closed form stays exact across the step where a decode run turns from compute-bound to memory-bound', () => {
    // 256 sequences decoding together: compute-bound at first (256 tokens of matmuls), memory-bound as their KV grows.
    const config = calibrated8b({ kvCapacityTokens: 400_000 });
    const start = engineStepTime(config, uniformStepWork(256, 20, 0));
    expect(start.matmulSeconds + start.attentionSeconds).toBeGreaterThan(start.memorySeconds);
    const end = engineStepTime(config, uniformStepWork(256, 1000, 0));
    expect(end.memorySeconds).toBeGreaterThan(end.matmulSeconds + end.attentionSeconds);
    const requests = Array.from({ length: 256 }, (_, i) => ({ arrivalSeconds: 0, promptTokens: 20, outputTokens: 600 + (i % 7) * 60 }));
    expectSameRun(config, requests);
  });

  test('the closed form stays exact across the step where a decode run turns from memory-bound to compute-bound', () => {
    // Attention arithmetic that grows faster than the KV read (not a real GPU: it exercises the other direction).
    const config = calibrated8b({ attentionSecondsPerPair: 1e-7 });
    const start = engineStepTime(config, uniformStepWork(64, 10, 0));
    expect(start.memorySeconds).toBeGreaterThan(start.matmulSeconds + start.attentionSeconds);
    const end = engineStepTime(config, uniformStepWork(64, 2000, 0));
    expect(end.matmulSeconds + end.attentionSeconds).toBeGreaterThan(end.memorySeconds);
    const requests = Array.from({ length: 64 }, (_, i) => ({ arrivalSeconds: 0, promptTokens: 10, outputTokens: 1500 + i * 13 }));
    expectSameRun(config, requests);
    expectSameRun(config, randomRequests(30, 3000, 800, 11));
  });

  test('each replica step takes engineStepTime: a prefill with its causal attention, then a decode over its context', () => {
    const config = calibrated8b();
    const { book } = run(config, [{ arrivalSeconds: 0, promptTokens: 6000, outputTokens: 2 }]);
    const prefill = engineStepTime(config, uniformStepWork(0, 0, 6000));
    expect(prefill.attentionSeconds).toBeCloseTo(config.attentionSecondsPerPair! * (6000 * 6001) / 2, 15);
    expect(book.firstToken[0]).toBeCloseTo(prefill.stepSeconds, 12);
    const decode = engineStepTime(config, uniformStepWork(1, 6000, 0));
    expect(book.finish[0]).toBeCloseTo(prefill.stepSeconds + decode.stepSeconds, 12);
  });

  test('a mixed step costs the larger of memory and compute plus the fitted fraction of the smaller', () => {
    const config = calibrated8b();
    const t = engineStepTime(config, uniformStepWork(32, 1024, 512));
    const compute = t.matmulSeconds + t.attentionSeconds;
    expect(compute).toBeGreaterThan(t.memorySeconds);
    expect(t.gpuSeconds).toBeCloseTo(compute + config.minorBoundFraction! * t.memorySeconds + config.stepOverheadSeconds, 15);
    expect(t.stepSeconds).toBeCloseTo(t.gpuSeconds + config.hostSecondsPerStep!, 15);
  });

  test('throughput grows with the batch while the KV cache holds it, then stops growing and preemptions start', () => {
    // 8 sequences of 1,000 tokens fit in 8,000 tokens of cache.
    const config = llama8b(8_000);
    const results = [1, 2, 4, 8].map((n) => throughput(config, n, 500, 500));
    for (let i = 1; i < results.length; i++) expect(results[i].tokensPerSecond).toBeGreaterThan(results[i - 1].tokensPerSecond * 1.5);
    expect(results.every((r) => r.preemptions === 0)).toBe(true);
    const beyond = throughput(config, 32, 500, 500);
    expect(beyond.preemptions).toBeGreaterThan(0);
    expect(beyond.tokensPerSecond).toBeLessThan(results[3].tokensPerSecond * 1.2);
  });

  test('GIVEN the cache runs out THEN the latest admitted request is preempted, recomputed, and every request still completes', () => {
    const config = flatEngine({ kvCapacityTokens: 1000 });
    const requests = Array.from({ length: 4 }, (_, i) => ({ arrivalSeconds: i * 0.001, promptTokens: 200, outputTokens: 200 }));
    const { book, engine } = run(config, requests);
    expect(engine.preemptions).toBeGreaterThan(0);
    expect(book.preemptions[3]).toBeGreaterThan(0);
    expect(book.preemptions[0]).toBe(0);
    expect(Array.from(book.status).every((s) => s === RequestStatus.DONE)).toBe(true);
    expect(engine.kvTokens).toBe(0);
  });

  test('GIVEN a shutdown timeout WHEN abortAll runs THEN every held request fails', () => {
    const config = flatEngine({ maxNumSeqs: 1 });
    const trace = Trace.fromRequests([0, 0, 0].map(() => ({ arrivalSeconds: 0, promptTokens: 10, outputTokens: 1000 })));
    const book = new RequestBook(trace, config.maxModelLen);
    const engine = new EngineReplica(config, book, 0);
    for (let i = 0; i < 3; i++) engine.enqueue(i, 0);
    engine.advance(1);
    expect(engine.abortAll(1)).toBe(3);
    expect(Array.from(book.status)).toEqual([RequestStatus.FAILED, RequestStatus.FAILED, RequestStatus.FAILED]);
    expect(engine.inFlight).toBe(0);
  });

  test('the step time is the roofline: memory-bound at small batches, compute-bound for long prefills', () => {
    const config = llama8b(500_000);
    const decode = run(config, [{ arrivalSeconds: 0, promptTokens: 1, outputTokens: 2 }]);
    // One prefill step of 1 token, then one decode step: weights (16 GB) at 2.68 TB/s + 2 ms overhead each, plus KV reads.
    const weightStep = 16e9 / 2.68e12 + 0.002;
    expect(decode.book.finish[0]).toBeCloseTo(2 * weightStep, 4);
    const prefill = run(config, [{ arrivalSeconds: 0, promptTokens: 8192, outputTokens: 1 }]);
    // 8192 tokens x 2 x 8e9 FLOPs at 989 TFLOP/s x 0.6 = 0.2209 s, above the 6 ms memory time.
    expect(prefill.book.firstToken[0]).toBeCloseTo((8192 * 2 * 8e9) / (989e12 * 0.6) + 0.002, 6);
  });
});

describe('EngineReplica statistics (what /metrics shows)', () => {
  test('a request that arrives during a step is in no gauge until a later step has scheduled it', () => {
    // GIVEN an idle replica with 10 ms steps that takes a request at 0 and another at 1 ms, during the first step
    const config = flatEngine();
    const trace = Trace.fromRequests([
      { arrivalSeconds: 0, promptTokens: 100, outputTokens: 50 },
      { arrivalSeconds: 0.001, promptTokens: 100, outputTokens: 50 },
    ]);
    const book = new RequestBook(trace, config.maxModelLen);
    const engine = new EngineReplica(config, book, 0);
    engine.advance(0);
    engine.enqueue(0, 0);
    engine.advance(0.001);
    engine.enqueue(1, 0.001);
    // THEN the scheduler's queue holds request 1, but no step has ended, so nothing is published
    expect(engine.numWaiting).toBe(1);
    expect(engine.statsAt(0.001)).toMatchObject({ waiting: 0, running: 0 });
    // WHEN the first step has ended (10 ms): it was scheduled before request 1 came, so it shows 1 running, 0 waiting
    engine.advance(0.015);
    expect(engine.statsAt(0.015)).toMatchObject({ waiting: 0, running: 1, at: 0.01 });
    // AND a scrape during the third step (20-30 ms) reads the second: request 1 was scheduled at 10 ms
    engine.advance(0.025);
    expect(engine.statsAt(0.025)).toMatchObject({ waiting: 0, running: 2, at: 0.02 });
  });

  test('a saturated replica publishes the queue its last step left', () => {
    // GIVEN --max-num-seqs 2 and five requests at once
    const config = flatEngine({ maxNumSeqs: 2 });
    const trace = Trace.fromRequests(Array.from({ length: 5 }, () => ({ arrivalSeconds: 0, promptTokens: 10, outputTokens: 100 })));
    const book = new RequestBook(trace, config.maxModelLen);
    const engine = new EngineReplica(config, book, 0);
    engine.advance(0);
    for (let i = 0; i < 5; i++) engine.enqueue(i, 0);
    // WHEN scraped during the fourth step
    engine.advance(0.035);
    // THEN the gauges are those of the third step: two running, three left waiting
    const stats = engine.statsAt(0.035);
    expect(stats).toMatchObject({ waiting: 3, running: 2 });
    expect(stats.at).toBeCloseTo(0.03, 12);
  });
});

describe('EngineReplica counters (vllm:prompt_tokens_total, vllm:generation_tokens_total, vllm:request_success_total)', () => {
  interface Counters {
    readonly prompt: number;
    readonly generated: number;
    readonly success: number;
  }

  /** Replays the trace on one replica and reads its counters as scrapes at `times` read them (after `advance(t)`). */
  interface Scrapes {
    readonly counters: Counters[];
    readonly book: RequestBook;
    readonly engine: EngineReplica;
  }

  function scrapes(config: EngineConfig, trace: Trace, times: number[], closedForm = true): Scrapes {
    const book = new RequestBook(trace, config.maxModelLen);
    const engine = new EngineReplica(config, book, 0);
    engine.closedForm = closedForm;
    const counters: Counters[] = [];
    let next = 0;
    for (const t of [...times].sort((a, b) => a - b)) {
      for (; next < book.count && book.arrival[next] <= t; next++) {
        engine.advance(book.arrival[next]);
        engine.enqueue(next, book.arrival[next]);
      }
      engine.advance(t);
      const stats = engine.statsAt(t);
      counters.push({ prompt: stats.promptTokens, generated: stats.generationTokens, success: stats.requestSuccess });
    }
    return { counters, book, engine };
  }

  test('one request a second: the prompt counts with the first token, every step adds a token, the request counts when done', () => {
    // 10 ms per step: request i arrives at i s, gets its first token at i + 0.01 s and its 50th at i + 0.5 s.
    const trace = Trace.uniform({ requestsPerSecond: 1, durationSeconds: 10, promptTokens: 100, outputTokens: 50 });
    const times = [0.005, 0.015, 0.305, 0.505, 1.005, 1.015, 1.255, 9.6];
    for (const closedForm of [true, false]) {
      const { counters, engine } = scrapes(flatEngine(), trace, times, closedForm);
      expect(counters).toEqual([
        // Before the first step ends nothing is published.
        { prompt: 0, generated: 0, success: 0 },
        // The prefill step gives the first token and counts the 100 prompt tokens.
        { prompt: 100, generated: 1, success: 0 },
        // 30 steps ended by 0.305 s: the prefill and 29 decode steps (in closed form, one decode stretch).
        { prompt: 100, generated: 30, success: 0 },
        { prompt: 100, generated: 50, success: 1 },
        // Request 1 arrived at 1 s; its prefill step has not ended at 1.005 s.
        { prompt: 100, generated: 50, success: 1 },
        { prompt: 200, generated: 51, success: 1 },
        { prompt: 200, generated: 75, success: 1 },
        { prompt: 1000, generated: 500, success: 10 },
      ]);
      expect(engine.promptTokens).toBe(1000);
      expect(engine.generationTokens).toBe(500);
      expect(engine.requestSuccess).toBe(10);
    }
  });

  test('a chunked prefill counts its prompt once, in the step of its last chunk', () => {
    // 20,000 prompt tokens at 8,192 per step: three steps, the first token at 30 ms.
    const trace = Trace.fromRequests([{ arrivalSeconds: 0, promptTokens: 20_000, outputTokens: 3 }]);
    const { counters } = scrapes(flatEngine({ maxNumBatchedTokens: 8192 }), trace, [0.025, 0.035, 0.055]);
    expect(counters).toEqual([
      { prompt: 0, generated: 0, success: 0 },
      { prompt: 20_000, generated: 1, success: 0 },
      { prompt: 20_000, generated: 3, success: 1 },
    ]);
  });

  test('a preempted request is recomputed without counting its prompt again; every token is counted once', () => {
    const config = flatEngine({ kvCapacityTokens: 1000 });
    const trace = Trace.fromRequests(Array.from({ length: 4 }, (_, i) => ({ arrivalSeconds: i * 0.001, promptTokens: 200, outputTokens: 200 })));
    for (const closedForm of [true, false]) {
      const { engine } = scrapes(config, trace, [1e6], closedForm);
      expect(engine.preemptions).toBeGreaterThan(0);
      expect([engine.promptTokens, engine.generationTokens, engine.requestSuccess]).toEqual([800, 800, 4]);
    }
  });

  test('rejected and aborted requests are not successes', () => {
    const trace = Trace.fromRequests([
      { arrivalSeconds: 0, promptTokens: 1000, outputTokens: 5 }, // over --max-model-len: rejected
      { arrivalSeconds: 0, promptTokens: 10, outputTokens: 1000 }, // aborted mid-decode
    ]);
    const config = flatEngine({ maxModelLen: 1000 });
    const book = new RequestBook(trace, config.maxModelLen);
    const engine = new EngineReplica(config, book, 0);
    engine.enqueue(0, 0);
    engine.enqueue(1, 0);
    engine.advance(1.005);
    // A scrape at 1.005 s reads the 100 steps ended by then: the prefill's token and 99 decode tokens.
    expect(engine.statsAt(1.005)).toMatchObject({ promptTokens: 10, generationTokens: 100, requestSuccess: 0 });
    expect(engine.abortAll(1.005)).toBe(1);
    // The step in progress (1.00 to 1.01 s) has run too; nothing succeeded.
    expect([engine.promptTokens, engine.generationTokens, engine.requestSuccess]).toEqual([10, 101, 0]);
  });

  test('the closed-form decode stretches count what the step-by-step engine counts, at every scrape', () => {
    // Requests with preemptions and decode stretches (the KV cache holds 60,000 tokens), scraped every 0.5 s.
    const requests: TraceRequest[] = [];
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let t = 0; t < 60; t += random() * 0.2) {
      requests.push({ arrivalSeconds: t, promptTokens: 1 + Math.floor(random() * 3000), outputTokens: 1 + Math.floor(random() * 400) });
    }
    const trace = Trace.fromRequests(requests);
    const times = Array.from({ length: 400 }, (_, i) => 0.25 + i * 0.5);
    const config = llama8b(60_000);
    const fast = scrapes(config, trace, times, true);
    const slow = scrapes(config, trace, times, false);
    expect(fast.engine.preemptions).toBeGreaterThan(0);
    expect(fast.counters).toEqual(slow.counters);
    // At the end: every prompt once, every output token, every request.
    const last = fast.counters[fast.counters.length - 1];
    expect(last).toEqual({
      prompt: requests.reduce((sum, r) => sum + r.promptTokens, 0),
      generated: requests.reduce((sum, r) => sum + r.outputTokens, 0),
      success: requests.length,
    });
    expect(Array.from(fast.book.status).every((s) => s === RequestStatus.DONE)).toBe(true);
  });
});

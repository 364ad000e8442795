import { RequestBook, RequestStatus } from './request-book';
import { decodeSeries, EngineConfig, engineStepTime, prefillAttentionPairs, seriesSeconds, stepsToReach } from './step-time';
import { IntDeque, MinHeap } from '../cluster/collections';

export { engineStepTime, prefillAttentionPairs, uniformStepWork } from './step-time';
export type { EngineConfig, StepTime, StepWork } from './step-time';

/**
 * The scheduler statistics vLLM publishes after an engine step (`vllm/v1/core/sched/scheduler.py` `make_stats`,
 * called from `update_from_output`): the waiting queue left by that step's `schedule()`, the running requests
 * after finished ones were freed, and the KV-cache fill. New requests reach the scheduler only between steps
 * (`vllm/v1/engine/core.py` `_process_input_queue`), so a request that arrives during a step is in no gauge until
 * the next step has scheduled it or left it waiting. The counters are those the same step's outputs added: the
 * frontend records a step's IterationStats with its SchedulerStats (`vllm/v1/metrics/loggers.py`
 * PrometheusStatLogger.record).
 */
export interface EngineStats {
  /** `vllm:num_requests_waiting`. */
  readonly waiting: number;
  /** `vllm:num_requests_running`. */
  readonly running: number;
  /** `vllm:kv_cache_usage_perc` (0-1). */
  readonly kvUsage: number;
  /** `vllm:prompt_tokens_total` as of that step (see EngineReplica.promptTokens). */
  readonly promptTokens: number;
  /** `vllm:generation_tokens_total` as of that step. */
  readonly generationTokens: number;
  /** `vllm:request_success_total` as of that step. */
  readonly requestSuccess: number;
  /** When the step that produced them ended. */
  readonly at: number;
}

const NO_STATS: EngineStats = { waiting: 0, running: 0, kvUsage: 0, promptTokens: 0, generationTokens: 0, requestSuccess: 0, at: -Infinity };

/** Called when a request gets its first token or completes. */
export interface EngineListener {
  onFirstToken?(id: number, time: number): void;
  onFinish?(id: number, time: number): void;
}

/**
 * One vLLM replica: continuous batching with a sequence cap, a per-step token budget (chunked prefill),
 * a KV cache of fixed capacity with recompute preemption, and a roofline step time.
 *
 * Event-driven: `advance(t)` runs the steps that start before `t`. While the batch only decodes and
 * nothing can join it, many steps are taken at once in closed form (the KV read grows by one token per
 * sequence per step, so step times form an arithmetic series) until the next completion, the moment the
 * cache runs out, or `t`.
 */
export class EngineReplica {
  /** End of the step in progress (or the time the replica went idle). */
  public clock: number;
  /** End of the last step run. */
  public lastStepEnd: number;
  /** Seconds the GPUs were busy. */
  public busySeconds = 0;
  /** Preemptions so far (`vllm:num_preemptions_total`). */
  public preemptions = 0;
  /**
   * `vllm:prompt_tokens_total`: a request's whole prompt, counted once, in the step that gives its first token.
   * vLLM V1 adds `prompt_len` when the output processor sees a request's first output while it is still marked
   * prefilling (`vllm/v1/metrics/stats.py` IterationStats.update_from_output, `is_prefilling`, cleared after the
   * first output in `vllm/v1/engine/output_processor.py`): the recompute after a preemption is not counted again,
   * a chunked prefill counts nothing until its last chunk, and prefix-cache hits count (the prompt's full length;
   * this engine has no prefix cache).
   */
  public promptTokens = 0;
  /** `vllm:generation_tokens_total`: every token generated (`len(output.new_token_ids)` per step and request). */
  public generationTokens = 0;
  /**
   * `vllm:request_success_total`: requests that finished with their answer. Upstream one series per
   * `finished_reason` (stop, length, ...; `vllm/v1/metrics/loggers.py`); the replay does not tell stop from length
   * and keeps their sum. Rejected and aborted requests are not counted.
   */
  public requestSuccess = 0;
  /** Steps so far. */
  public steps = 0;
  /** Tokens in the KV cache. */
  public kvTokens = 0;
  /** Whether decode-only stretches are taken in closed form (false: one step at a time, for checking). */
  public closedForm = true;
  private readonly waiting = new IntDeque();
  private prefilling: number[] = [];
  private runOrder: number[] = [];
  private readonly completions = new MinHeap();
  private running = 0;
  private decoding = 0;
  private counter = 0;
  private waitingAfterSchedule = 0;
  private stats: EngineStats = NO_STATS;
  private previousStats: EngineStats = NO_STATS;

  public constructor(private readonly config: EngineConfig, private readonly book: RequestBook, start: number,
    private readonly listener: EngineListener = {}) {
    this.clock = start;
    this.lastStepEnd = start;
  }

  /** Requests in the scheduler's waiting queue now (what the next `schedule()` sees). */
  public get numWaiting(): number {
    return this.waiting.length;
  }

  /** Requests running now. */
  public get numRunning(): number {
    return this.running;
  }

  /** KV-cache fill now (0-1). */
  public get kvUsage(): number {
    return this.kvTokens / this.config.kvCapacityTokens;
  }

  /**
   * The gauges and counters a `/metrics` scrape at time `t` reads (after `advance(t)`): those of the last step that
   * had ended by `t` (see EngineStats).
   */
  public statsAt(t: number): EngineStats {
    return this.stats.at <= t ? this.stats : this.previousStats;
  }

  /** Requests the replica holds (waiting or running). */
  public get inFlight(): number {
    return this.running + this.waiting.length;
  }

  /** Takes a request at time `t` (after `advance(t)`). Prompts longer than `--max-model-len` are rejected. */
  public enqueue(id: number, t: number): void {
    const book = this.book;
    if (book.prompt[id] >= this.config.maxModelLen) {
      book.fail(id, t);
      this.listener.onFinish?.(id, t);
      return;
    }
    if (this.inFlight === 0 && this.clock < t) this.clock = t;
    book.status[id] = RequestStatus.WAITING;
    this.waiting.pushBack(id);
  }

  /** Runs every step that starts before `t`. */
  public advance(t: number): void {
    while (this.clock < t) {
      if (this.inFlight === 0) {
        this.clock = t;
        return;
      }
      if (this.closedForm && this.prefilling.length === 0 && this.decoding > 0 && !this.canAdmit()) {
        this.decodeRun(t);
      } else {
        this.step();
      }
    }
  }

  /** Aborts every request held (a shutdown timeout ran out); returns how many. */
  public abortAll(t: number): number {
    const book = this.book;
    let aborted = 0;
    for (const id of this.waiting.drain()) {
      book.fail(id, t);
      aborted++;
    }
    for (const id of this.runOrder) {
      const status = book.status[id];
      if (status === RequestStatus.PREFILL || status === RequestStatus.DECODE) {
        book.fail(id, t);
        aborted++;
      }
    }
    this.runOrder = [];
    this.prefilling = [];
    this.running = 0;
    this.decoding = 0;
    this.kvTokens = 0;
    return aborted;
  }

  private get kvFree(): number {
    return this.config.kvCapacityTokens - this.kvTokens;
  }

  /** Whether the head of the waiting queue could join the next step. */
  private canAdmit(): boolean {
    if (this.waiting.length === 0 || this.running >= this.config.maxNumSeqs) return false;
    const budget = this.config.maxNumBatchedTokens - this.decoding;
    if (budget <= 0) return false;
    const chunk = Math.min(this.prefillTarget(this.waiting.peekFront()), budget);
    return this.kvFree - this.decoding >= chunk;
  }

  /** Tokens a request must (re)compute before it generates: its prompt plus what it generated before a preemption. */
  private prefillTarget(id: number): number {
    return this.book.prompt[id] + this.book.generated[id];
  }

  private tokensHeld(id: number): number {
    const book = this.book;
    return book.status[id] === RequestStatus.DECODE ? book.computed[id] + (this.counter - book.decodeStart[id]) : book.computed[id];
  }

  private stepSeconds(contextTokens: number, batchTokens: number, attentionPairs: number): number {
    return engineStepTime(this.config, { contextTokens, batchTokens, attentionPairs }).stepSeconds;
  }

  /** One engine step with prefill work (or a preemption) in it. */
  private step(): void {
    const c = this.config;
    const book = this.book;
    while (this.kvFree < this.decoding) this.preemptLast();
    const decodeTokens = this.decoding;
    let budget = c.maxNumBatchedTokens - decodeTokens;
    let prefillTokens = 0;
    let prefillHeld = 0;
    for (const id of this.prefilling) prefillHeld += book.computed[id];
    // Each decode token attends to its sequence's context and to itself.
    let attentionPairs = this.kvTokens - prefillHeld + decodeTokens;
    for (const id of this.prefilling) {
      if (budget <= 0) break;
      const chunk = Math.min(this.prefillTarget(id) - book.computed[id], budget, this.kvFree - decodeTokens);
      if (chunk <= 0) continue;
      attentionPairs += prefillAttentionPairs(book.computed[id], chunk);
      book.computed[id] += chunk;
      this.kvTokens += chunk;
      prefillTokens += chunk;
      budget -= chunk;
    }
    while (budget > 0 && this.running < c.maxNumSeqs && this.waiting.length > 0) {
      const id = this.waiting.peekFront();
      const chunk = Math.min(this.prefillTarget(id), budget);
      if (this.kvFree - decodeTokens < chunk) break;
      this.waiting.popFront();
      book.status[id] = RequestStatus.PREFILL;
      book.computed[id] = chunk;
      attentionPairs += prefillAttentionPairs(0, chunk);
      this.prefilling.push(id);
      this.runOrder.push(id);
      this.running++;
      this.kvTokens += chunk;
      prefillTokens += chunk;
      budget -= chunk;
    }
    this.waitingAfterSchedule = this.waiting.length;
    if (decodeTokens + prefillTokens === 0) {
      // Nothing fits: running prefills hold the whole cache. Free room the way vLLM does.
      if (this.running > 0) this.preemptLast();
      else this.failHead();
      return;
    }
    const seconds = this.stepSeconds(this.kvTokens, decodeTokens + prefillTokens, attentionPairs);
    this.clock += seconds;
    this.busySeconds += seconds;
    this.lastStepEnd = this.clock;
    this.steps++;
    this.counter++;
    this.kvTokens += decodeTokens;
    // Every decoding sequence gets one token; a prefill that completes gets its first one (completePrefills).
    this.generationTokens += decodeTokens;
    if (prefillTokens > 0) this.completePrefills();
    this.completeDecodes();
    this.publishStats();
  }

  /** Records the statistics of the step that just ended (vLLM's `make_stats` after `update_from_output`). */
  private publishStats(): void {
    this.previousStats = this.stats;
    this.stats = {
      waiting: this.waitingAfterSchedule,
      running: this.running,
      kvUsage: this.kvUsage,
      promptTokens: this.promptTokens,
      generationTokens: this.generationTokens,
      requestSuccess: this.requestSuccess,
      at: this.clock,
    };
  }

  /** Many decode-only steps at once, until the next completion, the cache running out, or `t`. */
  private decodeRun(t: number): void {
    this.dropStaleCompletions();
    const c = this.config;
    const batch = this.decoding;
    const untilCompletion = this.completions.peekKey() - this.counter;
    const untilCacheFull = Math.floor(this.kvFree / batch);
    if (untilCompletion < 1 || untilCacheFull < 1) {
      this.step();
      return;
    }
    // Step k reads K0 + k x batch tokens of context and attends to as many (plus the batch itself):
    // memory and compute time both grow linearly with k, so the step time is linear in k on each side of
    // the one step where the larger of the two changes; the run's time is a sum of two arithmetic series.
    const series = decodeSeries(c, this.kvTokens, batch);
    const untilTime = stepsToReach(t - this.clock, series);
    const n = Math.max(1, Math.min(untilCompletion, untilCacheFull, untilTime));
    const seconds = seriesSeconds(series, n);
    this.clock += seconds;
    this.busySeconds += seconds;
    this.lastStepEnd = this.clock;
    this.steps += n;
    this.counter += n;
    this.kvTokens += n * batch;
    this.generationTokens += n * batch;
    this.waitingAfterSchedule = this.waiting.length;
    // Steps 1 to n-1 of the run finished nothing: the last of them published the same queue and batch, one token
    // fewer per sequence, and the completions before the run.
    const beforeLast: EngineStats | undefined = n > 1 ? {
      waiting: this.waitingAfterSchedule,
      running: this.running,
      kvUsage: (this.kvTokens - batch) / c.kvCapacityTokens,
      promptTokens: this.promptTokens,
      generationTokens: this.generationTokens - batch,
      requestSuccess: this.requestSuccess,
      at: this.clock - (seconds - seriesSeconds(series, n - 1)),
    } : undefined;
    this.completeDecodes();
    this.publishStats();
    if (beforeLast) this.previousStats = beforeLast;
  }

  private completePrefills(): void {
    const book = this.book;
    const still: number[] = [];
    for (const id of this.prefilling) {
      if (book.computed[id] < this.prefillTarget(id)) {
        still.push(id);
        continue;
      }
      if (Number.isNaN(book.firstToken[id])) {
        book.firstToken[id] = this.clock;
        this.promptTokens += book.prompt[id];
        this.listener.onFirstToken?.(id, this.clock);
      }
      book.generated[id] += 1;
      this.generationTokens++;
      if (book.generated[id] >= book.output[id]) {
        this.finish(id);
        continue;
      }
      book.status[id] = RequestStatus.DECODE;
      book.decodeStart[id] = this.counter;
      book.finishAt[id] = this.counter + book.output[id] - book.generated[id];
      this.completions.push(book.finishAt[id], id);
      this.decoding++;
    }
    this.prefilling = still;
  }

  private completeDecodes(): void {
    const book = this.book;
    const heap = this.completions;
    while (heap.length > 0 && heap.peekKey() <= this.counter) {
      const key = heap.peekKey();
      const id = heap.pop();
      if (book.status[id] === RequestStatus.DECODE && book.finishAt[id] === key) this.finish(id);
    }
  }

  private dropStaleCompletions(): void {
    const book = this.book;
    const heap = this.completions;
    while (heap.length > 0) {
      const id = heap.peekId();
      if (book.status[id] === RequestStatus.DECODE && book.finishAt[id] === heap.peekKey()) return;
      heap.pop();
    }
  }

  private finish(id: number): void {
    const book = this.book;
    this.kvTokens -= this.tokensHeld(id);
    if (book.status[id] === RequestStatus.DECODE) this.decoding--;
    this.running--;
    book.status[id] = RequestStatus.DONE;
    book.finish[id] = this.clock;
    this.requestSuccess++;
    this.listener.onFinish?.(id, this.clock);
    if (this.runOrder.length > 4 * this.running + 64) {
      this.runOrder = this.runOrder.filter((r) => book.status[r] === RequestStatus.PREFILL || book.status[r] === RequestStatus.DECODE);
    }
  }

  /** Recompute preemption: the most recently admitted running request loses its KV and goes back to the head of the queue. */
  private preemptLast(): void {
    const book = this.book;
    let id = -1;
    while (this.runOrder.length > 0) {
      const candidate = this.runOrder.pop()!;
      const status = book.status[candidate];
      if (status === RequestStatus.PREFILL || status === RequestStatus.DECODE) {
        id = candidate;
        break;
      }
    }
    if (id < 0) return;
    this.kvTokens -= this.tokensHeld(id);
    if (book.status[id] === RequestStatus.DECODE) {
      book.generated[id] += this.counter - book.decodeStart[id];
      this.decoding--;
    } else {
      this.prefilling = this.prefilling.filter((r) => r !== id);
    }
    book.computed[id] = 0;
    book.status[id] = RequestStatus.WAITING;
    book.preemptions[id]++;
    this.running--;
    this.preemptions++;
    this.waiting.pushFront(id);
  }

  private failHead(): void {
    const id = this.waiting.popFront();
    this.book.fail(id, this.clock);
    this.listener.onFinish?.(id, this.clock);
  }
}

import { Trace } from '../traffic/trace';

/** Where a request is. */
export enum RequestStatus {
  /** Not arrived yet. */
  PENDING = 0,
  /** Waiting at the Service for a ready pod. */
  AT_SERVICE = 1,
  /** In a replica's waiting queue. */
  WAITING = 2,
  /** Running, prefill not complete. */
  PREFILL = 3,
  /** Running, generating tokens. */
  DECODE = 4,
  /** Finished. */
  DONE = 5,
  /** Lost: rejected, or cut off by a shutdown. */
  FAILED = 6,
}

/**
 * The state of every request of a replay in flat typed arrays (one slot per request), shared by the
 * replicas: a replay of 200,000 requests allocates a few arrays instead of 200,000 objects.
 */
export class RequestBook {
  public readonly count: number;
  public readonly arrival: Float64Array;
  public readonly prompt: Int32Array;
  public readonly output: Int32Array;
  public readonly status: Uint8Array;
  /** Time of the first token (NaN until then). */
  public readonly firstToken: Float64Array;
  /** Time of completion or failure (NaN until then). */
  public readonly finish: Float64Array;
  /** Tokens whose KV is computed: during prefill the chunks so far; during decode the prefill total. */
  public readonly computed: Int32Array;
  /** Tokens generated when decoding (re)started. */
  public readonly generated: Int32Array;
  /** The replica's step counter when decoding (re)started. */
  public readonly decodeStart: Float64Array;
  /** The replica's step counter at which the request completes. */
  public readonly finishAt: Float64Array;
  /** Times the request was preempted. */
  public readonly preemptions: Int32Array;

  public constructor(trace: Trace, maxModelLen: number) {
    const n = trace.length;
    this.count = n;
    this.arrival = trace._arrivals;
    this.prompt = trace._prompts;
    // vLLM stops a generation at the context length.
    this.output = Int32Array.from(trace._outputs, (out, i) => Math.max(1, Math.min(out, maxModelLen - trace._prompts[i])));
    this.status = new Uint8Array(n);
    this.firstToken = new Float64Array(n).fill(NaN);
    this.finish = new Float64Array(n).fill(NaN);
    this.computed = new Int32Array(n);
    this.generated = new Int32Array(n);
    this.decodeStart = new Float64Array(n);
    this.finishAt = new Float64Array(n);
    this.preemptions = new Int32Array(n);
  }

  /** Marks a request lost at time `t` (it never got, or will never get, its answer). */
  public fail(id: number, t: number): void {
    this.status[id] = RequestStatus.FAILED;
    this.finish[id] = t;
  }
}

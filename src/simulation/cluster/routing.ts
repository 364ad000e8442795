import { SeededRandom } from '../traffic/random';

/**
 * How requests reach the ready pods:
 * - `round-robin`: each request to the next ready pod (an L7 gateway, or kube-proxy's IPVS `rr` scheduler with one
 *   connection per request);
 * - `random`: each request to a ready pod drawn at random (kube-proxy's default iptables mode with one connection
 *   per request: `statistic --mode random`);
 * - `connections`: clients hold `connections` keep-alive connections and send requests over them in turn; kube-proxy
 *   pins each connection to the pod it drew at random when the connection opened (conntrack keeps the DNAT), so a
 *   pod that became ready later only receives connections opened after it. A connection is reopened when its pod
 *   stops serving (vLLM closes its connections when it drains) and, with a lifetime, once it is that old.
 */
export interface RoutingSpec {
  readonly kind: 'round-robin' | 'random' | 'connections';
  /** Keep-alive connections the clients hold (`connections` only). */
  readonly connections?: number;
  /** Seconds after which a client closes and reopens a connection (`connections` only); no limit when absent. */
  readonly lifetimeSeconds?: number;
}

/** The routing of earlier releases by name, and its `--routing` spellings. */
export type Routing = 'round-robin' | 'random' | RoutingSpec;

/** Reads `round-robin`, `random` or `connections:N[:LIFETIME_SECONDS]`. */
export function parseRouting(text: string): RoutingSpec {
  if (text === 'round-robin' || text === 'random') return { kind: text };
  const match = /^connections:(\d+)(?::(\d+(?:\.\d+)?))?$/.exec(text);
  if (!match) throw new Error(`routing '${text}' must be round-robin, random or connections:N[:LIFETIME_SECONDS]`);
  const connections = Number(match[1]);
  if (!(connections >= 1 && connections <= 100_000)) throw new Error(`routing '${text}': N (${connections}) must be a whole number from 1 to 100000`);
  const lifetimeSeconds = match[2] === undefined ? undefined : Number(match[2]);
  if (lifetimeSeconds !== undefined && !(lifetimeSeconds > 0)) throw new Error(`routing '${text}': LIFETIME_SECONDS must be > 0`);
  return { kind: 'connections', connections, lifetimeSeconds };
}

/** The routing as its `--routing` spelling. */
export function routingName(routing: Routing | undefined): string {
  const spec = routingSpec(routing);
  if (spec.kind !== 'connections') return spec.kind;
  return `connections:${spec.connections}${spec.lifetimeSeconds === undefined ? '' : `:${spec.lifetimeSeconds}`}`;
}

export function routingSpec(routing: Routing | undefined): RoutingSpec {
  if (routing === undefined) return { kind: 'round-robin' };
  return typeof routing === 'string' ? { kind: routing } : routing;
}

/** A pod the router can send to: it serves while `serving` is true. */
export interface RoutablePod {
  readonly index: number;
  readonly serving: boolean;
}

/** Picks the pod for each request. Deterministic for a seed. */
export class Router<P extends RoutablePod> {
  private readonly spec: RoutingSpec;
  private readonly random?: SeededRandom;
  private next = 0;
  private readonly pinned: (P | undefined)[];
  private readonly openedAt: number[];

  public constructor(routing: Routing | undefined, seed: number) {
    this.spec = routingSpec(routing);
    if (this.spec.kind !== 'round-robin') this.random = new SeededRandom(seed);
    const count = this.spec.kind === 'connections' ? this.spec.connections ?? 1 : 0;
    this.pinned = new Array<P | undefined>(count).fill(undefined);
    this.openedAt = new Array<number>(count).fill(0);
  }

  /** The pod for a request sent at `t`, out of the ready pods (at least one). */
  public pick(ready: readonly P[], t: number): P {
    if (this.spec.kind === 'round-robin') return ready[this.next++ % ready.length];
    if (this.spec.kind === 'random') return ready[Math.floor(this.random!.next() * ready.length)];
    const connection = this.next++ % this.pinned.length;
    const pod = this.pinned[connection];
    const expired = this.spec.lifetimeSeconds !== undefined && t - this.openedAt[connection] >= this.spec.lifetimeSeconds;
    if (pod !== undefined && pod.serving && !expired) return pod;
    const opened = ready[Math.floor(this.random!.next() * ready.length)];
    this.pinned[connection] = opened;
    this.openedAt[connection] = t;
    return opened;
  }
}

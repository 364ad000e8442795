import { boundedLognormal, LognormalProps, medianFromMean, sigmaFromMedianAndMean } from './distributions';
import { SeededRandom } from './random';
import { Trace } from './trace';
import { ValidationError } from '../../errors';

const { floor } = Math;

/** One request's token counts. */
export interface TokenPair {
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/** The figures a mix is fitted to, tokens; a field is absent where the source publishes none. */
export interface PublishedTokenFigures {
  readonly promptMedian?: number;
  readonly promptMean?: number;
  readonly outputMedian?: number;
  readonly outputMean?: number;
}

/** A token mix: seeded draws of (prompt, output) pairs from a distribution fitted to published statistics. */
export interface TokenMix {
  /** A short name (`chat`, `code`, ...). */
  readonly name: string;
  /** Where the figures come from, in a line. */
  readonly source: string;
  /** The published figures the fit reproduces (the tests hold the draws to them). */
  readonly published: PublishedTokenFigures;
  /** The next pair from `random`. */
  draw(random: SeededRandom): TokenPair;
}

/** A mix whose prompt and output lengths are independent truncated lognormals. */
export interface LognormalMixProps {
  readonly name: string;
  readonly source: string;
  readonly published: PublishedTokenFigures;
  readonly prompt: LognormalProps;
  readonly output: LognormalProps;
}

/** The names of the built-in mixes. */
export const TOKEN_MIX_NAMES = ['chat', 'code', 'retrieval', 'long-context', 'decode-heavy'] as const;
/** A built-in mix's name. */
export type TokenMixName = typeof TOKEN_MIX_NAMES[number];

/** A mix of independent truncated lognormal prompt and output lengths (whole tokens, bounds within one request's budget). */
export function lognormalMix(props: LognormalMixProps): TokenMix {
  for (const [what, d] of [['prompt', props.prompt], ['output', props.output]] as const) {
    if (!(d.median > 0 && d.sigma >= 0 && Number.isInteger(d.min) && Number.isInteger(d.max) && d.min >= 1 && d.min <= d.median
      && d.median <= d.max && d.max <= Trace.MAX_TOKENS_PER_REQUEST)) {
      throw new ValidationError(`Token mix '${props.name}': ${what} needs 1 <= min <= median <= max <= ${Trace.MAX_TOKENS_PER_REQUEST} `
        + `(whole bounds) and sigma >= 0, got ${JSON.stringify(d)}`);
    }
  }
  return {
    name: props.name,
    source: props.source,
    published: props.published,
    draw: (random) => ({ promptTokens: boundedLognormal(random, props.prompt), outputTokens: boundedLognormal(random, props.output) }),
  };
}

/**
 * `chat`: pairs drawn from the Azure LLM inference trace 2023, conversation service (`data/traces/`), as recorded.
 * Splitwise (Patel et al., ISCA 2024, Fig. 3) reports its medians: 1,020 prompt tokens and 129 output tokens
 * (a bimodal output distribution); the hour shipped here has the same medians.
 */
export function chatMix(conversation: Trace): TokenMix {
  if (conversation.length === 0) throw new ValidationError('Token mix \'chat\': the conversation trace has no requests');
  return {
    name: 'chat',
    source: 'Azure LLM inference trace 2023 (conversation), sampled as recorded; medians per Splitwise (Patel et al., ISCA 2024), Fig. 3',
    published: { promptMedian: 1020, outputMedian: 129 },
    draw: (random) => {
      const pick = floor(random.next() * conversation.length);
      return { promptTokens: conversation._prompts[pick], outputTokens: conversation._outputs[pick] };
    },
  };
}

/**
 * `code`: prefill-heavy code completion. Splitwise (Patel et al., ISCA 2024, Sec. III, Fig. 3) reports the Azure
 * coding service's medians: 1,500 prompt tokens and 13 output tokens. The spreads are not published as numbers:
 * the prompt's is set so its mean is 2,000 tokens (about 2k, as secondary sources describe the code trace; not
 * confirmed from the paper), the output's sigma of 1.0 is an assumption (mean about 21 tokens).
 */
export const CODE_MIX: TokenMix = lognormalMix({
  name: 'code',
  source: 'Splitwise (Patel et al., ISCA 2024), Fig. 3: Azure coding trace medians 1,500 prompt / 13 output tokens; spreads assumed',
  published: { promptMedian: 1500, outputMedian: 13 },
  prompt: { median: 1500, sigma: sigmaFromMedianAndMean(1500, 2000), min: 8, max: 16_384 },
  output: { median: 13, sigma: 1.0, min: 1, max: 512 },
});

/**
 * `retrieval`: prefill-heavy, document-grounded requests (RAG, long-document chat). Mooncake (Qin et al., 2024,
 * Sec. 4.2, Fig. 5), the trace of Kimi's service (23,608 requests over an hour): an average input of 7,590 tokens
 * and an average output of 182 tokens. Only means are published; the log-spreads (0.6 for prompts, 0.7 for
 * outputs) are assumptions, giving medians of about 6,340 and 142 tokens.
 */
export const RETRIEVAL_MIX: TokenMix = lognormalMix({
  name: 'retrieval',
  source: 'Mooncake (Qin et al., 2024), Sec. 4.2: average input 7,590 / output 182 tokens; spreads assumed',
  published: { promptMean: 7590, outputMean: 182 },
  prompt: { median: medianFromMean(7590, 0.6), sigma: 0.6, min: 512, max: 65_536 },
  output: { median: medianFromMean(182, 0.7), sigma: 0.7, min: 4, max: 2048 },
});

/**
 * `long-context`: prompts of 8k to 32k tokens (a lognormal centred at 16,384 in log space, truncated to
 * [8,192, 32,768]). LongBench (Bai et al., ACL 2024) averages 6,711 words per English context with most tasks at
 * 5k-15k; LongBench v2 (Bai et al., 2024) spans 8k to 2M words: the band is the long end of what these benchmarks
 * send a 32k-128k-context model. Outputs follow Mooncake's long-context service (average 182 tokens, spread assumed).
 */
export const LONG_CONTEXT_MIX: TokenMix = lognormalMix({
  name: 'long-context',
  source: 'prompts 8k-32k (LongBench, Bai et al., ACL 2024: 5k-15k typical; LongBench v2: from 8k words); outputs per Mooncake (average 182 tokens)',
  published: { promptMedian: 16_384, outputMean: 182 },
  prompt: { median: 16_384, sigma: 0.5, min: 8192, max: 32_768 },
  output: { median: medianFromMean(182, 0.7), sigma: 0.7, min: 4, max: 2048 },
});

/**
 * `decode-heavy`: short prompts, long generations (writing, long answers, reasoning). Prompts follow LMSYS-Chat-1M
 * (Zheng et al., ICLR 2024, Table 1: 69.5 tokens per user prompt on average; log-spread 0.8 assumed). No published
 * production figure for long generations was confirmed: outputs are a lognormal with median 1,000 tokens and
 * log-spread 0.6 (mean about 1,200, 10th-90th percentile about 460-2,200), truncated to [128, 8,192], an assumption
 * in the range reasoning-model studies describe (thousands of generated tokens per request).
 */
export const DECODE_HEAVY_MIX: TokenMix = lognormalMix({
  name: 'decode-heavy',
  source: 'prompts per LMSYS-Chat-1M (Zheng et al., ICLR 2024), Table 1: 69.5 tokens on average; outputs median 1,000 (assumed)',
  published: { promptMean: 69.5, outputMedian: 1000 },
  prompt: { median: medianFromMean(69.5, 0.8), sigma: 0.8, min: 4, max: 2048 },
  output: { median: 1000, sigma: 0.6, min: 128, max: 8192 },
});

/** The built-in mix of this name (`chat` samples `conversation`, the Azure conversation trace). */
export function tokenMix(name: TokenMixName, conversation: Trace): TokenMix {
  switch (name) {
    case 'chat': return chatMix(conversation);
    case 'code': return CODE_MIX;
    case 'retrieval': return RETRIEVAL_MIX;
    case 'long-context': return LONG_CONTEXT_MIX;
    case 'decode-heavy': return DECODE_HEAVY_MIX;
    default: throw new ValidationError(`Token mix '${String(name)}' is not one of ${TOKEN_MIX_NAMES.join(', ')}`);
  }
}

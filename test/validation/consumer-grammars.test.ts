import { Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, QueueAutoscaler, RolloutStrategy, VllmService, VllmServiceProps } from '../../src';
import { LoadFormat } from '../../src/sizing';
import { LLAMA_8B, refusal, testChart } from '../util';

// Values checked as their consumer parses them: the API server's Secret names and keys, vLLM's argparse. One exact
// message per rule; GIVEN props, WHEN constructed, THEN the message.

const SERVER = "VllmService 'test/server'";

function server(props: Partial<VllmServiceProps> = {}, chart: Chart = testChart()): VllmService {
  return new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, ...props });
}

const secret = (name: string, key: string): kplus.SecretValue => ({ secret: kplus.Secret.fromSecretName(testChart(), 'ref', name), key });

describe('Secret references: apiKey as token, names and keys as the API server accepts them', () => {
  test('apiKey given as a plain string is a clear error, not a TypeError', () => {
    expect(refusal(() => server({ apiKey: 'sk-123' as unknown as kplus.SecretValue })))
      .toBe(`${SERVER}: apiKey ('<redacted>') must be a Secret reference { secret, key }, not a literal string: store the credential in a Kubernetes Secret`);
    expect(refusal(() => server({ apiKey: { key: 'k' } as unknown as kplus.SecretValue })))
      .toBe(`${SERVER}: apiKey ('<object>') must be a Secret reference { secret: kplus.Secret.fromSecretName(...), key }`);
  });

  test.each([
    ['apiKey', (v: kplus.SecretValue) => server({ apiKey: v })],
    ['token', (v: kplus.SecretValue) => Model.huggingFace('org/m', { parametersBillions: 1, token: v })],
  ])('%s: a Secret name or key the API server refuses', (prop, build) => {
    const subject = prop === 'token' ? "Model 'org/m'" : SERVER;
    expect(refusal(() => build(secret('My_Secret', 'key'))))
      .toBe(`${subject}: ${prop}.secret.name ('My_Secret') must be lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit (RFC 1123 subdomain)`);
    expect(refusal(() => build(secret('hf', 'my key'))))
      .toBe(`${subject}: ${prop}.key ('my key') must be letters, digits, '-', '_' and '.' (not '.' or '..'), as a Secret's data keys are`);
    expect(refusal(() => build(secret('hf', '..'))))
      .toBe(`${subject}: ${prop}.key ('..') must be letters, digits, '-', '_' and '.' (not '.' or '..'), as a Secret's data keys are`);
    expect(() => build(secret('hf.tokens', 'HF_TOKEN.v1'))).not.toThrow();
  });

  test('env.VLLM_API_KEY beside apiKey is refused: it would silently replace it', () => {
    expect(refusal(() => server({ apiKey: secret('api', 'key'), env: { VLLM_API_KEY: kplus.EnvValue.fromSecretValue(secret('other', 'key')) } })))
      .toBe(`${SERVER}: env key ('VLLM_API_KEY') is set from apiKey: env would silently replace it; set one of them`);
    expect(() => server({ env: { VLLM_API_KEY: kplus.EnvValue.fromSecretValue(secret('other', 'key')) } })).not.toThrow();
    expect(refusal(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('hf_abcdefghijklmnopqrstuvwxyz') } })))
      .toBe(`${SERVER}: env.MY_SETTING ('<redacted>') must not be a literal Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })`);
    expect(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('sk-short') } })).not.toThrow();
  });
});

describe("extraArgs as vLLM's argparse reads them", () => {
  test.each([
    ['--api-ke', 'abbreviates --api-key (vLLM\'s parser accepts unambiguous prefixes) and must not carry a credential on the command line: use apiKey: { secret, key }'],
    ['--hf-tok=abc', 'abbreviates --hf-token (vLLM\'s parser accepts unambiguous prefixes) and must not carry a credential on the command line: use Model.huggingFace(..., { token: { secret, key } })'],
    ['--max-num-seq', 'abbreviates --max-num-seqs (vLLM\'s parser accepts unambiguous prefixes) and would silently override the flag the library derives; set it with maxNumSeqs'],
    ['--gpu-memory-util=0.99', 'abbreviates --gpu-memory-utilization (vLLM\'s parser accepts unambiguous prefixes) and would silently override the flag the library derives; set it with gpuMemoryUtilization'],
    ['--max_num_seq', 'abbreviates --max-num-seqs (vLLM\'s parser accepts unambiguous prefixes) and would silently override the flag the library derives; set it with maxNumSeqs'],
    ['--max-num', 'abbreviates --max-num-seqs and --max-num-batched-tokens (vLLM\'s parser accepts unambiguous prefixes) and would silently override the flag the library derives; set it with maxNumSeqs and maxNumBatchedTokens'],
  ])('an abbreviation of a guarded flag, %s, is caught by the same guard', (arg, rule) => {
    const flag = arg.split('=')[0].replace(/_/g, '-');
    expect(refusal(() => server({ extraArgs: [arg, '1'] }))).toBe(`${SERVER}: extraArgs[0] ('${flag}') ${rule}`);
  });

  test('flags that abbreviate nothing guarded pass', () => {
    expect(() => server({ extraArgs: ['--enable-prefix-caching', '--max-loras', '4', '--seed=1'] })).not.toThrow();
  });

  test('a second positional argument is refused', () => {
    expect(refusal(() => server({ extraArgs: ['other/model'] })))
      .toBe(`${SERVER}: extraArgs[0] ('other/model') is a second positional argument: vllm serve takes one, the model, which the library passes; give a flag's value right after the flag or as --flag=value`);
    expect(refusal(() => server({ extraArgs: ['--seed=1', 'stray'] })))
      .toBe(`${SERVER}: extraArgs[1] ('stray') is a second positional argument: vllm serve takes one, the model, which the library passes; give a flag's value right after the flag or as --flag=value`);
  });

  test('NUL bytes are refused', () => {
    expect(refusal(() => server({ extraArgs: ['--chat-template=a\u0000b'] })))
      .toBe(`${SERVER}: extraArgs[0] ('--chat-template=a\\0b') must not contain a NUL byte: no process argument can carry one`);
  });

  test('--load-format: values vLLM knows only, the streamer through the prop, never beside the prop', () => {
    expect(refusal(() => server({ extraArgs: ['--load-format', 'turbo'] })))
      .toBe(`${SERVER}: extraArgs[0] ('turbo') is not a --load-format vLLM knows: one of auto, pt, safetensors, npcache, dummy, tensorizer, sharded_state, gguf, bitsandbytes, mistral, fastsafetensors, runai_streamer_sharded`);
    expect(refusal(() => server({ extraArgs: ['--load-form=runai_streamer'] })))
      .toBe(`${SERVER}: extraArgs[0] ('runai_streamer') must be set with loadFormat: LoadFormat.RUNAI_STREAMER, which sizes the pod's memory and the cold start for the streamer`);
    expect(refusal(() => server({ loadFormat: LoadFormat.AUTO, extraArgs: ['--load-format', 'safetensors'] })))
      .toBe(`${SERVER}: extraArgs[0] ('--load-format') would silently override the flag the library derives; set it with loadFormat`);
    expect(() => server({ extraArgs: ['--load-format', 'safetensors'] })).not.toThrow();
    expect(refusal(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('hf_abcdefghijklmnopqrstuvwxyz') } })))
      .toBe(`${SERVER}: env.MY_SETTING ('<redacted>') must not be a literal Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })`);
    expect(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('sk-short') } })).not.toThrow();
  });
});

describe('string enums from JavaScript never fall back silently', () => {
  test('an unknown rolloutStrategy or loadFormat is refused', () => {
    expect(refusal(() => server({ rolloutStrategy: 'RECREATE' as RolloutStrategy })))
      .toBe(`${SERVER}: rolloutStrategy ('RECREATE') must be one of RolloutStrategy.SURGE, RolloutStrategy.REPLACE`);
    expect(refusal(() => server({ loadFormat: 'fast' as LoadFormat })))
      .toBe(`${SERVER}: loadFormat ('fast') must be one of LoadFormat.AUTO, LoadFormat.RUNAI_STREAMER`);
    expect(refusal(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('hf_abcdefghijklmnopqrstuvwxyz') } })))
      .toBe(`${SERVER}: env.MY_SETTING ('<redacted>') must not be a literal Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })`);
    expect(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('sk-short') } })).not.toThrow();
  });
});

describe("prometheusAddress as Go's net/url (KEDA) reads it", () => {
  const GO = "Go's net/url, which KEDA uses,";
  function autoscaler(prometheusAddress: string): QueueAutoscaler {
    const chart = testChart();
    return new QueueAutoscaler(chart, 'autoscaler', { server: server({}, chart), maxReplicas: 4, prometheusAddress });
  }
  test.each([
    ['http:prom:9090', `must have '//' and a host after 'http:': ${GO} reads 'http:prom:9090' as a URL with no host`],
    ['http:/prom:9090', `must have '//' and a host after 'http:': ${GO} reads 'http:/prom:9090' as a URL with no host`],
    ['http:\\\\prom:9090', `must not contain '\\': ${GO} refuses it in a host and keeps it in a path, where a browser-style parser reads '/'`],
    ['http://prom:9090\\prometheus', `must not contain '\\': ${GO} refuses it in a host and keeps it in a path, where a browser-style parser reads '/'`],
    ['http://prom:0', `has port 0: a port must be from 1 to 65535 (${GO} accepts any digits, and the connection then fails)`],
    ['http://prom:65536', `has port 65536: a port must be from 1 to 65535 (${GO} accepts any digits, and the connection then fails)`],
    ['http://prom:90a', 'must be an http:// or https:// URL'],
    ['http:///prom:9090', `has an empty host: ${GO} reads no host where a browser-style parser skips the extra '/'`],
    ['http://:9090', `has an empty host: ${GO} reads no host where a browser-style parser skips the extra '/'`],
    ['http://pro%6d:9090', 'must be an http:// or https:// URL'],
    ['http://prom{x}:9090', 'must be an http:// or https:// URL'],
    ['http://prom_:9090', `has a host ('prom_') KEDA cannot dial: a DNS name of letters, digits, '-' and '.', an IPv4 address, or an IPv6 address in brackets (${GO} keeps %-escapes and other characters as written)`],
    ['http://prom:9090/a%zz', `has an invalid %-escape in its path ('%zz'): ${GO} refuses it`],
  ])('%s is refused', (address, rule) => {
    expect(refusal(() => autoscaler(address))).toBe(`QueueAutoscaler 'test/autoscaler': prometheusAddress ('${address}') ${rule}`);
  });

  test.each(['http://prometheus-operated.monitoring.svc:9090', 'HTTPS://prom.example.com/prometheus', 'http://10.0.0.1:9090', 'http://[::1]:9090', 'http://prom:65535/'])(
    '%s is accepted', (address) => {
      expect(() => autoscaler(address)).not.toThrow();
      expect(refusal(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('hf_abcdefghijklmnopqrstuvwxyz') } })))
        .toBe(`${SERVER}: env.MY_SETTING ('<redacted>') must not be a literal Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })`);
      expect(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('sk-short') } })).not.toThrow();
    });
});

describe("KEDA's thresholds as int64 milli-units", () => {
  function autoscaler(props: object): QueueAutoscaler {
    const chart = testChart();
    return new QueueAutoscaler(chart, 'autoscaler', { server: server({}, chart), maxReplicas: 4, prometheusAddress: 'http://prom:9090', ...props });
  }
  const ZERO = 'is a target of 0 milli-units once KEDA keeps int64(value x 1000), and the API server refuses an HPA with a zero target: use at least 0.001';
  const OVERFLOW = "overflows KEDA's int64 milli-units (int64(value x 1000)): use at most 9223372036854776";
  test.each([
    [{ targetQueuePerReplica: 0.0009 }, 'targetQueuePerReplica', '0.0009', ZERO],
    [{ targetQueuePerReplica: 1e16 }, 'targetQueuePerReplica', '10000000000000000', OVERFLOW],
    [{ capacityTrigger: { enabled: true, targetInFlightPerReplica: 0.0001 } }, 'capacityTrigger.targetInFlightPerReplica', '0.0001', ZERO],
    [{ capacityTrigger: { enabled: true, targetInFlightPerReplica: 1e300 } }, 'capacityTrigger.targetInFlightPerReplica', '1e+300', OVERFLOW],
    [{ kvCacheTrigger: { threshold: 0.0005 } }, 'kvCacheTrigger.threshold', '0.0005', ZERO],
  ])('%j is refused', (props, prop, value, rule) => {
    expect(refusal(() => autoscaler(props))).toBe(`QueueAutoscaler 'test/autoscaler': ${prop} (${value}) ${rule}`);
  });

  test('the smallest and a large target pass', () => {
    expect(() => autoscaler({ targetQueuePerReplica: 0.001, kvCacheTrigger: { threshold: 0.001 } })).not.toThrow();
    expect(() => autoscaler({ targetQueuePerReplica: 1e15 })).not.toThrow();
  });

  test.each(['prom..auth', '-auth', 'auth.', 'Auth'])('authentication.name %s is not an object name', (name) => {
    expect(refusal(() => autoscaler({ authentication: { name } })))
      .toBe(`QueueAutoscaler 'test/autoscaler': authentication.name ('${name}') must be lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit (RFC 1123 subdomain)`);
    expect(refusal(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('hf_abcdefghijklmnopqrstuvwxyz') } })))
      .toBe(`${SERVER}: env.MY_SETTING ('<redacted>') must not be a literal Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })`);
    expect(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('sk-short') } })).not.toThrow();
  });
});

describe('silent fallbacks: scratch, devices and tokens under neutral names', () => {
  test('a scratchSize smaller than the weights, without a ModelCache, is refused', () => {
    expect(refusal(() => server({ scratchSize: Size.gibibytes(5) })))
      .toBe(`${SERVER}: scratchSize ('5120Mi') is smaller than the weights the server downloads into it without a ModelCache (${Math.ceil(LLAMA_8B.weightsGib * 1.1 * 1024)}Mi, weights x 1.1): the kubelet would evict every replica; give at least ${Math.ceil(LLAMA_8B.weightsGib * 1.1 * 1024)}Mi or a ModelCache`);
    expect(() => server({ scratchSize: Size.gibibytes(40) })).not.toThrow();
  });

  test('CUDA_VISIBLE_DEVICES listing fewer GPUs than the replica runs on is refused', () => {
    expect(refusal(() => server({ gpuCount: 2, env: { CUDA_VISIBLE_DEVICES: kplus.EnvValue.fromValue('0') } })))
      .toBe(`${SERVER}: env.CUDA_VISIBLE_DEVICES ('0') lists 1 GPU, fewer than the 2 each replica runs on (gpuCount): the parallel ranks would find no device`);
    expect(() => server({ gpuCount: 2, env: { CUDA_VISIBLE_DEVICES: kplus.EnvValue.fromValue('0,1') } })).not.toThrow();
  });

  test.each(['sk-proj-abcdefghijklmnopqrstuvwxyz', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'])('a token-shaped value under a neutral name is refused', (value) => {
    expect(refusal(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue(value) } })))
      .toBe(`${SERVER}: env.MY_SETTING ('<redacted>') has the shape of an access token (hf_..., sk-..., ghp_...) and must not be a literal value: use EnvValue.fromSecretValue({ secret, key })`);
    expect(refusal(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('hf_abcdefghijklmnopqrstuvwxyz') } })))
      .toBe(`${SERVER}: env.MY_SETTING ('<redacted>') must not be a literal Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })`);
    expect(() => server({ env: { MY_SETTING: kplus.EnvValue.fromValue('sk-short') } })).not.toThrow();
  });
});

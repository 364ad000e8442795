import { ApiObject, Duration, JsonPatch, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, LoadFormat, Model, ModelCache, QueueAutoscaler, RolloutStrategy, VllmService, VllmServiceProps } from '../src';
import { expectValidManifests } from './schema/validate';
import { argValue, container, findOne, LLAMA_70B, LLAMA_8B, testChart } from './util';

function synthServer(props: Partial<VllmServiceProps> = {}) {
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, ...props });
  const manifests = Testing.synth(chart);
  return { chart, server, manifests, deployment: findOne(manifests, 'Deployment') };
}

describe('VllmService Deployment', () => {
  test('runs vllm serve with typed arguments', () => {
    const { deployment } = synthServer({ gpuCount: 2, tensorParallelSize: 2, maxNumSeqs: 64, extraArgs: ['--enable-prefix-caching'] });
    const vllm = container(deployment, 'vllm');
    expect(vllm.command).toEqual(['vllm', 'serve']);
    // The model is positional (`--model` is deprecated).
    expect(vllm.args[0]).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(vllm.args).not.toContain('--model');
    expect(argValue(vllm.args, '--served-model-name')).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(argValue(vllm.args, '--tensor-parallel-size')).toBe('2');
    expect(argValue(vllm.args, '--gpu-memory-utilization')).toBe('0.85');
    expect(argValue(vllm.args, '--max-num-seqs')).toBe('64');
    expect(vllm.args[vllm.args.length - 1]).toBe('--enable-prefix-caching');
    expect(vllm.image).toBe(VllmService.DEFAULT_IMAGE);
  });

  test('tensor parallel size defaults to the GPU count; a smaller one adds data parallel copies', () => {
    expect(argValue(container(synthServer({ gpuCount: 4 }).deployment, 'vllm').args, '--tensor-parallel-size')).toBe('4');
    const args = container(synthServer({ gpuCount: 4, tensorParallelSize: 1 }).deployment, 'vllm').args;
    expect(argValue(args, '--tensor-parallel-size')).toBe('1');
    expect(argValue(args, '--data-parallel-size')).toBe('4');
  });

  test('requests GPUs, selects and tolerates GPU nodes', () => {
    const { deployment } = synthServer({ gpu: Gpu.H100, gpuCount: 4, model: LLAMA_70B });
    expect(container(deployment, 'vllm').resources.limits['nvidia.com/gpu']).toBe(4);
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    expect(deployment.spec.template.spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  test('node selection and tolerations can be overridden', () => {
    const { deployment } = synthServer({
      nodeSelector: { 'cloud.google.com/gke-accelerator': 'nvidia-l4' },
      tolerations: [kplus.NodeTaintQuery.is('dedicated', 'inference')],
    });
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ 'cloud.google.com/gke-accelerator': 'nvidia-l4' });
    expect(deployment.spec.template.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'inference' }]);
  });

  test('sizes CPU and memory deliberately, /dev/shm included, with no CPU limit', () => {
    const vllm = container(synthServer({ gpuCount: 2 }).deployment, 'vllm');
    // 8 GiB + 8 GiB per GPU + 2 GiB of shared memory per GPU.
    expect(vllm.resources.requests).toMatchObject({ cpu: '8', memory: '28672Mi' });
    expect(vllm.resources.limits).toMatchObject({ 'memory': '28672Mi', 'nvidia.com/gpu': 2 });
    expect(vllm.resources.limits.cpu).toBeUndefined();
    const shm = synthServer({ gpuCount: 2 }).deployment.spec.template.spec.volumes.find((v: any) => v.name === 'dshm');
    expect(shm.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '4096Mi' });
    expect(vllm.volumeMounts).toContainEqual({ mountPath: '/dev/shm', name: 'dshm' });
  });

  test('a startup probe sized from the cold start; liveness that tolerates a busy server', () => {
    const { deployment, server } = synthServer({ model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 4 });
    const vllm = container(deployment, 'vllm');
    // 70B from the hub: 140 GB at 100 MB/s + 40 s compile + 30 s = 1470 s; window = 3 x 1400 s + 2 x 70 s.
    expect(server.coldStart.totalSeconds).toBe(1470);
    expect(deployment.metadata.annotations['vllm.cdk8s.io/cold-start-seconds']).toBe('1470');
    expect(vllm.startupProbe).toMatchObject({ httpGet: { path: '/health', port: 8000 }, periodSeconds: 10, failureThreshold: 434 });
    expect(vllm.readinessProbe).toMatchObject({ httpGet: { path: '/health', port: 8000 }, periodSeconds: 5 });
    expect(vllm.livenessProbe).toMatchObject({ periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6 });
    expect(deployment.spec.progressDeadlineSeconds).toBeGreaterThan(434 * 10);
  });

  test('drains gracefully: preStop pause, shutdown timeout, grace period covering both', () => {
    const { deployment } = synthServer({ drain: { preStopPause: Duration.seconds(5), shutdownTimeout: Duration.seconds(300) } });
    const vllm = container(deployment, 'vllm');
    expect(vllm.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    expect(argValue(vllm.args, '--shutdown-timeout')).toBe('300');
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(315);
  });

  test('runs hardened: non-root, read-only root, no capabilities, no service-account token', () => {
    const { deployment } = synthServer();
    const pod = deployment.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container(deployment, 'vllm').securityContext).toMatchObject({
      readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] },
    });
    // Writable only where vLLM writes: /tmp, its cache directory and /dev/shm.
    const writable = container(deployment, 'vllm').volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath);
    expect(writable.sort()).toEqual(['/dev/shm', '/tmp', '/var/cache/vllm']);
  });

  test('the hub token comes from the Secret reference', () => {
    const chart = testChart();
    const secret = kplus.Secret.fromSecretName(chart, 'token', 'hf-token');
    const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8, token: { secret, key: 'token' } });
    new VllmService(chart, 'server', { model, gpu: Gpu.L4 });
    const env = container(findOne(Testing.synth(chart), 'Deployment'), 'vllm').env;
    expect(env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } } });
  });

  test('fixed replicas without an autoscaler; none once an autoscaler owns it', () => {
    expect(synthServer({ replicas: 3 }).deployment.spec.replicas).toBe(3);
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    server.markHasAutoscaler();
    expect(findOne(Testing.synth(chart), 'Deployment').spec).not.toHaveProperty('replicas');
  });

  test('the Deployment is the default child, so JSON patches reach it', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    ApiObject.of(server.node.defaultChild!).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'inference'));
    expect(findOne(Testing.synth(chart), 'Deployment').spec.template.spec.priorityClassName).toBe('inference');
  });
});

describe('VllmService Service, PodDisruptionBudget and ServiceMonitor', () => {
  test('a named port 8000 selecting the pods', () => {
    const { manifests, deployment, server } = synthServer();
    const service = findOne(manifests, 'Service');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 8000 }]);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(server.serviceName).toBe(service.metadata.name);
  });

  test('a disruption budget that never blocks a drain', () => {
    const { manifests, deployment } = synthServer();
    const pdb = findOne(manifests, 'PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
  });

  test('a ServiceMonitor scraping /metrics on the named port, labelled for a serviceMonitorSelector', () => {
    const { manifests } = synthServer({ scrapeInterval: Duration.seconds(30), monitoringLabels: { release: 'kube-prometheus-stack' } });
    const monitor = findOne(manifests, 'ServiceMonitor');
    const service = findOne(manifests, 'Service');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(monitor.metadata.labels).toMatchObject({ 'release': 'kube-prometheus-stack', 'app.kubernetes.io/part-of': 'cdk8s-vllm' });
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
  });

  test('every object is schema-valid', () => {
    expectValidManifests(synthServer({ gpuCount: 2 }).manifests);
  });
});

// 1.86 GiB of weights: on a small budget the 1 GiB engine reserve leaves no KV cache although the weights fit.
const TINY = Model.huggingFace('org/tiny', { parametersBillions: 1, architecture: { layers: 16, kvHeads: 8, headDim: 64, contextLength: 131_072 } });

describe('VllmService sizing and bad input', () => {
  const SUBJECT = "VllmService 'test/server'";
  const server = (props: Partial<VllmServiceProps>) => () => new VllmService(testChart(), 'server', { model: LLAMA_8B, gpu: Gpu.L4, ...props });

  test('70B bf16 on one H100 is refused with the numbers and what to change', () => {
    expect(server({ model: LLAMA_70B, gpu: Gpu.H100 })).toThrow(
      `${SUBJECT}: gpuCount (1) is too small for the model: weights 130.4 GiB x 1.25 = 163.0 GiB exceed 1 x H100-80GB 79.6 GiB x utilization 0.85 = 67.7 GiB; use more GPUs (gpuCount), a smaller precision, or a larger GPU`);
  });

  test('70B bf16 on four H100s fits at its full context', () => {
    const { server: s } = synthServer({ model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 4 });
    expect(s.maxModelLen).toBe(131_072);
  });

  test('8B on one L4 fits with a context derived from the KV cache', () => {
    const { deployment } = synthServer();
    expect(argValue(container(deployment, 'vllm').args, '--max-model-len')).toBe('23296');
  });

  test('a max model length beyond the KV cache is refused', () => {
    expect(server({ maxModelLen: 131_072 })).toThrow(
      `${SUBJECT}: maxModelLen (131072) does not fit the KV cache: 3.19 GiB holds 26137 tokens; vLLM refuses to start. Allowed: 1 to 26137, or use more GPUs (gpuCount), a smaller precision, or a larger GPU`);
  });

  test('a max model length beyond the model context is refused', () => {
    expect(server({ model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 4, maxModelLen: 200_000 }))
      .toThrow(`${SUBJECT}: maxModelLen (200000) must be <= the model's context length (131072)`);
  });

  test.each([
    [{ gpuCount: 0 }, 'gpuCount (0) must be a whole number >= 1'],
    [{ gpuCount: 1.5 }, 'gpuCount (1.5) must be a whole number >= 1'],
    [{ replicas: -1 }, 'replicas (-1) must be a whole number from 0 to 1000'],
    [{ maxNumSeqs: 0 }, 'maxNumSeqs (0) must be a whole number from 1 to 65536'],
    [{ maxNumBatchedTokens: 0 }, 'maxNumBatchedTokens (0) must be a whole number from 1 to 1048576'],
    [{ gpuMemoryUtilization: 0 }, 'gpuMemoryUtilization (0) must be in (0, 1]'],
    [{ gpuMemoryUtilization: 1.2 }, 'gpuMemoryUtilization (1.2) must be in (0, 1]'],
    [{ gpuCount: 4, tensorParallelSize: 3 }, 'tensorParallelSize (3) must divide gpuCount (4): allowed 1, 2, 4'],
    [{ tensorParallelSize: 0 }, 'tensorParallelSize (0) must be a whole number >= 1'],
    [{ coldStart: { engineStartup: Duration.millis(2500) } }, "coldStart.engineStartup ('2.5s') must be a whole number of seconds from 0 to 86400"],
    [{ drain: { preStopPause: Duration.hours(2) } }, "drain.preStopPause ('7200s') must be a whole number of seconds from 0 to 3600"],
    [{ model: TINY, gpuMemoryUtilization: 0.11 },
      'gpuCount (1) leaves -0.39 GiB for the KV cache, less than one 256-token sequence; use more GPUs (gpuCount), a smaller precision, or a larger GPU'],
    [{ maxModelLen: 0 }, 'maxModelLen (0) must be a whole number >= 1'],
    [{ scrapeInterval: Duration.millis(500) }, "scrapeInterval ('0.5s') must be a whole number of seconds from 1 to 3600"],
    [{ drain: { preStopPause: Duration.seconds(10), shutdownTimeout: Duration.seconds(120), terminationGracePeriod: Duration.seconds(60) } },
      "drain.terminationGracePeriod ('60s') must be >= preStopPause + shutdownTimeout (130s), or in-flight generations are killed"],
    [{ drain: { shutdownTimeout: Duration.seconds(7200) } }, "drain.shutdownTimeout ('7200s') must be a whole number of seconds from 0 to 3600"],
    [{ coldStart: { loadBandwidthMBps: 0 } }, 'coldStart.loadBandwidthMBps (0) must be a number of MB/s from 1 to 1000000'],
    [{ memory: Size.gibibytes(2), sharedMemory: Size.gibibytes(4) }, "memory ('2Gi') must exceed sharedMemory (4Gi): /dev/shm counts against the pod's memory"],
    [{ env: { HF_TOKEN: kplus.EnvValue.fromValue('hf_abcdefghijklmnopqrstuvwxyz') } },
      "env.HF_TOKEN ('<redacted>') must not be a literal Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })"],
    [{ extraArgs: ['--hf-token', 'hf_abcdefghijklmnopqrstuvwxyz'] },
      "extraArgs ('<redacted>') must not carry a Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })"],
    [{ serviceName: 'Llama_API' },
      "serviceName ('Llama_API') must be a DNS-1035 label: lower-case letters, digits and -, starting with a letter, at most 63 characters"],
    [{ scratchSize: Size.mebibytes(512) }, "scratchSize ('512Mi') must be at least 1Gi"],
  ])('%j is refused', (props, message) => {
    expect(server(props as Partial<VllmServiceProps>)).toThrow(`${SUBJECT}: ${message}`);
  });

  test('a cache of another model is refused', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_70B });
    expect(() => new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, cache })).toThrow(
      `${SUBJECT}: cache ('test/weights') holds meta-llama/Llama-3.1-70B-Instruct@main, not the model served (meta-llama/Llama-3.1-8B-Instruct@main)`);
  });

  test('a cache in another namespace is refused', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_8B, namespace: 'models' });
    expect(() => new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, cache })).toThrow(
      `${SUBJECT}: cache ('test/weights') is in namespace models, not the server's (inference): a pod mounts only claims of its own namespace`);
  });

  test('several replicas on a ReadWriteOnce cache are refused', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_8B, accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE });
    expect(() => new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, cache, replicas: 2 })).toThrow(
      `${SUBJECT}: replicas (2) needs a cache every node can mount, but 'test/weights' is ReadWriteOnce: use ReadWriteMany (or ReadOnlyMany for a pre-filled claim)`);
  });
});

describe('VllmService on a real cluster', () => {
  test('writable emptyDirs carry a sizeLimit, and the container requests that ephemeral storage', () => {
    // Without a cache the weights land in the cache emptyDir: 10 GiB + 14.9 GiB x 1.1 rounded up = 27 GiB, plus 1 GiB of /tmp.
    const { deployment } = synthServer();
    const volumes = deployment.spec.template.spec.volumes;
    expect(volumes.find((v: any) => v.name === 'tmp').emptyDir).toEqual({ sizeLimit: '1024Mi' });
    expect(volumes.find((v: any) => v.name === 'cache').emptyDir).toEqual({ sizeLimit: '27648Mi' });
    const vllm = container(deployment, 'vllm');
    expect(vllm.resources.requests['ephemeral-storage']).toBe('28Gi');
    expect(vllm.resources.limits['ephemeral-storage']).toBe('28Gi');
  });

  test('with a cache the scratch holds no weights; scratchSize overrides it', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_8B });
    new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, cache });
    new VllmService(chart, 'other', { model: LLAMA_8B, gpu: Gpu.L4, scratchSize: Size.gibibytes(50) });
    const manifests = Testing.synth(chart);
    const cacheVolume = (d: any) => d.spec.template.spec.volumes.find((v: any) => v.name === 'cache').emptyDir.sizeLimit;
    expect(cacheVolume(findOne(manifests, 'Deployment', 'server'))).toBe('10240Mi');
    expect(cacheVolume(findOne(manifests, 'Deployment', 'other'))).toBe('51200Mi');
  });

  test('rollouts surge by default; REPLACE needs no spare GPU', () => {
    expect(synthServer().deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const replace = synthServer({ rolloutStrategy: RolloutStrategy.REPLACE }).deployment;
    expect(replace.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  test('the Service name can be set, and is the name the server reports', () => {
    const { manifests, server: s } = synthServer({ serviceName: 'llama' });
    expect(findOne(manifests, 'Service').metadata.name).toBe('llama');
    expect(s.serviceName).toBe('llama');
  });

  test('an API key comes from a Secret through VLLM_API_KEY', () => {
    const chart = testChart();
    const secret = kplus.Secret.fromSecretName(chart, 'key', 'llama-api-key');
    new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, apiKey: { secret, key: 'token' } });
    const vllm = container(findOne(Testing.synth(chart), 'Deployment'), 'vllm');
    expect(vllm.env).toContainEqual({ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { name: 'llama-api-key', key: 'token' } } });
    expect(vllm.args.join(' ')).not.toContain('--api-key');
  });

  test('a literal API key is refused, on the command line or in env', () => {
    expect(() => synthServer({ extraArgs: ['--api-key', 'sk-123'] })).toThrow(/extraArgs\[0\] \('--api-key'\) must not carry a credential/);
    expect(() => synthServer({ env: { VLLM_API_KEY: kplus.EnvValue.fromValue('sk-123') } })).toThrow(/env\.VLLM_API_KEY/);
  });

  test('the Run:ai streamer is a typed load format', () => {
    const args = container(synthServer({ loadFormat: LoadFormat.RUNAI_STREAMER }).deployment, 'vllm').args;
    expect(argValue(args, '--load-format')).toBe('runai_streamer');
    expect(container(synthServer().deployment, 'vllm').args).not.toContain('--load-format');
  });
});

describe('VllmService NetworkPolicy', () => {
  test('admits clients of its namespace and of the namespaces named, and the Prometheus scrape, on port 8000 only', () => {
    const { manifests, deployment } = synthServer({ networkPolicy: { clientNamespaces: ['apps'] } });
    const policy = findOne(manifests, 'NetworkPolicy');
    expect(deployment.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const port = [{ protocol: 'TCP', port: 8000 }];
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } } }], ports: port },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: port },
    ]);
    expectValidManifests(manifests);
  });

  test('none by default', () => {
    expect(synthServer().manifests.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('a bad namespace is refused', () => {
    expect(() => synthServer({ networkPolicy: { prometheusNamespace: 'Monitoring!' } })).toThrow(
      "VllmService 'test/server': networkPolicy.prometheusNamespace ('Monitoring!') must be a valid namespace name");
  });

  test('admits the scrape from the namespace of the autoscaler\'s Prometheus, not a fixed one', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, networkPolicy: {} });
    new QueueAutoscaler(chart, 'scaler', { server, maxReplicas: 2, prometheusAddress: 'http://prometheus-operated.observability.svc:9090' });
    const scrape = findOne(Testing.synth(chart), 'NetworkPolicy').spec.ingress[1];
    expect(scrape.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }]);
    const set = testChart();
    const pinned = new VllmService(set, 'server', { model: LLAMA_8B, gpu: Gpu.L4, networkPolicy: { prometheusNamespace: 'prom' } });
    new QueueAutoscaler(set, 'scaler', { server: pinned, maxReplicas: 2, prometheusAddress: 'http://prometheus-operated.observability.svc:9090' });
    expect(findOne(Testing.synth(set), 'NetworkPolicy').spec.ingress[1].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('prom');
  });
});

describe('VllmService on a real cluster', () => {
  test('a rollout waits as long as the populate Job may run, so a first download is never a failed rollout', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_70B });
    new VllmService(chart, 'server', { model: LLAMA_70B, cache, gpu: Gpu.H100, gpuCount: 4 });
    const manifests = Testing.synth(chart);
    const job = findOne(manifests, 'Job');
    const deployment = findOne(manifests, 'Deployment');
    expect(deployment.spec.progressDeadlineSeconds).toBeGreaterThan(job.spec.activeDeadlineSeconds);
  });

  test('changing only the populate Job (backoffLimit, token) leaves the servers\' pod template as it was', () => {
    const template = (cacheProps: object, token?: boolean) => {
      const chart = testChart();
      const secret = token ? { secret: kplus.Secret.fromSecretName(chart, 'token', 'hf-token'), key: 'token' } : undefined;
      const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8, token: secret });
      const cache = new ModelCache(chart, 'weights', { model, ...cacheProps });
      new VllmService(chart, 'server', { model, cache, gpu: Gpu.L4 });
      const manifests = Testing.synth(chart);
      return { job: findOne(manifests, 'Job').metadata.name, pods: JSON.stringify(findOne(manifests, 'Deployment').spec.template) };
    };
    const base = template({});
    const retried = template({ backoffLimit: 9 });
    const tokened = template({}, true);
    expect(retried.job).not.toBe(base.job);
    expect(tokened.job).not.toBe(base.job);
    expect(retried.pods).toBe(base.pods);
    expect(tokened.pods).toBe(base.pods);
  });

  test('every selector matches a label the library owns, not the app.kubernetes.io/instance that Argo CD overwrites', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, networkPolicy: {} });
    const manifests = Testing.synth(chart);
    // Argo CD's label tracking rewrites app.kubernetes.io/instance on every object it applies (not in pod templates).
    for (const object of manifests) {
      if (object.metadata?.labels?.['app.kubernetes.io/instance'] !== undefined) object.metadata.labels['app.kubernetes.io/instance'] = 'argo-app';
    }
    const service = findOne(manifests, 'Service');
    const monitor = findOne(manifests, 'ServiceMonitor');
    const pods = findOne(manifests, 'Deployment').spec.template.metadata.labels;
    const matches = (selector: { [k: string]: string }, labels: { [k: string]: string }) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    expect(matches(service.spec.selector, pods)).toBe(true);
    expect(matches(findOne(manifests, 'PodDisruptionBudget').spec.selector.matchLabels, pods)).toBe(true);
    expect(matches(findOne(manifests, 'NetworkPolicy').spec.podSelector.matchLabels, pods)).toBe(true);
    expect(Object.keys(monitor.spec.selector.matchLabels)).not.toContain('app.kubernetes.io/instance');
    expect(server.labels['vllm.cdk8s.io/server']).toBe(pods['vllm.cdk8s.io/server']);
  });

  test('HOME is on the cache volume, not the 1 GiB /tmp, so JIT caches under ~ have room', () => {
    const { deployment } = synthServer();
    const vllm = container(deployment, 'vllm');
    const home = vllm.env.find((e: any) => e.name === 'HOME').value;
    expect(home).toBe('/var/cache/vllm');
    expect(vllm.volumeMounts).toContainEqual({ mountPath: '/var/cache/vllm', name: 'cache' });
    expect(deployment.spec.template.spec.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '1024Mi' } });
  });

  test('the Run:ai streamer\'s host buffer is bounded per worker and counted in the pod\'s memory', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_70B });
    new VllmService(chart, 'server', { model: LLAMA_70B, cache, gpu: Gpu.H100, gpuCount: 4, loadFormat: LoadFormat.RUNAI_STREAMER });
    const vllm = container(findOne(Testing.synth(chart), 'Deployment'), 'vllm');
    // Unset, each of the 4 workers would allocate min(40 GB, 140 GB) = 40 GB: 149 GiB against a 48 GiB limit.
    expect(vllm.env).toContainEqual({ name: 'RUNAI_STREAMER_MEMORY_LIMIT', value: String(4 * 2 ** 30) });
    // 8 + 8 x 4 + 8 GiB of /dev/shm + 4 x 4 GiB of streamer buffers.
    expect(vllm.resources.limits.memory).toBe('65536Mi');
    expect(vllm.resources.requests.memory).toBe('65536Mi');
    const plain = container(synthServer().deployment, 'vllm');
    expect(plain.env.map((e: any) => e.name)).not.toContain('RUNAI_STREAMER_MEMORY_LIMIT');
  });

  test('data-parallel ranks each run --max-num-seqs: a pod runs their sum at once', () => {
    const { server } = synthServer({ gpuCount: 2, tensorParallelSize: 1, maxNumSeqs: 64 });
    expect(server.dataParallelSize).toBe(2);
    expect(server.maxRunningPerReplica).toBe(128);
    expect(synthServer({ maxNumSeqs: 64 }).server.maxRunningPerReplica).toBe(64);
  });
});

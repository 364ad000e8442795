"""Measure engine step times of Llama-shaped decoders on one GPU, to calibrate the replay simulator's roofline.

A minimal bf16 Llama decoder in PyTorch (random weights, GQA, RoPE, SwiGLU, RMSNorm, greedy sampling), each step
captured in a CUDA graph as vLLM does for decode. A step holds B decoding sequences that each attend to L tokens of
context, plus optionally one prefill chunk of T new tokens (causal). Shapes: Llama 3.1 8B (whole model on one GPU)
and one tensor-parallel shard (1/4) of Llama 3.1 70B: the per-GPU work of a TP-4 replica, without the all-reduces.

usage: python3 calibrate_fused_grid.py OUT.json MODEL [--quick] [--budget SECONDS] [--split-kv S]

MODEL is a key of SHAPES. Grid version: a decode grid (batch 1-256 x context 512-16384, as many as fit in memory),
prefills 256-8192 and mixed steps; points are written to OUT.json as they are measured and the run stops taking new
points after --budget seconds (default 420). The KV cache is filled with random values (not zeros).

--split-kv S: decode attention splits each sequence's context into S chunks computed in one batched kernel and
combined by their log-sum-exp (split-KV, as vLLM's FlashAttention decode does for long contexts), checked against
SDPA; it runs the SPLIT_KV_GRID (contexts of 2^k - 1 tokens, so that L + 1 divides into S chunks).

Fused variant: the work around attention is compiled by torch.compile (Inductor fuses norms, RoPE, SiLU-and-mul
and residual adds, as vLLM V1 does), attention and the KV write stay eager, and the whole step is one CUDA graph.
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

DT = torch.bfloat16
dev = torch.device("cuda")

SHAPES = {
    # name: layers, d_model, q heads (per GPU), kv heads (per GPU), head dim, ffn (per GPU), vocab (per GPU), params_b (per GPU)
    "llama-3.1-8b": dict(layers=32, d=4096, h=32, kvh=8, hd=128, ffn=14336, vocab=128256, tp=1, full_params_b=8.03),
    "llama-3.1-70b-tp4-shard": dict(layers=80, d=8192, h=16, kvh=2, hd=128, ffn=7168, vocab=128256 // 4, tp=4, full_params_b=70.6),
}


class Model:
    def __init__(self, s):
        self.s = s
        g = torch.Generator(device=dev).manual_seed(0)
        def w(*shape):
            return (torch.randn(*shape, device=dev, dtype=DT, generator=g) * 0.02)
        d, h, kvh, hd, ffn = s["d"], s["h"], s["kvh"], s["hd"], s["ffn"]
        self.layers = []
        for _ in range(s["layers"]):
            self.layers.append(dict(
                n1=torch.ones(d, device=dev, dtype=DT), n2=torch.ones(d, device=dev, dtype=DT),
                wqkv=w(d, (h + 2 * kvh) * hd), wo=w(h * hd, d), w13=w(d, 2 * ffn), w2=w(ffn, d)))
        self.emb = w(s["vocab"], d)
        self.head = w(d, s["vocab"])
        self.nf = torch.ones(d, device=dev, dtype=DT)
        self.weight_bytes = sum(t.numel() * t.element_size() for L in self.layers for t in L.values()) \
            + self.head.numel() * 2  # embedding rows read are negligible
        self.kv_bytes_per_token = 2 * s["layers"] * kvh * hd * 2
        self.param_count = sum(t.numel() for L in self.layers for k, t in L.items() if k.startswith("w")) + self.head.numel()


def rms(x, wt):
    return F.rms_norm(x, (x.shape[-1],), wt, 1e-5)


def rope(x, cos, sin):
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


def _pre(x, n1, wqkv, cos, sin, h, kvh, hd):
    N = x.shape[0]
    y = rms(x, n1)
    qkv = y @ wqkv
    q, k, v = qkv.split([h * hd, kvh * hd, kvh * hd], dim=-1)
    q = rope(q.view(N, h, hd), cos, sin)
    k = rope(k.view(N, kvh, hd), cos, sin)
    return q, k, v.view(N, kvh, hd)


def _post(x, a, wo, n2, w13, w2):
    x = x + a @ wo
    y = rms(x, n2)
    gt, up = (y @ w13).chunk(2, dim=-1)
    return x + (F.silu(gt) * up) @ w2


torch._dynamo.config.cache_size_limit = 256
PRE = torch.compile(_pre, dynamic=False, fullgraph=True)
POST = torch.compile(_post, dynamic=False, fullgraph=True)


SPLIT_KV = int(sys.argv[sys.argv.index("--split-kv") + 1]) if "--split-kv" in sys.argv else 1


def split_kv_attention(q, k, v, S):
    """Attention of q (B, kvh, grp, hd) over k, v (B, kvh, N, hd) with the N keys split into S chunks: every
    (sequence, KV head, chunk) is its own batch entry, so B x kvh x S blocks share the work; the partial results are
    combined by their log-sum-exp."""
    B, kvh, grp, hd = q.shape
    N = k.shape[2]
    c = N // S
    kc = k.reshape(B * kvh, S, c, hd)
    vc = v.reshape(B * kvh, S, c, hd)
    qc = q.reshape(B * kvh, 1, grp, hd)
    s = torch.matmul(qc, kc.transpose(-1, -2)).float() * (hd ** -0.5)  # (B kvh, S, grp, c)
    mx = s.amax(-1, keepdim=True)
    p = torch.exp(s - mx)
    den = p.sum(-1, keepdim=True)  # (B kvh, S, grp, 1)
    o = torch.matmul(p.to(v.dtype), vc).float()  # (B kvh, S, grp, hd)
    g = mx.amax(1, keepdim=True)
    w = torch.exp(mx - g)
    out = (o * w).sum(1) / (den * w).sum(1)
    return out.to(q.dtype).reshape(B, kvh, grp, hd)


def check_split_kv():
    """The split attention computes the same function as SDPA (bf16 tolerance), on fresh random data."""
    for B, kvh, grp, N, S in ((1, 8, 4, 4096, 16), (3, 2, 8, 8192, 32)):
        q = torch.randn(B, kvh, grp, 128, device=dev, dtype=DT)
        k = torch.randn(B, kvh, N, 128, device=dev, dtype=DT)
        v = torch.randn(B, kvh, N, 128, device=dev, dtype=DT)
        ref = F.scaled_dot_product_attention(q.double(), k.double(), v.double())
        err = (split_kv_attention(q, k, v, S).double() - ref).norm() / ref.norm()
        print(f"split-kv check B={B} kvh={kvh} N={N} S={S}: relative error {err.item():.2e}", flush=True)
        assert err.item() < 2e-2 and not torch.isnan(err), err


def make_step(m, B, L, T):
    """Static buffers and a step function for B decodes over L context plus one prefill of T tokens."""
    s = m.s
    h, kvh, hd = s["h"], s["kvh"], s["hd"]
    grp = h // kvh
    N = B + T
    ids = torch.randint(0, s["vocab"], (N,), device=dev)
    pos = torch.cat([torch.full((B,), L, device=dev), torch.arange(T, device=dev)]).float()
    inv = 1.0 / (500000 ** (torch.arange(0, hd, 2, device=dev).float() / hd))
    ang = pos[:, None] * inv[None, :]
    cos, sin = ang.cos().to(DT)[:, None, :], ang.sin().to(DT)[:, None, :]
    caches = [(torch.empty(B, kvh, L + 1, hd, device=dev, dtype=DT).normal_(), torch.empty(B, kvh, L + 1, hd, device=dev, dtype=DT).normal_())
              for _ in m.layers] if B > 0 else None
    last = torch.cat([torch.arange(B, device=dev), torch.tensor([N - 1], device=dev)]) if T > 0 else torch.arange(B, device=dev)

    def step():
        x = F.embedding(ids, m.emb)
        for li, Lw in enumerate(m.layers):
            q, k, v = PRE(x, Lw["n1"], Lw["wqkv"], cos, sin, h, kvh, hd)
            outs = []
            if B > 0:
                kc, vc = caches[li]
                kc[:, :, L] = k[:B]
                vc[:, :, L] = v[:B]
                qd = q[:B].view(B, kvh, grp, hd)
                od = split_kv_attention(qd, kc, vc, SPLIT_KV) if SPLIT_KV > 1 else F.scaled_dot_product_attention(qd, kc, vc)
                outs.append(od.reshape(B, h * hd))
            if T > 0:
                qp = q[B:].transpose(0, 1)[None]
                kp = k[B:].transpose(0, 1)[None].repeat_interleave(grp, dim=1)
                vp = v[B:].transpose(0, 1)[None].repeat_interleave(grp, dim=1)
                op = F.scaled_dot_product_attention(qp, kp, vp, is_causal=True)
                outs.append(op[0].transpose(0, 1).reshape(T, h * hd))
            a = outs[0] if len(outs) == 1 else torch.cat(outs)
            x = POST(x, a, Lw["wo"], Lw["n2"], Lw["w13"], Lw["w2"])
        logits = rms(x[last], m.nf) @ m.head
        return logits.argmax(-1)

    return step, caches


def time_step(m, B, L, T, reps):
    step, caches = make_step(m, B, L, T)
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    for _ in range(3):
        graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        graph.replay()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / 1000)
    del graph, caches
    torch.cuda.empty_cache()
    times.sort()
    return dict(median=statistics.median(times), min=times[0], p90=times[int(0.9 * (len(times) - 1))])


def main():
    out = sys.argv[1]
    quick = "--quick" in sys.argv
    props = torch.cuda.get_device_properties(0)
    result = dict(
        device=torch.cuda.get_device_name(0), sms=props.multi_processor_count, memory_bytes=props.total_memory,
        torch=torch.__version__, cuda=torch.version.cuda,
        method="minimal bf16 Llama decoder in PyTorch, random weights, norms/RoPE/SiLU/residuals fused by torch.compile (Inductor), each step one CUDA graph; SDPA attention "
               "(decode: GQA groups as the query axis over a contiguous per-sequence KV cache; prefill: causal); "
               "times are CUDA-event medians over repeated graph replays",
        models=[])
    # device copy bandwidth, for reference
    a = torch.empty(2 * 1024 ** 3, dtype=torch.uint8, device=dev)
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10):
        b.copy_(a)
    torch.cuda.synchronize()
    result["copy_bytes_per_s_read_plus_write"] = 2 * a.numel() * 10 / (time.perf_counter() - t0)
    del a, b
    x = torch.randn(8192, 8192, device=dev, dtype=DT)
    for _ in range(3):
        x @ x
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10):
        x @ x
    torch.cuda.synchronize()
    result["matmul_8192_bf16_flops_per_s"] = 2 * 8192 ** 3 * 10 / (time.perf_counter() - t0)
    del x
    torch.cuda.empty_cache()

    reps = 5 if quick else 25
    name = sys.argv[2]
    budget = float(sys.argv[sys.argv.index("--budget") + 1]) if "--budget" in sys.argv else 420.0
    s = SHAPES[name]
    if quick:
        s = dict(s, layers=2)
    m = Model(s)
    entry = dict(name=name, shape=s, weight_bytes=m.weight_bytes, kv_bytes_per_token=m.kv_bytes_per_token,
                 matmul_params=m.param_count, steps=[])
    free = torch.cuda.mem_get_info()[0]
    max_kv_tokens = int(0.80 * free / m.kv_bytes_per_token)  # KV tokens that fit beside the weights, with headroom
    entry["max_kv_tokens"] = max_kv_tokens
    if SPLIT_KV > 1:
        check_split_kv()
        entry["split_kv"] = SPLIT_KV
    grid = list(dict.fromkeys(SPLIT_KV_GRID[name] if SPLIT_KV > 1 else GRIDS[name]))  # first occurrence of each point
    if quick:
        grid = grid[::8]
    t_start = time.perf_counter()
    skipped = []
    for B, L, T in grid:
        if B * (L + 1) > max_kv_tokens:
            skipped.append([B, L, T, "kv does not fit"])
            continue
        if time.perf_counter() - t_start > budget:
            skipped.append([B, L, T, "time budget"])
            continue
        r = time_step(m, B, L, T, reps)
        entry["steps"].append(dict(decode_batch=B, context=L, prefill_tokens=T, seconds=r))
        print(f"{name} B={B} L={L} T={T} median {r['median']*1e3:.3f} ms", flush=True)
        entry["wall_seconds"] = time.perf_counter() - t_start
        entry["skipped"] = skipped
        with open(out, "w") as f:
            json.dump(dict(result, models=[entry]), f, indent=1)
    entry["wall_seconds"] = time.perf_counter() - t_start
    entry["skipped"] = skipped
    result["models"].append(entry)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print("wrote", out, "skipped", skipped)


def _decode_grid(batches, contexts):
    return [(B, L, 0) for B in batches for L in contexts]


SPLIT_KV_GRID = {
    # the reference's slow decode steps (few sequence x KV-head pairs, long context), and controls at larger batches
    "llama-3.1-8b": _decode_grid((1, 2, 4), (4095, 8191, 16383)) + _decode_grid((16, 64), (4095,)) + [(8, 16383, 0)],
    "llama-3.1-70b-tp4-shard": _decode_grid((1, 4, 16), (4095, 16383)) + [(2, 8191, 0), (8, 4095, 0), (64, 1023, 0)],
}


GRIDS = {
    # the original fused points first (a repeat measures run-to-run noise), then the grid
    "llama-3.1-8b": [(0, 0, T) for T in (256, 1024, 4096)]
    + _decode_grid((1, 2, 4, 8, 16, 32, 64, 128, 256), (512, 2048, 8192))
    + [(0, 0, T) for T in (128, 512, 2048, 8192)]
    + [(1, 1024, 0), (8, 1024, 0), (32, 1024, 0), (64, 4096, 0), (128, 1024, 0), (256, 512, 0), (16, 16384, 0),
       (32, 1024, 512), (128, 1024, 2048)]
    + [(8, 2048, 512), (16, 4096, 256), (64, 1024, 1024), (32, 2048, 2048), (256, 512, 512), (64, 2048, 4096),
       (128, 2048, 256), (4, 8192, 2048), (256, 1024, 1024)]
    + _decode_grid((1, 4, 16, 64, 256), (1024, 4096, 16384))
    + _decode_grid((2, 8, 32, 128), (1024, 4096, 16384)),
    "llama-3.1-70b-tp4-shard": [(0, 0, T) for T in (256, 1024, 4096)]
    + _decode_grid((1, 8, 32, 128, 256), (512, 4096))
    + [(0, 0, T) for T in (512, 2048, 8192)]
    + [(32, 1024, 512), (128, 1024, 2048), (16, 4096, 1024), (64, 2048, 256)]
    + _decode_grid((4, 16, 64), (1024, 16384)) + [(256, 1536, 0), (2, 8192, 0)],
}


if __name__ == "__main__":
    main()

"""Fit the simulator's engine step-time model (src/simulation/step-time.ts, engineStepTime) to the measured step times here.

usage: python3 fit_engine.py [all|fused|grid|8b] [-v] [--rounded]

The model, per GPU of a tensor-parallel group (one GPU measured, so no all-reduce):
  memory  = (2 x params / tp + KV bytes per token / tp x (B x L + T)) / (3.35 TB/s x em)
  compute = 2 x params / tp x (B + T) / (989 TFLOP/s x ec) + 4 x layers x heads x head_dim / tp x pairs / (989 TFLOP/s x ea)
  step    = max(memory, compute) + f x min(memory, compute) + overhead + per-layer overhead x layers
Least squares on log(model / measured) by Nelder-Mead (standard library only), leaving out the decode steps the
reference runs without split-KV (README.md). The results are the constants in src/simulation/assumptions.ts.
"""
import json, math, os, statistics
D=os.path.dirname(os.path.abspath(__file__))+'/'
BW=3.35e12; FL=989e12
ARCH={'llama-3.1-8b':dict(P=8.03e9,layers=32,h=32,kvh=8,hd=128,tp=1),'llama-3.1-70b-tp4-shard':dict(P=70.6e9,layers=80,h=64,kvh=8,hd=128,tp=4)}
def load(f):
    d=json.load(open(D+f)); pts=[]
    for m in d['models']:
        for s in m['steps']: pts.append((m['name'],s['decode_batch'],s['context'],s['prefill_tokens'],s['seconds']['median']))
    return pts
fused=load('h100-llama-3.1-8b-fused.json'); grid=load('h100-llama-3.1-8b-fused-grid.json'); tp=load('h100-llama-3.1-70b-tp4-shard-fused.json')
def model(p, name,B,L,T, parts=False):
    em,ec,ea,f,ov,ovl=p; a=ARCH[name]; t=a['tp']
    kvb=2*a['layers']*a['kvh']*a['hd']*2
    ctx=B*L+T
    mem=(2*a['P']/t + kvb/t*ctx)/(BW*em)
    pairs=B*(L+1)+T*(T+1)/2
    comp=2*a['P']/t*(B+T)/(FL*ec) + 4*a['layers']*a['h']*a['hd']/t*pairs/(FL*ea)
    s=max(mem,comp)+f*min(mem,comp)+ov+ovl*a['layers']
    return (s,mem,comp) if parts else s
def art(n,B,L,T): return T==0 and 1<=B*ARCH[n]['kvh']//ARCH[n]['tp']<=32 and L>=4096
def errs(p,pts,excl=True): return [(model(p,n,B,L,T)-y)/y for n,B,L,T,y in pts if not (excl and art(n,B,L,T))]
def loss(p,pts):
    return sum(math.log(model(p,n,B,L,T)/y)**2 for n,B,L,T,y in pts if not art(n,B,L,T))
def nm(fun,x0,steps=4000):
    n=len(x0); simplex=[list(x0)]
    for i in range(n):
        x=list(x0); x[i]*=1.2 if x[i]!=0 else 1; x[i]= x[i] if x[i]!=0 else 0.001; simplex.append(x)
    for it in range(steps):
        simplex.sort(key=fun); best,worst=simplex[0],simplex[-1]
        c=[sum(s[i] for s in simplex[:-1])/n for i in range(n)]
        r=[c[i]+(c[i]-worst[i]) for i in range(n)]
        if fun(r)<fun(best):
            e=[c[i]+2*(c[i]-worst[i]) for i in range(n)]; simplex[-1]=e if fun(e)<fun(r) else r
        elif fun(r)<fun(simplex[-2]): simplex[-1]=r
        else:
            k=[c[i]+0.5*(worst[i]-c[i]) for i in range(n)]
            if fun(k)<fun(worst): simplex[-1]=k
            else: simplex=[best]+[[best[i]+0.5*(s[i]-best[i]) for i in range(n)] for s in simplex[1:]]
    return min(simplex,key=fun)
def bounded(p): return all(x>0 for x in p[:3]) and 0<=p[3]<=1 and p[4]>=0 and p[5]>=0
import sys
which=sys.argv[1] if len(sys.argv)>1 else 'all'
sets={'fused':fused,'grid':grid,'all':fused+grid+tp,'8b':fused+grid}
pts=sets[which]
p=nm(lambda p: loss(p,pts) if bounded(p) else 1e9,[0.8,0.6,0.5,0.5,0.002,0.00002])
print('fit on',which,[round(x,6) for x in p])
for nm_,S in (('fused',fused),('grid',grid),('70b',tp)):
    e=errs(p,S); ea=errs(p,S,False)
    print(nm_, 'n',len(e),'median abs %.1f%%'%(100*statistics.median(abs(x) for x in e)),'max %.1f%%'%(100*max(abs(x) for x in e)), 'max incl artefacts %.1f%%'%(100*max(abs(x) for x in ea)))
if '-v' in sys.argv:
  for S in (fused,grid,tp):
    for n,B,L,T,y in S:
        s,m,c=model(p,n,B,L,T,True); print(n[:9],B,L,T,'meas %.2f model %.2f mem %.2f comp %.2f err %+.1f%%%s'%(y*1e3,s*1e3,m*1e3,c*1e3,100*(s-y)/y,' A' if art(n,B,L,T) else ''))
if '--rounded' in sys.argv:
    # the rounded constants of src/simulation/assumptions.ts
    p=[0.89,0.67,0.71,0.28,0.0,37e-6]
    for nm_,S in (('fused',fused),('grid',grid),('70b',tp)):
        e=errs(p,S); ea=errs(p,S,False)
        print('rounded',nm_, 'n',len(e),'median abs %.1f%%'%(100*statistics.median(abs(x) for x in e)),'max %.1f%%'%(100*max(abs(x) for x in e)), 'max incl artefacts %.1f%%'%(100*max(abs(x) for x in ea)))

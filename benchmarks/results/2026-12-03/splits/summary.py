import json,glob,os
names=[]
for f in sorted(glob.glob('/tmp/jmh/*-before.json')):
    n=os.path.basename(f)[:-len('-before.json')]
    names.append(n)
def load(p):
    try: d=json.load(open(p))
    except Exception: return {}
    out={}
    for r in d:
        key=r['benchmark'].split('.')[-2]+'.'+r['benchmark'].split('.')[-1]
        if r.get('params'): key+=' '+','.join(f"{k}={v}" for k,v in r['params'].items())
        m=r['primaryMetric']
        alloc=r.get('secondaryMetrics',{}).get('gc.alloc.rate.norm',{}).get('score')
        out[key]=(m['score'],m['scoreError'],m['scoreUnit'],alloc)
    return out
print("| benchmark | before | after | after/before | B/op after |")
print("|---|---|---|---|---|")
for n in names:
    b=load(f'/tmp/jmh/{n}-before.json'); a=load(f'/tmp/jmh/{n}-after.json')
    for k in b:
        sb=b[k]; sa=a.get(k)
        if sa is None: print(f"| {k} | {sb[0]:.1f} ± {sb[1]:.1f} {sb[2]} | - | - | - |"); continue
        print(f"| {k} | {sb[0]:.1f} ± {sb[1]:.1f} | {sa[0]:.1f} ± {sa[1]:.1f} {sa[2]} | {sa[0]/sb[0]:.2f} | {sa[3]:.1f} |")
    for k in a:
        if k not in b:
            sa=a[k]; print(f"| {k} | - | {sa[0]:.1f} ± {sa[1]:.1f} {sa[2]} | - | {sa[3]:.1f} |")

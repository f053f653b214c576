import re, glob, statistics as st
def parse(path):
    d = {}
    for line in open(path):
        if line.startswith("stages"):
            for k, v in re.findall(r"([a-z+ ]+?) (\d+\.\d+)", line.split(":", 1)[1]):
                d[k.strip()] = float(v)
        m = re.search(r"text --jobs 1: .*?, (\d+\.\d+) ms/report.*CPU (\d+\.\d+) ms/report", line)
        if m: d["wall"], d["cpu"] = float(m[1]), float(m[2])
        m = re.search(r"per report .*CPU (\d+\.\d+) ms/report", line)
        if m: d["cpu past fixed"] = float(m[1])
    return d
import sys
src = sys.argv[1]
rounds = sorted({int(p.rsplit("-", 1)[1][:-4]) for p in glob.glob(f"{src}/stages-on-*.txt")})
for kind in ("stages", "tp"):
    on = [parse(f"{src}/{kind}-on-{r}.txt") for r in rounds]
    off = [parse(f"{src}/{kind}-off-{r}.txt") for r in rounds]
    print(f"-- {kind} ({len(rounds)} alternating pairs)")
    print(f"{'stage':16} {'uncompiled':>10} {'compiled':>9} {'ratio(med of pair ratios)':>26}  pair ratios")
    for k in on[0]:
        a = st.median(o[k] for o in off); b = st.median(o[k] for o in on)
        rs = [x[k] / y[k] for x, y in zip(on, off)]
        print(f"{k:16} {a:10.2f} {b:9.2f} {st.median(rs):26.2f}  " + " ".join(f"{r:.2f}" for r in rs))

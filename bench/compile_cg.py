"""Brief cy7: instructions per report by stage, for callgrind (compiled vs uncompiled).

    python bench/compile_cg.py CORPUS_DIR LEVEL        # LEVEL 0..5
Level k runs the first k stages (read+normalize, layout, mapping, verify, payload) over every
file of CORPUS_DIR (made once by `--make N`); stage k's cost is I(level k) - I(level k-1),
divided by the file count: start-up and imports cancel out.
    python bench/compile_cg.py CORPUS_DIR --make 60
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import extract, load, make_corpus, sha256_file, verify, with_rows  # noqa: E402

from extractor.run.payload import pack  # noqa: E402

corpus = Path(sys.argv[1])
if sys.argv[2] == "--make":
    make_corpus(corpus, int(sys.argv[3]), pdf=False)
    raise SystemExit
level = int(sys.argv[2])
files = sorted(p for p in corpus.rglob("*") if p.is_file())
for seq, f in enumerate(files):
    sha = sha256_file(f)
    if level < 1:
        continue
    doc = load(f)
    if level < 2:
        continue
    doc = with_rows(doc)
    if level < 3:
        continue
    ex = extract(doc)
    if level < 4:
        continue
    rec = verify(ex, doc.text)
    if level < 5:
        continue
    pack(rec, f, seq, sha)

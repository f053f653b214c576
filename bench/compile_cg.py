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


def first_stages(f: Path, seq: int, k: int) -> None:
    """The first `k` stages over `f`, each taking what the one before made."""
    sha = sha256_file(f)
    steps = [lambda _: load(f), with_rows, lambda doc: (doc, extract(doc)),
             lambda de: verify(de[1], de[0].text), lambda rec: pack(rec, f, seq, sha)]
    made: object = None
    for step in steps[:k]:
        made = step(made)


for seq, f in enumerate(files):
    first_stages(f, seq, level)

"""CPU ms/report of the rules pipeline's stages only (issue 17), and optionally a profile.

Run by hand (median of --repeat runs of bench/throughput.py's `stages` over the same corpus):

    python bench/stages_profile.py [--files 300] [--repeat 3] [--profile 40] [--opcodes 30]

--profile N: afterwards, cProfile read+layout+mapping+verify over the corpus once and print
the N functions with the most own time.

--objects: afterwards, what the four stages make and call per report (from a profile of one
pass): models built with validation (pydantic's validator), models built without it (the
`trusted` constructors), regex calls, named-tuple and plain-tuple constructions.

--opcodes N: afterwards, the Python bytecodes the four stages execute per report (opcode
trace events over --files more reports, in one pass), by module and for the N functions that
execute the most: a count that does not drift with the machine's speed, as CPU time does.
Work done in C (regexes, `map`, pydantic-core) does not count: compare instructions
(valgrind) before calling a change that moves work into C a gain.

--caches: afterwards, each `lru_cache` of the four stages over one more corpus of --files
reports (distinct sentences; the caches warmed by the timed passes): calls per report, hit
rate and entries held. A cache keyed by text that misses on such a corpus costs hashing,
bookkeeping and memory (a worker keeps it for a whole run) and saves nothing.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import functools
import importlib
import pkgutil
import pstats
import statistics
import sys
import tempfile
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import extract, load, make_corpus, stages, verify, with_rows  # noqa: E402

RULES = ("read+normalize", "layout", "mapping", "verify")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", type=int, default=0, help="print the top N by own time")
    ap.add_argument("--objects", action="store_true", help="print objects made per report")
    ap.add_argument("--caches", action="store_true", help="print each cache's hit rate")
    ap.add_argument("--opcodes", type=int, default=0, help="print bytecodes/report, top N")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        runs = []
        for r in range(args.repeat):  # each pass on a corpus of its own (nothing cached by
            (tmp / f"r{r}").mkdir()  # text carries over)
            runs.append(stages(make_corpus(tmp / f"text{r}", args.files, pdf=False,
                                           tag=f"r{r}-"), tmp / f"r{r}"))
        files = make_corpus(tmp / "text", args.files, pdf=False)
        med = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
        print(f"stages (CPU ms/report, one process, median of {args.repeat}): " + ", ".join(
            f"{k} {v:.2f}" for k, v in med.items()) + f"; rules {sum(med[k] for k in RULES):.2f}")
        if args.profile or args.objects:
            def go() -> None:
                for f in files:
                    doc = with_rows(load(f))
                    verify(extract(doc), doc.text)
            prof = cProfile.Profile()
            prof.runcall(go)
            stats = pstats.Stats(prof)
            if args.objects:
                print_objects(stats, len(files))
            if args.profile:
                stats.sort_stats("tottime").print_stats(args.profile)
        if args.opcodes:
            print_opcodes(make_corpus(tmp / "opcodes", args.files, pdf=False, tag="opcodes-"),
                          args.opcodes)
        if args.caches:
            print_caches(make_corpus(tmp / "caches", args.files, pdf=False, tag="caches-"))


#: Regex methods counted as regex calls.
_REGEX = ("match", "search", "sub", "finditer", "findall", "fullmatch", "split")


def print_objects(stats: pstats.Stats, reports: int) -> None:
    """Calls per report of what builds objects and of the regex engine, from a profile."""
    counts: dict[str, int] = {}
    for (filename, _, name), (calls, *_rest) in stats.stats.items():  # type: ignore[attr-defined]
        if "validate_python" in name:
            key = "models validated (pydantic)"
        elif filename == "<string>" and name.startswith("new_"):
            model = name[4:].split("__")[0]
            if model.startswith(("T2019", "T2021", "Tables")):
                model = "typed tables: each row, section and the tables"
            key = f"models built without validation ({model})"
        elif filename == "<string>" and name == "<lambda>":
            key = "named tuples built by their __new__"
        elif name == "<built-in method __new__ of type object at" or "__new__ of type" in name:
            key = "tuples and objects made by __new__ (text_cell, new_row, models)"
        elif name.startswith("<method '") and name.split("'")[1] in _REGEX and "Pattern" in name:
            key = "regex calls"
        else:
            continue
        counts[key] = counts.get(key, 0) + calls
    for key, n in sorted(counts.items()):
        print(f"  {key}: {n / reports:.1f} per report")


def print_opcodes(files: list[Path], top: int) -> None:
    """Bytecodes the four stages execute per report over `files`, by module and by function
    (`sys.settrace` with opcode events: slow, but exact and independent of the machine)."""
    counts: collections.Counter[tuple[str, int, str]] = collections.Counter()

    def trace(frame: types.FrameType, event: str, arg: object) -> object:
        frame.f_trace_opcodes, frame.f_trace_lines = True, False
        code = frame.f_code
        key = (code.co_filename, code.co_firstlineno, code.co_name)

        def opcode(frame: types.FrameType, event: str, arg: object) -> object:
            if event == "opcode":
                counts[key] += 1
            return opcode
        return opcode

    sys.settrace(trace)
    try:
        for f in files:
            doc = with_rows(load(f))
            verify(extract(doc), doc.text)
    finally:
        sys.settrace(None)
    n, total = len(files), sum(counts.values())
    by_module: collections.Counter[str] = collections.Counter()
    for (filename, _, _), c in counts.items():
        by_module[_short(filename)] += c
    print(f"bytecodes per report over {n} reports: {total / n:,.0f}")
    for module, c in by_module.most_common(15):
        print(f"  {c / n:9,.0f} {c / total:6.1%}  {module}")
    for (filename, line, name), c in counts.most_common(top):
        print(f"  {c / n:9,.0f} {c / total:6.1%}  {_short(filename)}:{line} {name}")


def _short(filename: str) -> str:
    """A source file's path from the repository root (or as it is, outside it)."""
    root = str(Path(__file__).resolve().parent.parent) + "/"
    return filename[len(root):] if filename.startswith(root) else filename


#: The packages of the four stages whose caches `print_caches` reports.
_STAGES = ("extractor.schema", "extractor.ingest", "extractor.layout", "extractor.mapping",
           "verify")


def _rules_caches() -> dict[str, functools._lru_cache_wrapper]:  # type: ignore[type-arg]
    import extractor
    import verify as verify_package
    caches = {}
    for package in (extractor, verify_package):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.startswith(_STAGES):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (isinstance(value, functools._lru_cache_wrapper)
                        and getattr(value, "__module__", None) == info.name):
                    caches[f"{info.name}.{name}"] = value
    return caches


def print_caches(files: list[Path]) -> None:
    """Each cache of the four stages over `files`: calls per report, hit rate, entries."""
    caches = _rules_caches()
    before = {k: c.cache_info() for k, c in caches.items()}
    for f in files:
        doc = with_rows(load(f))
        verify(extract(doc), doc.text)
    print(f"caches over {len(files)} more reports (calls/report, hits, entries held/max):")
    for key, cache in sorted(caches.items()):
        info, was = cache.cache_info(), before[key]
        hits, misses = info.hits - was.hits, info.misses - was.misses
        if hits + misses:
            print(f"  {key}: {(hits + misses) / len(files):.1f}, {hits / (hits + misses):.1%}, "
                  f"{info.currsize}/{info.maxsize or 'unbounded'}")


if __name__ == "__main__":
    main()

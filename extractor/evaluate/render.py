"""The evaluation as text for the terminal and as the `--json` document."""

from __future__ import annotations

from extractor.evaluate.compare import CellDiff, Counts, Evaluation, ReportEval, Thresholds


def _counts_dict(c: Counts) -> dict:
    return {**c.model_dump(), "accuracy": round(c.accuracy, 6),
            "flag_rate": round(c.flag_rate, 6), "false_alarm_rate": round(c.false_alarm_rate, 6)}


def _diff_dict(d: CellDiff) -> dict:
    return {"path": d.path, "expected": d.expected.show(), "got": d.got.show() if d.got else None,
            "raw": d.raw, "status": d.status, "reasons": d.reasons}


def to_json(ev: Evaluation, t: Thresholds, failed: list[str]) -> dict:
    """The `--json` document. Keys are stable; counts are per cell."""
    return {
        "overall": _counts_dict(ev.overall),
        "sections": {s: _counts_dict(c) for s, c in ev.sections.items()},
        "reports": [{
            "file": r.file, "state": r.state, "error": r.error, **_counts_dict(r.counts),
            "sections": {s: _counts_dict(c) for s, c in r.sections.items()},
            "meta_mismatches": r.meta_mismatches,
            "silent_errors": [_diff_dict(d) for d in r.of("silent")],
            "wrong_flagged_cells": [_diff_dict(d) for d in r.of("wrong_flagged")],
            "missing_cells": [_diff_dict(d) for d in r.of("missing")],
            "evidence_mismatches": r.evidence,
        } for r in ev.reports],
        "unexpected_results": ev.unexpected_results,
        "duplicate_results": ev.duplicate_results,
        "thresholds": t.model_dump(),
        "violations": failed,
        "passed": not failed,
    }


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f}%" if d else "n/a"


_TABLE_HEAD = (f"{'':<10}{'cells':>7}{'correct':>16}{'wrong+flagged':>15}{'SILENT':>8}"
               f"{'missing':>9}   flagged correct     false alarms")


def _counts_line(label: str, c: Counts) -> str:
    correct = f"{c.correct} ({_pct(c.correct, c.cells)})"
    flagged = f"{c.correct_flagged}/{c.correct} ({_pct(c.correct_flagged, c.correct)})"
    return (f"{label:<10}{c.cells:>7}{correct:>16}{c.wrong_flagged:>15}{c.silent:>8}"
            f"{c.missing:>9}   {flagged:<19} {c.false_alarms} ({_pct(c.false_alarms, c.correct)})")


_STATUSES = ("verified", "inferred", "grounded", "flagged", "corrected")
_STATUS_HEAD = f"{'':<10}{'cells':>7}" + "".join(f"{k:>16}" for k in _STATUSES)


def _status_line(label: str, c: Counts) -> str:
    counts = [getattr(c, k) for k in _STATUSES]
    return f"{label:<10}{c.cells:>7}" + "".join(f"{f'{n} ({_pct(n, c.cells)})':>16}" for n in counts)


def _report_lines(r: ReportEval, verbose: bool) -> list[str]:
    c = r.counts
    head = {"evaluated": "", "error": f" [input error, counted missing: {r.error}]",
            "no_result": " [no result in the run, counted missing]"}[r.state]
    evidence = f", {len(r.evidence)} evidence differences" if r.evidence else ""
    lines = [f"{r.file}: {c.correct}/{c.cells} correct, {c.wrong_flagged} wrong+flagged, "
             f"{c.silent} silent, {c.missing} missing{evidence}{head}"]
    lines += [f"    META    {m}" for m in r.meta_mismatches]
    if verbose:
        lines += [f"    EVIDENCE {m}" for m in r.evidence]
    shown = ("silent", "wrong_flagged", "missing") if verbose else ("silent",)
    tag = {"silent": "SILENT ", "wrong_flagged": "FLAGGED", "missing": "MISSING"}
    for d in r.diffs:
        if d.cls in shown:
            got = d.got.show() if d.got else "no result"
            lines.append(f"    {tag[d.cls]} {d.path}: expected {d.expected.show()}, got {got}")
    return lines


def render_text(ev: Evaluation, failed: list[str], verbose: bool = False) -> str:
    """The terminal report: per-report lines, per-section table, the silent-error total."""
    lines = ["per report:"]
    for r in ev.reports:
        lines += ["  " + x for x in _report_lines(r, verbose)]
    if ev.unexpected_results:
        lines += ["", "results with no expected file (not scored):"]
        lines += [f"  {name}" for name in ev.unexpected_results]
    if ev.duplicate_results:
        lines += ["", "file names with several results (only the first is scored):"]
        lines += [f"  {name}" for name in ev.duplicate_results]
    lines += ["", "per section:", "  " + _TABLE_HEAD]
    names = {"s2": "s2 二", "s3": "s3 三", "s4": "s4 四"}
    lines += ["  " + _counts_line(names[s], c) for s, c in ev.sections.items()]
    lines.append("  " + _counts_line("overall", ev.overall))
    lines += ["", "by status (inferred: placed by the identities, trusted only as far as the "
                  "source is consistent):", "  " + _STATUS_HEAD]
    lines += ["  " + _status_line(names[s], c) for s, c in ev.sections.items()]
    lines.append("  " + _status_line("overall", ev.overall))
    lines += ["", f"SILENT ERRORS: {ev.overall.silent}  (wrong and not flagged; "
                  f"accuracy {_pct(ev.overall.correct, ev.overall.cells)})"]
    lines += [f"FAIL: {v}" for v in failed]
    return "\n".join(lines)

"use strict";
// The review page. Data comes from <script type="application/json"> blocks written by
// extractor/review.py; every piece of it reaches the DOM through textContent, value or
// dataset, never as HTML. The text arrives already cut into segments (spans are code-point
// offsets, which JavaScript's UTF-16 strings cannot slice directly).
(function () {
  const $ = (id) => document.getElementById(id);
  const INDEX = JSON.parse($("index").textContent);
  const REPORTS = INDEX.reports;
  const LABELS = INDEX.labels;
  const STATUS_ORDER = ["flagged", "corrected", "grounded", "inferred", "verified"];
  const PLACEMENT = {
    identities: "its position was chosen by the template's identities (the layout lost separators or blank cells)",
    orphan: "its row lost its label; the template's identities chose which row it is",
    llm: "only the LLM placed it; an identity holds with it",
  };
  const DECISIONS = [["", "— undecided"], ["accept", "accept the value"],
    ["set", "set value"], ["source_wrong", "source is wrong"]];

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  const parsed = new Map();
  function report(i) {
    if (!parsed.has(i)) {
      if (parsed.size > 20) parsed.clear(); // keep memory flat on large batches
      parsed.set(i, JSON.parse($("r" + i).textContent));
    }
    return parsed.get(i);
  }

  // --- decisions: kept by document sha256 and cell path, saved in localStorage ----------
  const STORE = "report-extractor-review:" + INDEX.id;
  let state = { reviewer: "", d: {} };
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) || "null");
    if (saved && typeof saved === "object" && saved.d && typeof saved.d === "object") state = saved;
  } catch (e) { /* no storage (private mode, file:// restrictions): decisions live in the page */ }
  const controls = new Map(); // key -> Set of control groups on screen

  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* see above */ }
    const n = Object.values(state.d).filter((d) => d.decision).length;
    $("decided").textContent = n + " decided";
  }

  function describe(R, c) {
    const cell = R.cells[c];
    return [R.sha, R.file, cell.p, LABELS[cell.p] || cell.p, cell.v, cell.s, cell.st, reasons(R, cell)];
  }

  function reasons(R, cell) { return cell.r === undefined ? "" : R.reasons[cell.r]; }

  function decisionControl(R, c) {
    const key = R.sha + " " + R.cells[c].p;
    const wrap = el("span", "dec");
    wrap.dataset.key = key;
    const sel = el("select");
    sel.setAttribute("aria-label", "decision on " + R.cells[c].p);
    for (const [value, text] of DECISIONS) {
      const o = el("option", null, text);
      o.value = value;
      sel.append(o);
    }
    const value = el("input");
    value.placeholder = "value";
    value.setAttribute("aria-label", "value for " + R.cells[c].p);
    const note = el("input");
    note.placeholder = "note";
    note.setAttribute("aria-label", "note on " + R.cells[c].p);
    wrap.append(sel, value, note);
    wrap.refresh = () => {
      const d = state.d[key] || {};
      sel.value = d.decision || "";
      value.value = d.value || "";
      note.value = d.note || "";
      value.disabled = sel.value !== "set";
      wrap.classList.toggle("decided", !!sel.value);
    };
    const update = () => {
      if (document.activeElement === value && value.value && !sel.value) sel.value = "set";
      const d = { decision: sel.value, value: value.value, note: note.value, row: describe(R, c) };
      if (!d.decision && !d.value && !d.note) delete state.d[key];
      else state.d[key] = d;
      save();
      for (const other of controls.get(key) || []) other.refresh();
    };
    sel.addEventListener("change", update);
    value.addEventListener("input", update);
    note.addEventListener("input", update);
    if (!controls.has(key)) controls.set(key, new Set());
    controls.get(key).add(wrap);
    wrap.refresh();
    return wrap;
  }

  // --- decisions.csv, the same format as the file written next to the page ---------------
  // Text a spreadsheet could run as a formula gets a leading apostrophe (CSV injection), as
  // extractor/outputs/safe.py does for the file written next to the page; plain numbers stay.
  function neutralise(s) {
    return /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s) ? "'" + s : s;
  }

  function csvField(s) {
    s = neutralise(String(s === undefined || s === null ? "" : s));
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function decisionsCsv() {
    const lines = [INDEX.columns];
    const done = new Set();
    const reviewer = state.reviewer || "";
    const finish = (row, d) => {
      const decision = (d && d.decision) || "";
      return [...row, decision, decision === "set" ? d.value || "" : "",
        decision ? reviewer : "", decision ? d.note || "" : ""];
    };
    for (let i = 0; i < REPORTS.length; i++) {
      const R = parsed.get(i) || JSON.parse($("r" + i).textContent);
      R.cells.forEach((cell, c) => {
        if (cell.st !== "flagged") return;
        const key = R.sha + " " + cell.p;
        done.add(key);
        lines.push(finish(describe(R, c), state.d[key]));
      });
    }
    // Cells a reviewer decided although they were not flagged (chosen in the text).
    for (const [key, d] of Object.entries(state.d)) {
      if (!done.has(key) && d.decision && Array.isArray(d.row)) lines.push(finish(d.row, d));
    }
    return "\ufeff" + lines.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
  }

  $("download").addEventListener("click", () => {
    const blob = new Blob([decisionsCsv()], { type: "text/csv;charset=utf-8" });
    const a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = "decisions.csv";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  });
  const reviewerInput = $("reviewer");
  reviewerInput.value = state.reviewer || "";
  reviewerInput.addEventListener("input", () => { state.reviewer = reviewerInput.value; save(); });

  // --- filters and the report list ------------------------------------------------------
  const fRule = $("f-rule"), fSection = $("f-section"), fAgency = $("f-agency"), fText = $("f-text");
  function fill(select, values, label) {
    for (const v of values) {
      const o = el("option", null, label ? label(v) : v);
      o.value = v;
      select.append(o);
    }
  }
  const combos = REPORTS.flatMap((e) => e.rs.map((x) => x.split(" ")));
  fill(fRule, [...new Set(combos.map((x) => x[0]))].sort());
  fill(fSection, [...new Set(combos.map((x) => x[1]))].sort(),
    (s) => INDEX.sections[s] || "no cells");
  fill(fAgency, [...new Set(REPORTS.map((e) => e.a))].sort(), (a) => a || "(agency not found)");

  function flagMatches(f) {
    return (!fRule.value || f.r === fRule.value) && (!fSection.value || f.s.includes(fSection.value));
  }
  function reportMatches(e) {
    if (fAgency.value && e.a !== fAgency.value) return false;
    const q = fText.value.trim().toLowerCase();
    if (q && !(e.f.toLowerCase().includes(q) || e.a.toLowerCase().includes(q))) return false;
    if (!fRule.value && !fSection.value) return true;
    return e.rs.some((x) => {
      const [rule, section] = x.split(" ");
      return (!fRule.value || rule === fRule.value) && (!fSection.value || section === fSection.value);
    });
  }

  let current = -1;
  const listButtons = new Map();
  function renderList() {
    const list = $("report-list");
    list.replaceChildren();
    listButtons.clear();
    const frag = document.createDocumentFragment();
    let shown = 0;
    REPORTS.forEach((e, i) => {
      if (!reportMatches(e)) return;
      shown++;
      const b = el("button");
      b.type = "button";
      b.dataset.report = String(i);
      b.append(el("div", "file", e.f),
        el("div", "meta", [e.a || "(agency?)", e.y || "(year?)"].join(" · ")),
        el("div", "meta", e.flags + " flags · " + e.fc + " flagged cells"));
      b.setAttribute("aria-current", String(i === current));
      b.addEventListener("click", () => show(i));
      listButtons.set(i, b);
      const li = el("li");
      li.append(b);
      frag.append(li);
    });
    list.append(frag);
    $("report-count").textContent = shown + " of " + REPORTS.length + " reports" +
      (INDEX.skipped ? " (" + INDEX.skipped + " without flags not shown; --all shows them)" : "");
  }
  for (const f of [fRule, fSection, fAgency]) f.addEventListener("change", () => {
    renderList();
    if (current >= 0) show(current);
  });
  fText.addEventListener("input", renderList);

  // --- one report: flags, numbers, text -------------------------------------------------
  let cellSegs = [], flagSegs = [], flagItems = [];

  function clearHits() {
    for (const e of document.querySelectorAll("#text .hit")) e.classList.remove("hit");
    for (const e of document.querySelectorAll(".flag.active")) e.classList.remove("active");
  }
  function reveal(segs) {
    for (const s of segs) s.classList.add("hit");
    if (segs.length) segs[0].scrollIntoView({ block: "center", inline: "nearest" });
  }

  function focusFlag(f) {
    clearHits();
    const item = flagItems[f];
    if (item) item.classList.add("active");
    reveal(flagSegs[f] || []);
  }

  function focusCell(R, c) {
    clearHits();
    reveal(cellSegs[c] || []);
    showCell(R, c);
  }

  function spanText(sp) { return sp ? "[" + sp[0] + ", " + sp[1] + ")" : "no span"; }
  function valueText(cell) {
    if (cell.s === "number") return cell.v + (cell.u ? " (" + cell.u + ")" : "");
    return cell.s === "blank" ? "blank" : cell.s;
  }

  function showCell(R, c) {
    const cell = R.cells[c];
    const panel = $("panel");
    panel.replaceChildren();
    const head = el("div");
    head.append(el("strong", null, LABELS[cell.p] || cell.p), " ", el("code", null, cell.p), " = ",
      el("strong", null, valueText(cell)), " ", el("span", "st-" + cell.st, cell.st || "no status"),
      " ", el("span", "small", spanText(cell.sp)));
    panel.append(head);
    if (cell.raw !== undefined) panel.append(el("div", "small", "printed: " + cell.raw));
    if (cell.pl) {
      panel.append(el("div", "small st-inferred", "placement " + cell.pl + ": " + PLACEMENT[cell.pl] +
        " (inferred: trusted only as far as the source is consistent)"));
    }
    if (cell.r !== undefined) panel.append(el("div", "small", reasons(R, cell)));
    if (cell.k) panel.append(el("div", "st-corrected", "corrected by a person: " + cell.k));
    const flags = R.flags.map((f, i) => [f, i]).filter(([f]) => f.c.includes(c));
    if (flags.length) {
      const p = el("div", "small", "flags: ");
      for (const [f, i] of flags) {
        const b = el("button", "spanlink", f.k);
        b.type = "button";
        b.addEventListener("click", () => focusFlag(i));
        p.append(b, " ");
      }
      panel.append(p);
    }
    const d = el("div");
    d.append(el("span", "small", cell.st === "flagged" ? "decision: " :
      "decision (not flagged; added to the download when decided): "), decisionControl(R, c));
    panel.append(d);
  }

  function cellTable(R, f) {
    const table = el("table");
    const head = el("tr");
    for (const h of ["path", "label", "value", "status", "span", "decision"]) head.append(el("th", null, h));
    table.append(head);
    for (const c of f.c) {
      const cell = R.cells[c];
      const tr = el("tr");
      tr.dataset.path = cell.p;
      const span = el("button", "spanlink", spanText(cell.sp));
      span.type = "button";
      span.disabled = !cell.sp;
      span.addEventListener("click", () => focusCell(R, c));
      const spanCell = el("td");
      spanCell.append(span);
      const dec = el("td");
      if (cell.st === "flagged") dec.append(decisionControl(R, c));
      tr.append(el("td", "path", cell.p), el("td", null, LABELS[cell.p] || cell.p),
        el("td", null, valueText(cell)), el("td", "st-" + cell.st, cell.st), spanCell, dec);
      table.append(tr);
    }
    return table;
  }

  function flagItem(R, f, i) {
    const li = el("li", "flag");
    li.id = "flag-" + i;
    li.dataset.key = f.k;
    const head = el("button", "flag-head");
    head.type = "button";
    head.dataset.key = f.k;
    head.append(el("span", "rule", f.r), f.k);
    head.addEventListener("click", () => focusFlag(i));
    li.append(head);
    if (f.v) li.append(" ", el("span", "small", f.v.replace("_", " ")));
    li.append(el("p", "msg", f.m));
    li.append(el("div", "small", f.sp ? "span " + spanText(f.sp) + " · click the title to see it"
      : "no span in the text (nothing printed to point at)"));
    if (f.c.length) {
      const flagged = f.c.filter((c) => R.cells[c].st === "flagged");
      const details = el("details");
      details.open = f.c.length <= 12;
      details.append(el("summary", null, f.c.length + " numbers, " + flagged.length + " flagged"));
      // Tables of large flags (a missing section names 100+ cells) are built when opened.
      const build = () => {
        if (details.dataset.built) return;
        details.dataset.built = "1";
        if (flagged.length > 1) {
          const all = el("button", "act", "accept all " + flagged.length + " flagged numbers");
          all.type = "button";
          all.addEventListener("click", () => {
            for (const c of flagged) {
              const key = R.sha + " " + R.cells[c].p;
              const d = state.d[key] || { value: "", note: "" };
              state.d[key] = { ...d, decision: "accept", row: describe(R, c) };
              for (const w of controls.get(key) || []) w.refresh();
            }
            save();
          });
          details.append(all);
        }
        details.append(cellTable(R, f));
      };
      if (details.open) build();
      details.addEventListener("toggle", () => { if (details.open) build(); });
      li.append(details);
    }
    return li;
  }

  function show(i) {
    current = i;
    for (const [j, b] of listButtons) b.setAttribute("aria-current", String(j === i));
    const R = report(i);
    const e = REPORTS[i];
    controls.clear();
    const pane = $("report");
    pane.replaceChildren();
    pane.dataset.report = String(i);
    pane.append(el("h2", null, e.f));
    pane.append(el("div", "meta", [e.a || "(agency not found)", e.y || "(year not found)",
      e.t ? "template " + e.t : "template unknown", e.tr ? "truncated" : ""].filter(Boolean).join(" · ")));
    const counts = el("div", "counts");
    for (const k of ["verified", "inferred", "grounded", "flagged", "corrected"]) {
      counts.append(el("span", "st-" + k, e.n[k] + " " + k));
    }
    counts.append(el("span", "small", e.n.cells + " cells, " + e.n.numbers + " numbers, " +
      e.flags + " flags"));
    pane.append(counts);
    const list = el("ol");
    list.id = "flags";
    flagItems = [];
    let hidden = 0;
    R.flags.forEach((f, fi) => {
      if (!flagMatches(f)) { hidden++; return; }
      const item = flagItem(R, f, fi);
      flagItems[fi] = item;
      list.append(item);
    });
    pane.append(list);
    if (hidden) pane.append(el("p", "small", hidden + " flags hidden by the filters"));
    // Flagged cells no flag names (should not happen, but none may be lost).
    const named = new Set(R.flags.flatMap((f) => f.c));
    const rest = R.cells.map((cell, c) => c).filter((c) => R.cells[c].st === "flagged" && !named.has(c));
    if (rest.length) {
      const li = el("li", "flag");
      li.append(el("p", "msg", "Flagged numbers no flag names"), cellTable(R, { c: rest }));
      list.append(li);
    }
    renderText(R);
    $("panel").replaceChildren("Click a number in the text to see its cell.");
    pane.scrollTop = 0;
  }

  function renderText(R) {
    const box = $("text");
    cellSegs = R.cells.map(() => []);
    flagSegs = R.flags.map(() => []);
    const frag = document.createDocumentFragment();
    for (const seg of R.seg) {
      if (typeof seg === "string") { frag.append(seg); continue; }
      const [text, cs, fs] = seg;
      const statuses = cs.map((c) => R.cells[c].st);
      const status = STATUS_ORDER.find((s) => statuses.includes(s));
      const s = el("span", "n " + (status || (cs.length ? "none" : "fspan")), text);
      if (text === "") s.classList.add("empty");
      if (cs.length) {
        s.dataset.cells = cs.join(" ");
        s.title = cs.map((c) => R.cells[c].p + " = " + valueText(R.cells[c]) + " (" +
          (R.cells[c].st || "no status") + (R.cells[c].pl ? ", placement " + R.cells[c].pl : "") +
          ")").join("\n");
      }
      if (fs.length) s.dataset.flags = fs.join(" ");
      for (const c of cs) cellSegs[c].push(s);
      for (const f of fs) flagSegs[f].push(s);
      frag.append(s);
    }
    box.replaceChildren(frag);
    box.dataset.report = String(current);
    box.scrollTop = 0;
    box.onclick = (ev) => {
      const t = ev.target.closest ? ev.target.closest("span.n[data-cells]") : null;
      if (!t) return;
      const c = Number(t.dataset.cells.split(" ")[0]);
      clearHits();
      t.classList.add("hit");
      showCell(R, c);
    };
  }

  // --- start ------------------------------------------------------------------------------
  const total = REPORTS.reduce((a, e) => a + e.flags, 0);
  $("batch").textContent = REPORTS.length + " reports, " + total + " flags" +
    (INDEX.source ? " · " + INDEX.source : "");
  const sizeHeader = () => document.documentElement.style.setProperty(
    "--head", $("top").offsetHeight + "px");
  window.addEventListener("resize", sizeHeader);
  sizeHeader();
  save();
  renderList();
  if (REPORTS.length) show(0);
  else $("report").replaceChildren(el("p", null, "No report has flags: nothing to review."));
})();

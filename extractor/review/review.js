"use strict";
// The review page. Data comes from <script type="application/json"> blocks written by
// extractor/review/page.py; every piece of it reaches the DOM through textContent, value or
// dataset, never as HTML. The text arrives already cut into segments (spans are code-point
// offsets, which JavaScript's UTF-16 strings cannot slice directly).
//
// A flag is rendered from its fields (rule, key, message, verdict, cells, group), so new kinds
// of flags need no change here; optional fields: `links` (other documents: [{sha, file,
// label}]) and `image` (a data:image/... URI, e.g. a crop of the page the flag is about).
(function () {
  const $ = (id) => document.getElementById(id);
  const INDEX = JSON.parse($("index").textContent);
  const REPORTS = INDEX.reports;
  const LABELS = INDEX.labels;
  const WORDS = INDEX.words;
  const STATUS_ORDER = ["flagged", "corrected", "grounded", "inferred", "verified"];
  const PLACEMENT = {
    identities: "its position was chosen by the template's identities (the layout lost separators or blank cells)",
    orphan: "its row lost its label; the template's identities chose which row it is",
    llm: "only the LLM placed it; an identity holds with it",
  };
  const DECISIONS = [["", "— undecided"], ["accept", "accept the value"],
    ["set", "set value"], ["source_wrong", "source is wrong"]];
  const ACK_NOTE = "cannot be fixed from this file: acknowledged";
  const IMAGE = /^data:image\/(png|jpeg|webp|gif);base64,[A-Za-z0-9+/=]+$/;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function button(cls, text, onClick) {
    const b = el("button", cls, text);
    b.type = "button";
    if (onClick) b.addEventListener("click", onClick);
    return b;
  }

  const parsed = new Map();
  function report(i) {
    if (!parsed.has(i)) {
      if (parsed.size > 20) parsed.clear(); // keep memory flat on large batches
      parsed.set(i, JSON.parse($("r" + i).textContent));
    }
    return parsed.get(i);
  }
  const bySha = new Map(REPORTS.map((e, i) => [e.sha, i]));

  // --- decisions: kept by document sha256 and cell path, saved in localStorage ----------
  // The key is the run's folder: a page regenerated for the same run finds them again.
  const STORE = "report-extractor-review:" + INDEX.id;
  let state = { reviewer: "", d: {}, ack: {} };
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) || "null");
    if (saved && typeof saved === "object" && saved.d && typeof saved.d === "object") {
      state = { reviewer: "", ack: {}, ...saved };
      if (!state.ack || typeof state.ack !== "object") state.ack = {};
    }
  } catch (e) { /* no storage (private mode, file:// restrictions): decisions live in the page */ }
  const controls = new Map(); // key -> Set of control groups on screen
  const decided = (sha, path) => { const d = state.d[sha + " " + path]; return !!(d && d.decision); };

  function progress() {
    let units = 0, done = 0;
    for (const e of REPORTS) {
      const [u, n] = reportProgress(e);
      units += u;
      done += n;
    }
    return [done, units];
  }
  function reportProgress(e) {
    let units = e.u.length, done = e.u.filter((paths) => paths.every((p) => decided(e.sha, p))).length;
    if (e.cf) { units++; done += state.ack[e.sha] ? 1 : 0; }
    return [units, done];
  }

  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* see above */ }
    const n = Object.values(state.d).filter((d) => d.decision).length;
    $("decided").textContent = n + (n === 1 ? " cell" : " cells") + " decided";
    const [done, units] = progress();
    $("progress").textContent = done + " of " + units + " flags decided";
    for (const [i, b] of listButtons) {
      const [u, k] = reportProgress(REPORTS[i]);
      const p = b.querySelector(".prog");
      if (p) p.textContent = k + " of " + u + " decided";
      b.classList.toggle("done", u > 0 && k === u);
    }
    for (const [f, item] of flagItems.entries()) {
      if (item && current >= 0) item.classList.toggle("done", flagDone(report(current), f));
    }
    for (const [c, td] of gridCells.entries()) {
      if (td && current >= 0) td.classList.toggle("decided", decided(report(current).sha, report(current).cells[c].p));
    }
  }

  function describe(R, c) {
    const cell = R.cells[c];
    return [R.sha, R.file, cell.p, LABELS[cell.p] || cell.p, cell.v, cell.s, cell.st, reasons(R, cell)];
  }
  function reasons(R, cell) { return cell.r === undefined ? "" : R.reasons[cell.r]; }
  function words(p) { return WORDS[p] || LABELS[p] || p; }

  function setDecision(R, c, decision, extra) {
    const key = R.sha + " " + R.cells[c].p;
    const d = state.d[key] || { value: "", note: "" };
    state.d[key] = { ...d, ...(extra || {}), decision, row: describe(R, c) };
    if (!decision && !state.d[key].value && !state.d[key].note) delete state.d[key];
    for (const w of controls.get(key) || []) w.refresh();
  }

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
      for (const other of controls.get(key) || []) if (other !== wrap) other.refresh();
      value.disabled = sel.value !== "set";
      wrap.classList.toggle("decided", !!sel.value);
    };
    sel.addEventListener("change", update);
    value.addEventListener("input", update);
    note.addEventListener("input", update);
    value.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); value.blur(); advance(); }
      if (ev.key === "Escape") value.blur();
    });
    if (!controls.has(key)) controls.set(key, new Set());
    controls.get(key).add(wrap);
    wrap.refresh();
    wrap.sel = sel;
    wrap.value = value;
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
    // Cells a reviewer decided although they were not flagged (chosen in the text or table).
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
      const b = button(null, null, () => show(i));
      b.dataset.report = String(i);
      const [u, k] = reportProgress(e);
      b.append(el("div", "file", e.f),
        el("div", "meta", [e.a || "(agency?)", e.y || "(year?)"].join(" · ")),
        el("div", "meta", e.flags + " flags · " + e.fc + " flagged cells · "),
        );
      b.lastChild.append(el("span", "prog", k + " of " + u + " decided"));
      b.classList.toggle("done", u > 0 && k === u);
      b.setAttribute("aria-current", String(i === current));
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

  // --- one report: flags, table view, text ----------------------------------------------
  let cellSegs = [], flagSegs = [], flagItems = [], gridCells = [];
  let activeFlag = -1, activeCell = -1;

  function clearHits() {
    for (const e of document.querySelectorAll("#text .hit")) e.classList.remove("hit");
    for (const e of document.querySelectorAll(".flag.active")) e.classList.remove("active");
    for (const e of document.querySelectorAll("#tables .in-flag, #tables .sel")) e.classList.remove("in-flag", "sel");
    $("equation").replaceChildren();
    $("equation").hidden = true;
  }
  function reveal(segs) {
    for (const s of segs) s.classList.add("hit");
    if (segs.length) segs[0].scrollIntoView({ block: "center", inline: "nearest" });
  }

  function flagDone(R, f) {
    const flagged = R.flags[f].c.filter((c) => R.cells[c].st === "flagged");
    return flagged.length > 0 && flagged.every((c) => decided(R.sha, R.cells[c].p));
  }

  function focusFlag(f, opts) {
    const R = report(current);
    clearHits();
    activeFlag = f;
    const item = flagItems[f];
    if (item) {
      item.classList.add("active");
      if (opts && opts.scroll) item.scrollIntoView({ block: "nearest" });
    }
    const flag = R.flags[f];
    for (const c of flag.c) if (gridCells[c]) gridCells[c].classList.add("in-flag");
    const eq = $("equation");
    eq.append(el("span", "rule", flag.r), el("strong", null, flag.k), " ", el("span", null, flag.m));
    eq.hidden = false;
    const first = flag.c.find((c) => R.cells[c].st === "flagged" && !decided(R.sha, R.cells[c].p));
    const cell = first !== undefined ? first : flag.c.find((c) => R.cells[c].st === "flagged");
    if (cell !== undefined) {
      activeCell = cell;
      gridCells[cell] && gridCells[cell].classList.add("sel");
      showCell(R, cell);
    }
    reveal(flagSegs[f] || []);
    if (gridCells[flag.c[0]]) gridCells[flag.c[0]].scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function focusCell(R, c) {
    clearHits();
    activeCell = c;
    if (gridCells[c]) gridCells[c].classList.add("sel");
    reveal(cellSegs[c] || []);
    showCell(R, c);
  }

  function valueText(cell) {
    if (cell.s === "number") return cell.v + (cell.u ? " (" + cell.u + ")" : "");
    return cell.s === "blank" ? "blank" : cell.s;
  }
  function gridText(cell) {
    if (cell.s === "number") return cell.v;
    if (cell.s === "blank") return "";
    if (cell.s === "placeholder") return cell.raw || "/";
    return cell.s === "missing" ? "—" : "?";
  }

  // Where a cell is printed, in words: its page (PDF) and the text around it.
  function where(R, c, width) {
    const n = width || 24;
    const cell = R.cells[c];
    const segs = cellSegs[c] || [];
    const out = el("span", "where");
    if (cell.pg) out.append(el("span", "page", "p. " + cell.pg), " ");
    if (!segs.length) {
      out.append(el("span", "small", cell.s === "missing" ? "not in the file" : "no position in the text"));
      return out;
    }
    const around = (node, dir) => {
      let s = "";
      for (let x = node[dir]; x && s.length < n; x = x[dir]) {
        const t = x.textContent || "";
        s = dir === "previousSibling" ? t + s : s + t;
      }
      s = s.replace(/\s+/g, " ");
      return dir === "previousSibling" ? s.slice(-n) : s.slice(0, n);
    };
    out.append(el("span", "snip", "…" + around(segs[0], "previousSibling")),
      el("mark", null, segs.map((x) => x.textContent).join("") || "∅"),
      el("span", "snip", around(segs[segs.length - 1], "nextSibling") + "…"));
    return out;
  }

  function showCell(R, c) {
    const cell = R.cells[c];
    const panel = $("panel");
    panel.replaceChildren();
    const head = el("div");
    const name = el("strong", null, words(cell.p));
    name.title = cell.p;
    head.append(name, " = ", el("strong", null, valueText(cell)), " ",
      el("span", "st-" + cell.st, cell.st || "no status"));
    panel.append(head);
    const w = el("div", "small");
    w.append(where(R, c));
    panel.append(w);
    if (cell.raw !== undefined) panel.append(el("div", "small", "printed: " + cell.raw));
    if (cell.pl) {
      panel.append(el("div", "small st-inferred", "placement " + cell.pl + ": " + PLACEMENT[cell.pl] +
        " (inferred: trusted only as far as the source is consistent)"));
    }
    if (cell.r !== undefined) panel.append(el("div", "small reasons", reasons(R, cell)));
    if (cell.k) panel.append(el("div", "st-corrected", "corrected by a person: " + cell.k));
    const flags = R.flags.map((f, i) => [f, i]).filter(([f]) => f.c.includes(c));
    if (flags.length) {
      const p = el("div", "small", "flags: ");
      for (const [f, i] of flags) p.append(button("spanlink", f.k, () => focusFlag(i)), " ");
      panel.append(p);
    }
    const d = el("div");
    const ctl = decisionControl(R, c);
    d.append(el("span", "small", cell.st === "flagged" ? "decision: " :
      "decision (not flagged; added to the download when decided): "), ctl);
    panel.append(d);
    panel.ctl = ctl;
  }

  function cellTable(R, f) {
    const table = el("table");
    const head = el("tr");
    for (const h of ["cell", "value", "in the source", "decision"]) head.append(el("th", null, h));
    table.append(head);
    for (const c of f.c) {
      const cell = R.cells[c];
      const tr = el("tr");
      tr.dataset.path = cell.p;
      const src = button("spanlink", null, () => focusCell(R, c));
      src.append(where(R, c, 10));
      src.disabled = !(cellSegs[c] || []).length;
      const srcCell = el("td");
      srcCell.append(src);
      const dec = el("td");
      if (cell.st === "flagged") dec.append(decisionControl(R, c));
      const nm = el("td", "path", words(cell.p));
      nm.title = cell.p;
      const val = el("td", "st-" + cell.st, valueText(cell));
      val.title = cell.st || "no status";
      tr.append(nm, val, srcCell, dec);
      table.append(tr);
    }
    return table;
  }

  function flagItem(R, f, i) {
    const li = el("li", "flag g-" + (f.g || "decide"));
    li.id = "flag-" + i;
    li.dataset.key = f.k;
    const head = button("flag-head", null, () => focusFlag(i));
    head.dataset.key = f.k;
    head.append(el("span", "rule", f.r), f.k);
    li.append(head);
    if (f.v) li.append(" ", el("span", "small", f.v.replace("_", " ")));
    li.append(el("p", "msg", f.m));
    if (Array.isArray(f.links) && f.links.length) {
      const p = el("div", "small links", "other documents: ");
      for (const link of f.links) {
        if (!link || typeof link !== "object") continue;
        const j = bySha.get(link.sha);
        const text = String(link.label || link.file || link.sha || "?");
        p.append(j === undefined ? el("span", null, text) : button("spanlink", text, () => show(j)), " ");
      }
      li.append(p);
    }
    if (typeof f.image === "string" && IMAGE.test(f.image)) {
      const img = el("img", "crop");
      img.alt = "the page where " + f.k + " is printed";
      img.src = f.image;
      li.append(img);
    }
    if (!f.sp) li.append(el("div", "small", "nothing printed to point at in the text"));
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
          details.append(button("act", "accept all " + flagged.length + " flagged numbers", () => {
            for (const c of flagged) setDecision(R, c, "accept");
            save();
          }));
        }
        details.append(cellTable(R, f));
      };
      if (details.open) build();
      details.addEventListener("toggle", () => { if (details.open) build(); });
      li.append(details);
    }
    return li;
  }

  // The flagged cells the "cannot be fixed from this file" line acknowledges.
  function cannotCells(R) {
    const decide = new Set(R.flags.filter((f) => f.g === "decide").flatMap((f) => f.c));
    const out = new Set();
    for (const f of R.flags) {
      if (f.g !== "cannot") continue;
      for (const c of f.c) if (R.cells[c].st === "flagged" && !decide.has(c)) out.add(c);
    }
    return [...out];
  }

  function cannotLine(R, flags) {
    const box = el("details", "cannot");
    box.id = "cannot";
    const cells = cannotCells(R);
    const sum = el("summary");
    const rules = [...new Set(flags.map(([f]) => f.r))].join(", ");
    sum.append(el("strong", null, "Cannot be fixed from this file"), " · " + cells.length +
      " missing cells, " + flags.length + " flags (" + rules + ") ");
    const ack = button("act ack", null, (ev) => {
      ev.preventDefault();
      const on = !state.ack[R.sha];
      for (const c of cells) {
        const key = R.sha + " " + R.cells[c].p;
        if (on && !decided(R.sha, R.cells[c].p)) setDecision(R, c, "accept", { note: ACK_NOTE });
        else if (!on && state.d[key] && state.d[key].note === ACK_NOTE) setDecision(R, c, "", { note: "" });
      }
      if (on) state.ack[R.sha] = true; else delete state.ack[R.sha];
      refreshAck();
      save();
    });
    const refreshAck = () => {
      ack.textContent = state.ack[R.sha] ? "acknowledged (undo)" : "acknowledge";
      box.classList.toggle("done", !!state.ack[R.sha]);
    };
    refreshAck();
    sum.append(ack);
    box.append(sum, el("p", "small", "The file is cut off or a table is absent: no decision on " +
      "this file can give these numbers. Acknowledge once; their decisions.csv rows say accept."));
    const list = el("ol", "flag-list");
    for (const [f, i] of flags) {
      const item = flagItem(R, f, i);
      flagItems[i] = item;
      list.append(item);
    }
    box.append(list);
    return box;
  }

  function show(i) {
    current = i;
    activeFlag = activeCell = -1;
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
    pane.append(counts);
    flagItems = [];
    const groups = { decide: [], cannot: [], info: [] };
    let hidden = 0;
    R.flags.forEach((f, fi) => {
      if (!flagMatches(f)) { hidden++; return; }
      (groups[f.g] || groups.decide).push([f, fi]);
    });
    pane.append(el("h3", null, "Decide (" + groups.decide.length + ")"));
    const list = el("ol", "flag-list");
    list.id = "flags";
    for (const [f, fi] of groups.decide) {
      const item = flagItem(R, f, fi);
      flagItems[fi] = item;
      list.append(item);
    }
    if (!groups.decide.length) list.append(el("li", "small", "nothing to decide in this report"));
    pane.append(list);
    // Flagged cells no flag names (should not happen, but none may be lost).
    const named = new Set(R.flags.flatMap((f) => f.c));
    const rest = R.cells.map((cell, c) => c).filter((c) => R.cells[c].st === "flagged" && !named.has(c));
    if (rest.length) {
      const li = el("li", "flag");
      li.append(el("p", "msg", "Flagged numbers no flag names"), cellTable(R, { c: rest }));
      list.append(li);
    }
    if (groups.cannot.length) pane.append(cannotLine(R, groups.cannot));
    if (groups.info.length) {
      const box = el("details", "info");
      box.append(el("summary", null, "For information (nothing to decide): " + groups.info.length));
      const l = el("ol", "flag-list");
      for (const [f, fi] of groups.info) {
        const item = flagItem(R, f, fi);
        flagItems[fi] = item;
        l.append(item);
      }
      box.append(l);
      pane.append(box);
    }
    if (hidden) pane.append(el("p", "small", hidden + " flags hidden by the filters"));
    renderText(R);
    renderGrid(R);
    for (const f of flagItems.keys()) if (flagItems[f]) flagItems[f].classList.toggle("done", flagDone(R, f));
    $("panel").replaceChildren("Click a number in the table or the text to see it in the source.");
    $("equation").hidden = true;
    pane.scrollTop = 0;
  }

  function renderGrid(R) {
    const box = $("tables");
    gridCells = [];
    const frag = document.createDocumentFragment();
    const layout = INDEX.grid[R.t];
    const byPath = new Map(R.cells.map((cell, c) => [cell.p, c]));
    if (!layout) { box.replaceChildren(el("p", "small", "no template")); return; }
    for (const section of ["s2", "s3", "s4"]) {
      const wrap = el("div", "tbl");
      wrap.dataset.section = section;
      wrap.append(el("h3", null, INDEX.sectionTitles[section] || section));
      for (const block of layout[section]) {
        const table = el("table", "grid");
        table.dataset.section = section;
        const head = el("tr");
        head.append(el("th", "corner"));
        for (const [, t] of block.cols) head.append(el("th", "col", t));
        table.append(head);
        for (const [row, rowTitle] of block.rows) {
          const tr = el("tr");
          const th = el("th", "row", rowTitle);
          th.title = rowTitle;
          tr.append(th);
          for (const [col] of block.cols) {
            const p = section + "." + row + "." + col;
            const c = byPath.get(p);
            const cell = c === undefined ? null : R.cells[c];
            const td = el("td", "g " + (cell ? (cell.st || "none") + " s-" + cell.s : "none"),
              cell ? gridText(cell) : "");
            td.dataset.path = p;
            if (cell) {
              td.dataset.cell = String(c);
              td.title = words(p) + " = " + valueText(cell) + " (" + (cell.st || "no status") + ")" +
                (cell.pg ? " · p. " + cell.pg : "");
              if (cell.st === "flagged" && decided(R.sha, p)) td.classList.add("decided");
              gridCells[c] = td;
            }
            tr.append(td);
          }
          table.append(tr);
        }
        wrap.append(table);
      }
      frag.append(wrap);
    }
    box.replaceChildren(frag);
    box.onclick = (ev) => {
      const td = ev.target.closest ? ev.target.closest("td.g[data-cell]") : null;
      if (td) focusCell(R, Number(td.dataset.cell));
    };
    $("grid").scrollTop = 0;
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
          ") " + words(R.cells[c].p)).join("\n");
      }
      if (fs.length) s.dataset.flags = fs.join(" ");
      for (const c of cs) cellSegs[c].push(s);
      for (const f of fs) flagSegs[f].push(s);
      frag.append(s);
    }
    box.replaceChildren(frag);
    box.dataset.report = String(current);
    $("source").scrollTop = 0;
    box.onclick = (ev) => {
      const t = ev.target.closest ? ev.target.closest("span.n[data-cells]") : null;
      if (!t) return;
      const c = Number(t.dataset.cells.split(" ")[0]);
      clearHits();
      activeCell = c;
      t.classList.add("hit");
      if (gridCells[c]) { gridCells[c].classList.add("sel"); gridCells[c].scrollIntoView({ block: "nearest" }); }
      showCell(R, c);
    };
  }

  // --- keyboard: j/k next/previous flag, a accept, s set a value, w source is wrong ------
  function decideOrder() {
    // The flags to decide, in the order shown, across the reports in the list.
    return [...document.querySelectorAll("#flags .flag")].map((li) => Number(li.id.slice(5)));
  }
  function moveFlag(step) {
    if (current < 0) return;
    const order = decideOrder();
    const at = order.indexOf(activeFlag);
    const next = at < 0 ? (step > 0 ? 0 : order.length - 1) : at + step;
    if (next >= 0 && next < order.length) { focusFlag(order[next], { scroll: true }); return; }
    const reports = [...listButtons.keys()];
    const r = reports.indexOf(current) + step;
    if (r < 0 || r >= reports.length) return;
    show(reports[r]);
    const o = decideOrder();
    if (o.length) focusFlag(step > 0 ? o[0] : o[o.length - 1], { scroll: true });
  }
  // After a decision: the next undecided flagged cell of the flag, else the next flag.
  function advance() {
    if (current < 0) return;
    const R = report(current);
    save();
    if (activeFlag >= 0) {
      const next = R.flags[activeFlag].c.find((c) => R.cells[c].st === "flagged" && !decided(R.sha, R.cells[c].p));
      if (next !== undefined) { focusCell(R, next); return; }
      moveFlag(1);
    }
  }
  function decideKey(decision) {
    if (current < 0 || activeCell < 0) return;
    const R = report(current);
    if (decision === "set") {
      const ctl = $("panel").ctl;
      if (!ctl) return;
      ctl.sel.value = "set";
      ctl.sel.dispatchEvent(new Event("change"));
      ctl.value.disabled = false;
      ctl.value.focus();
      ctl.value.select();
      return;
    }
    setDecision(R, activeCell, decision);
    advance();
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
    const act = { j: () => moveFlag(1), n: () => moveFlag(1), k: () => moveFlag(-1), p: () => moveFlag(-1),
      a: () => decideKey("accept"), s: () => decideKey("set"), w: () => decideKey("source_wrong"),
      u: () => { if (current >= 0 && activeCell >= 0) { setDecision(report(current), activeCell, "", { value: "", note: "" }); save(); } },
      "?": () => { $("keys").hidden = !$("keys").hidden; } }[ev.key];
    if (act) { ev.preventDefault(); act(); }
  });

  // --- start ------------------------------------------------------------------------------
  const total = REPORTS.reduce((a, e) => a + e.flags, 0);
  $("batch").textContent = REPORTS.length + " reports, " + total + " flags" +
    (INDEX.source ? " · " + INDEX.source : "");
  const sizeHeader = () => document.documentElement.style.setProperty(
    "--head", $("top").offsetHeight + "px");
  window.addEventListener("resize", sizeHeader);
  sizeHeader();
  renderList();
  save();
  if (REPORTS.length) show(0);
  else $("report").replaceChildren(el("p", null, "No report has flags: nothing to review."));
})();

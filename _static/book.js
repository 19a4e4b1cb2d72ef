// Wide figures (forest plots) open at full size in a new tab when clicked or tapped.
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll('.cell_output img[alt^="Forest plot"], .cell_output img.jm-wide')) {
    if (img.closest("a")) continue;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.className = "jm-zoom";
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "Open the figure at full size";
    img.replaceWith(link);
    link.appendChild(img);
  }
});

// Long tables of jakmeta.display (more than 20 rows): a filter box above the table and sorting by a
// click on a column header (numbers as numbers; a missing value "—" sorts last). Nothing is fetched.
document.addEventListener("DOMContentLoaded", () => {
  const value = (cell, numeric) => {
    const text = cell.textContent.trim();
    if (!numeric) return text.toLowerCase();
    const number = parseFloat(text.replace("−", "-").replace(/[^0-9eE.+-]/g, ""));
    return Number.isNaN(number) ? null : number;
  };
  for (const table of document.querySelectorAll("table.jm-table")) {
    const body = table.tBodies[0];
    if (!body || body.rows.length <= 20) continue;
    table.classList.add("jm-sortable");
    const box = table.closest(".jm-table-scroll") || table;
    const filter = document.createElement("input");
    filter.type = "search";
    filter.className = "jm-filter";
    filter.placeholder = `Filter ${body.rows.length} rows…`;
    filter.setAttribute("aria-label", "Filter the rows of the table below");
    filter.addEventListener("input", () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const row of body.rows) {
        const text = row.textContent.toLowerCase();
        row.hidden = !words.every((w) => text.includes(w));
      }
    });
    box.parentNode.insertBefore(filter, box);
    table.querySelectorAll("thead th").forEach((th, column) => {
      th.tabIndex = 0;
      th.title = "Sort by this column";
      const sort = () => {
        const numeric = th.classList.contains("jm-num");
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach((other) => other.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = value(a.cells[column], numeric), y = value(b.cells[column], numeric);
          if (x === null || x === "—") return 1;
          if (y === null || y === "—") return -1;
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach((row) => body.appendChild(row));
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (event) => { if (event.key === "Enter") sort(); });
    });
  }
});

// Tables with a Certainty column (the Summary of Findings, the answer tables) read as one card per
// row on a phone (CSS table.jm-cards): every cell is labelled with its column's header.
document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.jm-table")) {
    const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    if (!heads.includes("Certainty") || heads.length > 8) continue;
    table.classList.add("jm-cards");
    for (const row of table.tBodies[0] ? table.tBodies[0].rows : []) {
      Array.from(row.cells).forEach((td, i) => td.setAttribute("data-label", heads[i] || ""));
    }
  }
});

// The text column with the longest cells (notes, sources) gets the most room on a wide screen
// (CSS td.jm-widest), so that a log of long notes is not a column of one-word lines.
document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.jm-table")) {
    const rows = table.tBodies[0] ? Array.from(table.tBodies[0].rows) : [];
    if (!rows.length) continue;
    const columns = rows[0].cells.length;
    let best = -1, longest = 0;
    for (let c = 0; c < columns; c++) {
      const cells = rows.map((r) => r.cells[c]).filter(Boolean);
      if (!cells.length || cells[0].classList.contains("jm-num")) continue;
      const mean = cells.reduce((sum, cell) => sum + cell.textContent.length, 0) / cells.length;
      if (mean > longest) { longest = mean; best = c; }
    }
    if (best < 0 || longest < 80) continue;
    for (const row of table.rows) if (row.cells[best]) row.cells[best].classList.add("jm-widest");
  }
});

// A table wider than its scrolling box gets a one-line hint above it, so that a cut-off column is
// not mistaken for the end of the table, and its first column stays in view (CSS .jm-overflowing). Re-checked when the window changes size.
(() => {
  const boxes = () => document.querySelectorAll(".jm-table-scroll, .pst-scrollable-table-container");
  const update = () => {
    for (const box of boxes()) {
      const hint = box.previousElementSibling;
      const has = hint && hint.classList.contains("jm-scroll-hint");
      const wide = box.scrollWidth > box.clientWidth + 2;
      box.classList.toggle("jm-overflowing", wide);
      if (wide && !has) {
        const p = document.createElement("p");
        p.className = "jm-scroll-hint";
        p.textContent = "Wide table: scroll sideways to see every column →";
        box.parentNode.insertBefore(p, box);
      } else if (!wide && has) {
        hint.remove();
      }
    }
  };
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("load", update);
  let timer;
  window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(update, 150); });
})();

// A forest plot wider than its box (a phone) says so above it, and its box opens on the plot: the
// pooled diamond (the book's vermillion, #D55E00) is found in the image and scrolled into the middle.
(() => {
  const centre = (img, box) => {
    try {
      const canvas = document.createElement("canvas");
      const w = img.naturalWidth, h = img.naturalHeight;
      canvas.width = w; canvas.height = h;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, w, h).data;
      const xs = [];
      for (let y = 0; y < h; y += 2) {
        for (let x = 0; x < w; x += 2) {
          const i = (y * w + x) * 4;
          if (Math.abs(data[i] - 213) < 20 && Math.abs(data[i + 1] - 94) < 20 && data[i + 2] < 30) xs.push(x);
        }
      }
      if (!xs.length) return;
      xs.sort((a, b) => a - b);
      const x = xs[Math.floor(xs.length / 2)] * (img.getBoundingClientRect().width / w);
      box.scrollLeft = Math.max(0, x - box.clientWidth / 2);
    } catch (e) { /* a tainted canvas: leave the box at its start */ }
  };
  const update = () => {
    for (const img of document.querySelectorAll('.cell_output img[alt^="Forest plot"]')) {
      const box = img.closest(".cell_output");
      if (!box) continue;
      const wide = box.scrollWidth > box.clientWidth + 2;
      const hint = box.previousElementSibling && box.previousElementSibling.classList.contains("jm-figure-hint")
        ? box.previousElementSibling : null;
      if (wide && !hint) {
        const p = document.createElement("p");
        p.className = "jm-figure-hint";
        p.textContent = "Wide figure: scroll sideways for the trials (left) and risk of bias (right), or tap it to open it full size ↔";
        box.parentNode.insertBefore(p, box);
        if (img.complete) centre(img, box); else img.addEventListener("load", () => centre(img, box), { once: true });
      } else if (!wide && hint) {
        hint.remove();
      }
    }
  };
  window.addEventListener("load", update);
  let timer;
  window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(update, 150); });
})();

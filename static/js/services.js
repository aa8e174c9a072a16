// Live filtering of the services table; the form still works without JavaScript (?q=).
(function () {
  const table = document.getElementById("services");
  const search = document.getElementById("service-search");
  const jump = document.getElementById("category-jump");
  if (!table || !search) return;
  const groups = Array.from(table.tBodies).map((body) => ({
    body,
    category: (body.dataset.category || "").toLowerCase(),
    rows: Array.from(body.querySelectorAll("tr.service")).map((row) => ({
      row,
      text: row.dataset.id + " " + row.querySelector(".name").firstChild.textContent.toLowerCase(),
    })),
  }));
  let pending = 0;
  function apply() {
    const terms = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const group of groups) {
      let visible = 0;
      for (const { row, text } of group.rows) {
        const hay = text + " " + group.category;
        const match = terms.every((t) => hay.includes(t));
        row.hidden = !match;
        if (match) visible++;
      }
      group.body.hidden = visible === 0;
      shown += visible;
    }
    document.getElementById("no-match").hidden = shown !== 0;
  }
  search.addEventListener("input", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(apply);
  });
  if (jump) {
    jump.addEventListener("change", () => {
      const target = jump.value && document.getElementById(jump.value);
      if (target) target.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  }
})();

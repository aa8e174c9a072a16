// The services page: a category's rows are fetched when it is opened, and the search box
// searches every service on the server as you type. Without JavaScript the same links and the
// search form load the same HTML as whole pages.
(function () {
  "use strict";
  const form = document.getElementById("service-search-form");
  const input = document.getElementById("service-search");
  const area = document.getElementById("search-area");
  const categories = document.getElementById("categories");

  function load(details) {
    if (details.hasAttribute("data-loaded")) return;
    details.setAttribute("data-loaded", "");
    const box = details.querySelector(".category-rows");
    box.setAttribute("aria-busy", "true");
    fetch(details.dataset.src, { headers: { Accept: "text/html" } })
      .then((response) => {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then((html) => { box.innerHTML = html; })
      .catch(() => { details.removeAttribute("data-loaded"); })
      .finally(() => { box.removeAttribute("aria-busy"); });
  }

  if (categories) {
    categories.addEventListener("toggle", (event) => {
      if (event.target.open) load(event.target);
    }, true);
    const target = location.hash && document.querySelector("details" + CSS.escape(location.hash));
    if (target) { target.open = true; }
  }

  if (!form || !input || !area) return;
  let timer = 0;
  let controller = null;
  function search() {
    const query = input.value.trim();
    const url = new URL(location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    url.searchParams.delete("page");
    url.searchParams.delete("category");
    history.replaceState(null, "", url);
    if (controller) controller.abort();
    if (!query) {
      if (!categories) { location.assign(form.action); return; }
      area.innerHTML = "";
      if (categories) categories.hidden = false;
      return;
    }
    controller = new AbortController();
    fetch(form.dataset.searchUrl + "?q=" + encodeURIComponent(query), { signal: controller.signal })
      .then((response) => response.text())
      .then((html) => {
        area.innerHTML = html;
        if (categories) categories.hidden = true;
      })
      .catch(() => {});
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  if (categories) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(timer);
      search();
    });
  }
})();

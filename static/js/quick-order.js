// The dashboard's quick order: choosing a category loads its services into the service picker
// (orders/quick.py); the form posts to the new-order page's review step, which judges it.
(function () {
  "use strict";
  const form = document.getElementById("quick-order");
  if (!form) return;
  const category = document.getElementById("quick-category");
  const service = document.getElementById("quick-service");
  const info = document.getElementById("quick-service-info");
  const quantity = document.getElementById("quick-quantity");
  const baseUrl = form.dataset.servicesUrl.replace(/0$/, "");
  let byId = new Map();

  function option(value, text) {
    const node = document.createElement("option");
    node.value = value;
    node.textContent = text;
    return node;
  }

  function group(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function describe() {
    const chosen = byId.get(service.value);
    if (!chosen) {
      info.textContent = "";
      return;
    }
    const [, , rate, min, max, average] = chosen;
    info.textContent = rate + " · min " + group(min) + ", max " + group(max) +
      " · average time per 1000: " + (average || "not enough data yet");
    quantity.placeholder = group(min) + "–" + group(max);
  }

  category.addEventListener("change", async function () {
    byId = new Map();
    service.replaceChildren(option("", category.value ? "Loading…" : "Choose a category first"));
    service.disabled = true;
    describe();
    if (!category.value) return;
    const asked = category.value;
    try {
      const response = await fetch(baseUrl + encodeURIComponent(asked), { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (category.value !== asked) return; // another category was chosen meanwhile
      byId = new Map(data.services.map((row) => [String(row[0]), row]));
      service.replaceChildren(
        option("", "Choose a service…"),
        ...data.services.map((row) => option(row[0], row[0] + " · " + row[1] + " — " + row[2]))
      );
      service.disabled = false;
    } catch (error) {
      service.replaceChildren(option("", "Could not load the services: try again"));
    }
  });
  service.addEventListener("change", describe);
})();

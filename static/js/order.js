// The new order page: filter the service picker, draw the chosen service's form, and preview
// the charge as the customer types. A preview only: the server validates and charges.
// Money is integer arithmetic (BigInt in units of 10^-7), never floats, so the digits shown
// are the server's: charge = rate × quantity × runs / 1000 with a rate of at most 4 decimals.
(function () {
  "use strict";
  const dataEl = document.getElementById("order-data");
  const form = document.getElementById("order-form");
  if (!dataEl || !form || typeof BigInt !== "function") return;

  const data = JSON.parse(dataEl.textContent);
  const services = data.services.map((row) =>
    Object.fromEntries(data.columns.map((name, i) => [name, row[i]]))
  );
  const byId = new Map(services.map((s) => [String(s.id), s]));
  const categoryNames = new Map(data.categories);
  const currency = data.currency;
  const balance = units(data.balance, 7);
  const MAX_QUANTITY = 2147483647;
  const MAX_RUNS = 1000;
  const MAX_INTERVAL = 7 * 24 * 60;

  const picker = document.getElementById("picker");
  const categorySelect = document.getElementById("category");
  const search = document.getElementById("service-search");
  const serviceSelect = document.getElementById("service");
  const serviceInput = document.getElementById("service-id");
  const info = document.getElementById("service-info");
  const fieldsBox = document.getElementById("order-fields");
  const dripBox = document.getElementById("dripfeed-box");
  const chargeEl = document.getElementById("charge");
  const afterEl = document.getElementById("after");
  const noteEl = document.getElementById("charge-note");
  const shortEl = document.getElementById("charge-short");
  const submit = document.getElementById("submit");
  const fundsUrl = document.getElementById("funds-url").dataset.url;

  // --- decimal text <-> BigInt -------------------------------------------------------------

  // "12.5" with places=7 -> 125000000n; null for anything that is not plain decimal text.
  function units(text, places) {
    const m = /^(-?)([0-9]+)(?:\.([0-9]*))?$/.exec(String(text));
    if (!m) return null;
    const fraction = (m[3] || "").padEnd(places, "0");
    if (fraction.length > places && /[1-9]/.test(fraction.slice(places))) return null;
    const value = BigInt(m[2] + fraction.slice(0, places));
    return m[1] ? -value : value;
  }

  function group(digits) {
    return digits.replace(/\B(?=([0-9]{3})+(?![0-9]))/g, ",");
  }

  // Like the server's `money` filter: at least 2 decimals, no trailing zeros, grouped.
  // Exact, as the confirm step shows it: the order form is where the charge is agreed.
  function money(value) {
    const negative = value < 0n;
    const digits = (negative ? -value : value).toString().padStart(8, "0");
    const fraction = digits.slice(-7).replace(/0+$/, "").padEnd(2, "0");
    return (negative ? "-" : "") + group(digits.slice(0, -7)) + "." + fraction + " " + currency;
  }

  // Like panel.money.format_rate: 2 to 4 decimals.
  function rateText(rate) {
    const value = units(rate, 4);
    const digits = value.toString().padStart(5, "0");
    let text = digits.slice(0, -4) + "." + digits.slice(-4);
    if (text.endsWith("0")) text = text.slice(0, -2) + text.slice(-2).replace(/0+$/, "");
    return text;
  }

  function spec(service) {
    return data.types[service.type] || data.types.Default;
  }

  function rateLabel(service) {
    return rateText(service.rate) + " " + currency + (spec(service).flat ? " per package" : " per 1000");
  }

  function canDripfeed(service) {
    return Boolean(spec(service).dripfeed && service.dripfeed);
  }

  // --- the picker --------------------------------------------------------------------------

  function optionLabel(service) {
    return service.id + " · " + service.name + " — " + rateLabel(service);
  }

  function fillOptions() {
    const category = categorySelect.value;
    const terms = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const current = serviceInput.value;
    const list = document.createDocumentFragment();
    let groupEl = null;
    let groupId = null;
    let shown = 0;
    for (const service of services) {
      const id = String(service.id);
      if (id !== current) {
        if (category && String(service.category) !== category) continue;
        const haystack = id + " " + service.name.toLowerCase();
        if (!terms.every((term) => haystack.includes(term))) continue;
      }
      if (service.category !== groupId) {
        groupId = service.category;
        groupEl = document.createElement("optgroup");
        groupEl.label = categoryNames.get(groupId) || "";
        list.append(groupEl);
      }
      groupEl.append(new Option(optionLabel(service), id, false, id === current));
      shown++;
    }
    const head = new Option(shown ? "Choose a service… (" + shown + ")" : "No service matches", "");
    serviceSelect.replaceChildren(head, list);
    serviceSelect.value = byId.has(current) ? current : "";
  }

  let pending = 0;
  function refilter() {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(fillOptions);
  }

  // --- the order form ----------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    node.append(...children.filter(Boolean));
    return node;
  }

  function fieldEl(field, value) {
    const id = "f-" + field.name;
    let input;
    if (field.widget === "textarea") {
      input = el("textarea", { id, name: field.name, rows: 5, required: field.required });
      input.value = value || "";
    } else if (field.widget === "select") {
      input = el("select", { id, name: field.name });
      for (const [code, label] of field.choices) input.append(new Option(label, code));
      input.value = value && field.choices.some(([code]) => code === value) ? value : field.choices[0][0];
    } else {
      input = el("input", {
        type: "text", id, name: field.name, inputmode: field.inputmode, autocomplete: "off",
        placeholder: field.placeholder || null, required: field.required,
      });
      input.value = value || "";
    }
    const label = el("label", { for: id, text: field.label });
    if (field.optional) label.append(" ", el("span", { class: "optional", text: "(optional)" }));
    if (field.help) input.setAttribute("aria-describedby", id + "-help");
    return el("div", { class: "field", "data-field": field.name },
      label, input, field.help ? el("p", { class: "help", id: id + "-help", text: field.help }) : null);
  }

  function limits(service) {
    return "Min " + group(String(service.min)) + ", max " + group(String(service.max)) +
      (service.step ? ", in steps of " + group(String(service.step)) : "");
  }

  // The same inputs, in the same order, as orders.forms.form_fields draws on the server.
  function formFields(service) {
    const type = spec(service);
    const fields = [];
    if (type.link) {
      fields.push({ name: "link", label: "Link", widget: "input", required: true, inputmode: "url", placeholder: "https://…" });
    }
    if (type.quantity === "quantity") {
      fields.push({ name: "quantity", label: "Quantity", widget: "input", required: true, inputmode: "numeric", help: limits(service) });
    }
    for (const f of type.fields) {
      let help = f.help;
      if (f.name === type.quantity) {
        const text = limits(service);
        help = (help + " The number of lines is the quantity: " + text[0].toLowerCase() + text.slice(1) + ".").trim();
      }
      fields.push({
        name: f.name, label: f.label, help, required: f.required, optional: !f.required,
        widget: f.kind === "lines" ? "textarea" : f.choices.length ? "select" : "input",
        choices: f.choices, inputmode: f.kind === "count" ? "numeric" : "text",
        placeholder: f.kind === "date" ? "dd/mm/yyyy" : null,
      });
    }
    return fields;
  }

  function marks(service) {
    const list = [];
    if (service.refill) list.push(el("span", { class: "mark refill", title: "Refill available", text: "Refill" }));
    if (service.cancel) list.push(el("span", { class: "mark cancel", title: "Can be canceled", text: "Cancel" }));
    if (canDripfeed(service)) list.push(el("span", { class: "mark drip", title: "Drip-feed available", text: "Drip-feed" }));
    return list.length ? el("span", { class: "marks" }, ...list) : null;
  }

  function currentValues() {
    const values = {};
    for (const input of form.querySelectorAll("input[name], textarea[name], select[name]")) {
      if (input.type === "checkbox") values[input.name] = input.checked ? "1" : "";
      else if (input.type !== "hidden") values[input.name] = input.value;
    }
    return values;
  }

  function drawService(service) {
    const values = currentValues(); // what was typed carries over (the link, mostly)
    // replaceChildren writes a null as the text "null": only real nodes go in.
    info.replaceChildren(...[
      el("h2", { text: service.name }),
      el("p", { class: "service-meta" },
        el("span", { class: "service-rate", text: rateLabel(service) }), " ",
        el("span", { text: "Min " + group(String(service.min)) }), " ",
        el("span", { text: "Max " + group(String(service.max)) }),
        marks(service)),
      el("p", { class: "service-average" },
        el("span", { class: "label", text: "Average time per 1000:" }), " " + (service.average || "not enough data yet")),
      service.description ? el("p", { class: "description", text: service.description }) : null,
    ].filter(Boolean));
    fieldsBox.replaceChildren(...formFields(service).map((f) => fieldEl(f, values[f.name])));
    dripBox.replaceChildren();
    if (canDripfeed(service)) {
      const box = el("input", { type: "checkbox", id: "dripfeed", name: "dripfeed", value: "1", class: "drip-toggle" });
      box.checked = values.dripfeed === "1";
      dripBox.append(
        box,
        el("label", { for: "dripfeed", class: "check", text: "Drip-feed: deliver the quantity in several runs" }),
        el("div", { class: "drip-fields" },
          fieldEl({ name: "runs", label: "Runs", widget: "input", inputmode: "numeric", help: "How many deliveries (2 or more)." }, values.runs),
          fieldEl({ name: "interval", label: "Interval (minutes)", widget: "input", inputmode: "numeric", help: "Minutes between deliveries." }, values.interval))
      );
    }
  }

  function choose(id) {
    const service = byId.get(id);
    document.getElementById("order-alerts").replaceChildren();
    const hint = document.getElementById("choose-hint");
    if (hint) hint.hidden = Boolean(service);
    form.hidden = !service;
    if (!service) {
      serviceInput.value = "";
      return;
    }
    if (serviceInput.value !== id || !fieldsBox.children.length) {
      serviceInput.value = id;
      drawService(service);
    }
    history.replaceState(null, "", "?service=" + encodeURIComponent(id));
    update();
  }

  // --- the live charge ---------------------------------------------------------------------

  function value(name) {
    const input = form.elements.namedItem(name);
    return input && "value" in input ? input.value : "";
  }

  // A plain whole number in ASCII digits (as the server takes it), or null.
  function count(raw, upto) {
    const text = raw.trim();
    if (!/^[0-9]{1,10}$/.test(text)) return null;
    const number = Number(text);
    return number <= upto ? number : null;
  }

  // Non-empty lines, split where Python's str.splitlines splits.
  function lines(text) {
    return text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/).filter((line) => line.trim()).length;
  }

  function bounds(service, quantity, what) {
    if (quantity < service.min) return what + " is below the minimum of " + group(String(service.min)) + ".";
    if (quantity > service.max) return what + " is above the maximum of " + group(String(service.max)) + ".";
    if (service.step && quantity % service.step) return what + " must be a multiple of " + group(String(service.step)) + ".";
    return "";
  }

  // What is wrong with the quantity field's text, in the words of
  // orders.validation.parse_quantity (the server says the same after a post).
  function quantityProblem(service, raw) {
    const text = raw.trim();
    const range = "from " + group(String(service.min)) + " to " + group(String(service.max));
    if (!text) return "Enter the quantity: a whole number " + range + ".";
    if (/^[0-9]+$/.test(text)) return "The quantity is above the maximum of " + group(String(service.max)) + ".";
    if (/^-\s*[0-9.,]+$/.test(text)) return "The quantity cannot be negative: enter a whole number " + range + ".";
    if (/^[0-9]{1,3}([,_ ][0-9]{3})+$/.test(text)) return "Enter the quantity without separators (1000, not 1,000): " + range + ".";
    if (/^[0-9]*\.[0-9]+$/.test(text)) return "The quantity must be a whole number, without decimals: " + range + ".";
    return "Enter the quantity in digits only (like 1000): " + range + ".";
  }

  // {charge: BigInt in 10^-7 or null, note: why not, or how it was counted}
  function quote(service) {
    const type = spec(service);
    const rate = units(service.rate, 4);
    if (service.type === "Subscriptions") {
      const low = count(value("min"), MAX_QUANTITY);
      const high = count(value("max"), MAX_QUANTITY);
      const posts = count(value("posts"), MAX_RUNS);
      const old = value("old_posts").trim() ? count(value("old_posts"), MAX_RUNS) : 0;
      if (high === null || posts === null || old === null) return { charge: null, note: "Enter max per post and the number of posts." };
      const problem = (low !== null && bounds(service, low, "Min")) || bounds(service, high, "Max") ||
        (low !== null && low > high ? "Max must not be below min." : "");
      if (problem) return { charge: null, note: problem };
      if (posts + old < 1 || posts + old > MAX_RUNS) return { charge: null, note: "Between 1 and " + MAX_RUNS + " posts." };
      return { charge: rate * BigInt(high) * BigInt(posts + old), note: group(String(high)) + " × " + (posts + old) + " posts" };
    }
    let quantity = 1;
    let note = "";
    if (type.quantity === "quantity") {
      quantity = count(value("quantity"), MAX_QUANTITY);
      if (quantity === null) return { charge: null, note: quantityProblem(service, value("quantity")) };
    } else if (type.quantity) {
      quantity = lines(value(type.quantity));
      note = group(String(quantity)) + " line" + (quantity === 1 ? "" : "s");
    }
    if (type.quantity) {
      const problem = bounds(service, quantity, type.quantity === "quantity" ? "The quantity" : "The number of lines (" + group(String(quantity)) + ")");
      if (problem) return { charge: null, note: problem };
    }
    let runs = 1;
    const drip = form.elements.namedItem("dripfeed");
    if (drip && drip.checked && canDripfeed(service)) {
      runs = count(value("runs"), MAX_RUNS);
      const interval = count(value("interval"), MAX_INTERVAL);
      if (runs === null || runs < 2) return { charge: null, note: "Drip-feed needs 2 to " + MAX_RUNS + " runs." };
      if (interval === null || interval < 1) return { charge: null, note: "Enter the interval in minutes (1 to " + group(String(MAX_INTERVAL)) + ")." };
      note = group(String(quantity)) + " × " + runs + " runs";
    }
    // A package's rate is its price: as if 1000 units at the per-1000 rate.
    const charged = type.flat ? 1000 : quantity;
    return { charge: rate * BigInt(charged) * BigInt(runs), note };
  }

  function update() {
    const service = byId.get(serviceInput.value);
    if (!service) return;
    const { charge, note } = quote(service);
    noteEl.textContent = note;
    shortEl.hidden = true;
    if (charge === null) {
      chargeEl.textContent = "–";
      afterEl.textContent = "–";
      return;
    }
    chargeEl.textContent = money(charge);
    afterEl.textContent = charge <= balance ? money(balance - charge) : "–";
    if (charge > balance) {
      shortEl.replaceChildren(
        "Not enough funds: add " + money(charge - balance) + ". ",
        el("a", { href: fundsUrl, text: "Add funds" })
      );
      shortEl.hidden = false;
    }
  }

  // --- wiring ------------------------------------------------------------------------------

  document.getElementById("picker-actions").hidden = true;
  picker.addEventListener("submit", (event) => event.preventDefault());
  categorySelect.addEventListener("change", refilter);
  search.addEventListener("input", refilter);
  serviceSelect.addEventListener("change", () => choose(serviceSelect.value));
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  // With the live charge on screen the review step is skipped; the server still decides.
  chargeEl.classList.remove("later");
  submit.value = "place";
  submit.textContent = "Place order";
  document.getElementById("submit-help").textContent = "The server checks the order again and charges exactly what it computes.";
  form.addEventListener("submit", () => {
    setTimeout(() => { submit.disabled = true; }, 0); // after the form data (with action) is taken
  });
  // Back from the orders list (the page restored from the back/forward cache): usable again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) submit.disabled = false;
  });
  // Browsers may restore a typed filter on "back": show the list that matches it.
  if (search.value || categorySelect.value) fillOptions();
  if (serviceInput.value) update();
})();

// The orders list: ask before a refill or cancel is requested, and send each form once.
// Without JS the forms post as they are; the server refuses a second request anyway.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (form.dataset.sent || !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    form.querySelectorAll("button").forEach((button) => (button.disabled = true));
  });
  // "Back" may show this page from the cache: make its buttons usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      delete form.dataset.sent;
      form.querySelectorAll("button").forEach((button) => (button.disabled = false));
    });
  });
})();

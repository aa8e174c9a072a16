// The staff desk: choosing a canned reply puts its text in the message box (without
// JavaScript the server uses it when the box is left empty).
(function () {
  "use strict";
  const select = document.getElementById("id_canned");
  const body = document.getElementById("id_body");
  if (!select || !body) return;
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    if (!option || !option.dataset.body) return;
    body.value = body.value.trim() ? body.value.replace(/\s*$/, "\n\n") + option.dataset.body : option.dataset.body;
    body.focus();
  });
})();

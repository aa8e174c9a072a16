// A button or link with data-confirm asks before it acts (instead of an inline onclick, which
// the Content Security Policy forbids).
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) {
    event.preventDefault();
  }
});

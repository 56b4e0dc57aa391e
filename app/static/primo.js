// Primo's only script: small progressive enhancements, no inline handlers (the CSP forbids them).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Primo's only script: small progressive enhancements, no inline handlers (the CSP forbids them).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// A menu of the navigation closes when the user clicks elsewhere or presses Escape (it opens and closes without
// this script too: it is a <details>).
function closeMenus(except) {
  for (const menu of document.querySelectorAll("details.nav-group[open]")) {
    if (menu !== except) menu.open = false;
  }
}
document.addEventListener("click", (event) => closeMenus(event.target.closest("details.nav-group")));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeMenus(null);
});

// The officer pages' one script. A "Print" button (data-print) is shown only where scripts
// run; without them the browser's own print command still prints the page's print layout.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

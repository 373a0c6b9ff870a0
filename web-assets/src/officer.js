// The officer pages' one script: GOV.UK Frontend's components, and a "Print" button.
//
// initAll starts every component whose data-module a template names (error summary, service
// navigation, checkboxes, radios, ...), so a template that adds one needs no change here.
// The error summary takes focus when a page shows it, so a failed form is announced. The
// body's classes are set here because the pages' CSP allows no inline script.
import { initAll } from "govuk-frontend";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// The Print button (data-print) is shown only where scripts run; without them the browser's
// own print command still prints the page's print layout.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

// GOV.UK Frontend's JavaScript (tabs, error summary, service navigation, buttons, notification
// banners...). A module script runs only in browsers GOV.UK Frontend supports, so this is where the
// body gets the class its components' styles and scripts look for (the CSP forbids the usual
// inline snippet). Content that HTMX swaps in is initialised when it settles; an error summary
// among it takes the focus and its links move to the fields, as on a full page.
import { initAll } from "/static/vendor/govuk-frontend-6.6.0.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();

function quietly(error) {
  // components initialised before the swap say so; anything else is a real error
  if (!error || error.name !== "InitError") { console.error(error); }
}

document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.target;
  if (!target || target === document.body || !target.parentElement) { return; }
  initAll({ scope: target.parentElement, onError: quietly });
});

// Small text helpers shared by the upload area. Sizes use the same decimal units as the
// server's pages (exhibit.web.citizen.formatting), so a file reads the same everywhere.

/** Replace `{name}` placeholders in a translated string. */
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (match, key) =>
    key in values ? String(values[key]) : match,
  );
}

/** A size such as "26.3 MB", with the unit names of the page's language. */
export function humanSize(bytes, units) {
  if (bytes < 1000) {
    return `${bytes} ${units[0]}`;
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const rounded = Math.round(value * 10) / 10;
  return `${rounded} ${units[unit]}`;
}

/** The percentage of a file sent, rounded down so that 100% means every byte arrived. */
export function percentOf(sent, total) {
  return total > 0 ? Math.floor((sent / total) * 100) : 0;
}

/** Fill ``node`` with an error message led by a visually hidden "Error:", as GOV.UK does. */
export function showError(node, prefix, message) {
  node.hidden = !message;
  if (!message) {
    node.replaceChildren();
    return;
  }
  const hidden = document.createElement("span");
  hidden.className = "govuk-visually-hidden";
  hidden.textContent = prefix;
  node.replaceChildren(hidden, ` ${message}`);
}

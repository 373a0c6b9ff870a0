// The lists the server keeps: files received, and uploads begun but not finished. The page
// renders them first (templates/citizen/upload.html); these keep them current afterwards.
import { fill, humanSize } from "./format.js";

function paragraph(className, text) {
  const node = document.createElement("p");
  node.className = className;
  node.textContent = text;
  return node;
}

/** A received file: name, size and "Received" (with a note if it is being checked). */
export function receivedItem(file, strings) {
  const item = document.createElement("li");
  item.className = "citizen-file citizen-file--received";
  const status = paragraph("citizen-file__status", "");
  const tag = document.createElement("strong");
  tag.className = "govuk-tag govuk-tag--green";
  tag.textContent = strings.status_received;
  status.append(tag);
  if (file.state === "quarantined") {
    status.append(" ", strings.received_check);
  }
  item.append(
    paragraph("citizen-file__name", file.name),
    paragraph("citizen-file__meta", humanSize(file.size, strings.units)),
    status,
  );
  return item;
}

/** An unfinished upload: how much arrived, and a button to remove it. */
export function unfinishedItem(entry, strings, onRemove) {
  const item = document.createElement("li");
  item.className = "citizen-file";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button govuk-button--secondary";
  const hidden = document.createElement("span");
  hidden.className = "govuk-visually-hidden";
  hidden.textContent = ` ${entry.name}`;
  button.append(strings.remove, hidden);
  button.addEventListener("click", () => onRemove(button));
  const progress = fill(strings.unfinished_progress, {
    sent: humanSize(entry.received_bytes, strings.units),
    total: humanSize(entry.size, strings.units),
  });
  item.append(
    paragraph("citizen-file__name", entry.name),
    paragraph("citizen-file__meta", progress),
    button,
  );
  return item;
}

// One chosen file on the page: its caption, progress, status and buttons.
import { fill, humanSize, percentOf, showError } from "./format.js";

/** The states a chosen file goes through; the page shows each as words, not colour alone. */
export const State = Object.freeze({
  READY: "ready",
  UPLOADING: "uploading",
  PAUSED: "paused",
  FAILED: "failed",
  REMOVING: "removing",
});

const TAG_CLASSES = {
  ready: "govuk-tag--grey",
  uploading: "govuk-tag--blue",
  paused: "govuk-tag--yellow",
  failed: "govuk-tag--red",
  removing: "govuk-tag--grey",
};

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  if (text) {
    node.textContent = text;
  }
  return node;
}

function button(label, name, handler) {
  const node = element("button", {
    type: "button",
    class: "govuk-button govuk-button--secondary",
    "data-module": "govuk-button",
  });
  node.append(label, element("span", { class: "govuk-visually-hidden" }, ` ${name}`));
  node.addEventListener("click", handler);
  return node;
}

export class FileCard {
  /**
   * @param {File} file the chosen file
   * @param {number} number unique on the page, for element ids
   * @param {object} strings the page's translated strings
   * @param {object} actions callbacks: pause, resume, retry, remove (each given this card)
   */
  constructor(file, number, strings, actions) {
    this.file = file;
    this.id = `file-${number}`;
    this.strings = strings;
    this.state = State.READY;
    this.upload = null;
    // False once the server has refused the file or the link for good: no "Try again" then.
    this.retryable = true;
    this.announcedStep = 0;
    this.sent = 0;
    this.build(number, actions);
    this.setState(State.READY);
  }

  build(number, actions) {
    const s = this.strings;
    const name = this.file.name;
    this.root = element("li", { class: "citizen-file", id: this.id });
    const heading = element("h3", { class: "citizen-file__name" }, name);
    const meta = element("p", { class: "citizen-file__meta" }, humanSize(this.file.size, s.units));

    const captionId = `caption-${number}`;
    const group = element("div", { class: "govuk-form-group" });
    const label = element("label", { class: "govuk-label", for: captionId }, s.caption_label);
    const hint = element("div", { class: "govuk-hint", id: `${captionId}-hint` }, s.caption_hint);
    this.caption = element("input", {
      class: "govuk-input",
      id: captionId,
      type: "text",
      maxlength: "500",
      autocomplete: "off",
      "aria-describedby": `${captionId}-hint`,
    });
    group.append(label, hint, this.caption);

    this.error = element("p", { class: "govuk-error-message citizen-file__error" });
    this.error.hidden = true;
    this.progress = element("progress", {
      class: "citizen-file__progress",
      max: "100",
      value: "0",
      "aria-label": fill(s.progress_label, { name }),
    });
    this.status = element("p", { class: "citizen-file__status" });
    this.tag = element("strong", { class: "govuk-tag" });
    this.statusText = element("span");
    this.status.append(this.tag, " ", this.statusText);

    const actionsGroup = element("div", { class: "govuk-button-group citizen-file__actions" });
    this.pauseButton = button(s.pause, name, () => actions.pause(this));
    this.resumeButton = button(s.resume, name, () => actions.resume(this));
    this.retryButton = button(s.retry, name, () => actions.retry(this));
    this.removeButton = button(s.remove, name, () => actions.remove(this));
    actionsGroup.append(this.pauseButton, this.resumeButton, this.retryButton, this.removeButton);

    this.root.append(heading, meta, group, this.error, this.progress, this.status, actionsGroup);
  }

  /**
   * Move to ``state``; ``problem`` is shown as an error message when the state is FAILED.
   * A focused button that the new state hides hands focus to the card's first button shown.
   */
  setState(state, problem = "") {
    const s = this.strings;
    const focused = this.hasFocus() ? document.activeElement : null;
    this.state = state;
    this.tag.className = `govuk-tag ${TAG_CLASSES[state]}`;
    this.tag.textContent = s[`status_${state}`];
    this.caption.readOnly = state !== State.READY;
    this.progress.hidden = state === State.READY;
    this.pauseButton.hidden = state !== State.UPLOADING;
    this.resumeButton.hidden = state !== State.PAUSED;
    this.retryButton.hidden = state !== State.FAILED || !this.retryable;
    this.removeButton.hidden = state === State.REMOVING;
    showError(this.error, s.error_prefix, problem);
    this.root.classList.toggle("citizen-file--failed", state === State.FAILED);
    this.showProgress(this.sent, this.file.size);
    if (focused && focused.hidden) {
      this.focusFirstButton();
    }
  }

  focusFirstButton() {
    const buttons = [this.pauseButton, this.resumeButton, this.retryButton, this.removeButton];
    const shown = buttons.find((node) => !node.hidden);
    if (shown) {
      shown.focus();
    }
  }

  /** Show how much has been sent; returns a 25% step newly reached, or 0. */
  showProgress(sent, total) {
    const s = this.strings;
    this.sent = sent;
    const percent = percentOf(sent, total);
    this.progress.value = percent;
    this.statusText.textContent =
      this.state === State.READY
        ? ""
        : fill(s.percent_uploaded, {
            percent,
            sent: humanSize(sent, s.units),
            total: humanSize(total, s.units),
          });
    const step = Math.floor(percent / 25) * 25;
    if (step > this.announcedStep && step < 100) {
      this.announcedStep = step;
      return step;
    }
    return 0;
  }

  /** True when keyboard focus is inside this card (so it can be moved before removal). */
  hasFocus() {
    return this.root.contains(document.activeElement);
  }
}

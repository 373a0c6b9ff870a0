// The upload area: choose files, caption them, upload them with tus, list what arrived.
import { Upload, isSupported } from "tus-js-client";
import { FileCard, State } from "./file-card.js";
import { fill, humanSize, showError } from "./format.js";
import { receivedItem, unfinishedItem } from "./lists.js";

// A phone that loses signal keeps trying for several minutes before the witness is asked.
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000, 60000, 60000];
const RETRYABLE = new Set([0, 408, 409, 423, 429]);
const LINK_CLOSED = new Set([401, 403]);
// Refusals that trying again cannot change: the link is closed or used up (401, 403, which
// include "too many files"), or the file is larger than the link accepts (413).
const FINAL = new Set([...LINK_CLOSED, 413]);

/** Start the upload area described by the page's configuration, if the page has one. */
export function startUploadArea(config) {
  const root = document.querySelector("[data-citizen-upload]");
  if (!root) {
    return;
  }
  if (!isSupported) {
    document.getElementById("upload-unsupported").hidden = false;
    return;
  }
  root.hidden = false;
  new UploadArea(root, config).start();
}

class UploadArea {
  constructor(root, config) {
    this.config = config;
    this.s = config.strings;
    this.input = root.querySelector("#file-input");
    this.inputGroup = root.querySelector("#file-input-group");
    this.inputError = root.querySelector("#file-input-error");
    this.list = root.querySelector("#upload-list");
    this.startButton = root.querySelector("#start-uploads");
    this.startHint = root.querySelector("#start-hint");
    this.announcer = document.getElementById("progress-announcer");
    this.receivedList = document.getElementById("received-list");
    this.receivedNone = document.getElementById("received-none");
    this.receivedHeading = document.getElementById("received-heading");
    this.unfinished = document.getElementById("unfinished");
    this.unfinishedList = document.getElementById("unfinished-list");
    this.form = document.getElementById("finish-form");
    this.summary = document.getElementById("client-error-summary");
    this.cards = [];
    this.server = { received: [], unfinished: [] };
    this.counter = 0;
  }

  start() {
    this.input.addEventListener("change", () => this.addChosenFiles());
    this.startButton.addEventListener("click", () => this.uploadReadyFiles());
    this.form.addEventListener("submit", (event) => this.checkBeforeSending(event));
    window.addEventListener("beforeunload", (event) => {
      if (this.cards.some((card) => card.state === State.UPLOADING)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    // Back online: carry on with files that stopped because the connection went.
    window.addEventListener("online", () => {
      for (const card of this.cards) {
        if (card.state === State.FAILED && card.networkFailure) {
          this.resume(card);
        }
      }
    });
    this.refresh();
  }

  actions() {
    return {
      pause: (card) => this.pause(card),
      resume: (card) => this.resume(card),
      retry: (card) => this.resume(card),
      remove: (card) => this.remove(card),
    };
  }

  addChosenFiles() {
    const s = this.s;
    const problems = [];
    for (const file of Array.from(this.input.files)) {
      if (this.cards.some((card) => sameFile(card.file, file))) {
        continue;
      }
      if (file.size === 0) {
        problems.push(fill(s.error_empty, { name: file.name }));
      } else if (file.size > this.config.maxFileBytes) {
        problems.push(
          fill(s.error_too_big, {
            name: file.name,
            size: humanSize(this.config.maxFileBytes, s.units),
          }),
        );
      } else if (this.filesCounted() >= this.config.maxFiles) {
        problems.push(fill(s.error_too_many, { count: this.config.maxFiles }));
        break;
      } else {
        this.counter += 1;
        const card = new FileCard(file, this.counter, s, this.actions());
        this.cards.push(card);
        this.list.append(card.root);
      }
    }
    this.input.value = "";
    this.showInputError(problems.join(" "));
    this.update();
  }

  filesCounted() {
    const local = this.cards.length;
    return this.server.received.length + this.unfinishedElsewhere().length + local;
  }

  showInputError(message) {
    showError(this.inputError, this.s.error_prefix, message);
    this.inputGroup.classList.toggle("govuk-form-group--error", Boolean(message));
  }

  uploadReadyFiles() {
    this.hideSummary();
    const ready = this.cards.filter((card) => card.state === State.READY);
    for (const card of ready) {
      this.begin(card);
    }
    // The button hides now that nothing waits; focus goes to the first file it started.
    if (ready.length > 0) {
      ready[0].pauseButton.focus();
    }
  }

  begin(card) {
    const file = card.file;
    const token = this.config.token;
    card.upload = new Upload(file, {
      endpoint: this.config.uploadEndpoint,
      headers: { "Exhibit-Upload-Token": token },
      // Bytes per request, as the force's store prefers them (the page's config says).
      chunkSize: this.config.chunkSize,
      retryDelays: RETRY_DELAYS,
      metadata: {
        filename: file.name,
        filetype: file.type || "application/octet-stream",
        caption: card.caption.value.trim(),
      },
      // The link, not just the file, identifies an upload to resume: the same photo sent
      // through two links must become two uploads.
      fingerprint: (chosen) =>
        Promise.resolve(
          ["exhibit", this.config.uploadKey, chosen.name, chosen.type, chosen.size,
            chosen.lastModified].join("-"),
        ),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onShouldRetry: (error) => RETRYABLE.has(statusOf(error)) || statusOf(error) >= 500,
      onProgress: (sent, total) => this.progress(card, sent, total),
      onSuccess: () => this.received(card),
      onError: (error) => this.failed(card, error),
    });
    card.setState(State.UPLOADING);
    card.upload.findPreviousUploads().then((previous) => {
      if (previous.length > 0) {
        card.upload.resumeFromPreviousUpload(previous[0]);
      }
      card.upload.start();
    });
    this.update();
  }

  progress(card, sent, total) {
    const step = card.showProgress(sent, total);
    if (step) {
      this.announce(fill(this.s.announce_progress, { name: card.file.name, percent: step }));
    }
  }

  pause(card) {
    if (card.upload) {
      card.upload.abort(false);
    }
    card.setState(State.PAUSED);
    card.resumeButton.focus();
    this.announce(fill(this.s.announce_paused, { name: card.file.name }));
    this.update();
  }

  resume(card) {
    card.networkFailure = false;
    card.setState(State.UPLOADING);
    card.upload.start();
    this.update();
  }

  received(card) {
    const name = card.file.name;
    this.dropCard(card, this.receivedHeading);
    this.announce(fill(this.s.announce_received, { name }));
    this.refresh();
  }

  failed(card, error) {
    const status = statusOf(error);
    const s = this.s;
    let problem = s.error_upload_failed;
    if (status === 413) {
      problem = fill(s.error_too_big, {
        name: card.file.name,
        size: humanSize(this.config.maxFileBytes, s.units),
      });
    } else if (LINK_CLOSED.has(status)) {
      problem = s.error_link_closed;
    }
    card.networkFailure = status === 0;
    card.retryable = !FINAL.has(status);
    card.setState(State.FAILED, problem);
    this.announce(fill(s.announce_failed, { name: card.file.name }));
    this.update();
  }

  remove(card) {
    // The card's buttons go while it is removed, so focus moves on before they do.
    const neighbour = this.neighbourControl(card);
    neighbour.focus();
    const upload = card.upload;
    if (!upload) {
      this.dropCard(card, neighbour);
      return;
    }
    card.setState(State.REMOVING);
    upload
      .abort(true)
      .then(() => {
        this.dropCard(card, neighbour);
        this.announce(fill(this.s.announce_removed, { name: card.file.name }));
        this.refresh();
      })
      .catch(() => {
        card.setState(State.FAILED, this.s.error_remove_failed);
        this.announce(this.s.error_remove_failed);
      });
  }

  /** The first control of the next card still shown, else the previous one's, else "add files". */
  neighbourControl(card) {
    const staying = this.cards.filter(
      (other) => other === card || other.state !== State.REMOVING,
    );
    const at = staying.indexOf(card);
    const neighbour = staying[at + 1] || staying[at - 1];
    return neighbour ? neighbour.caption : this.input;
  }

  dropCard(card, focusTarget) {
    const hadFocus = card.hasFocus();
    card.root.remove();
    this.cards = this.cards.filter((other) => other !== card);
    if (hadFocus) {
      focusTarget.focus();
    }
    this.update();
  }

  removeUnfinished(entry, itemButton) {
    itemButton.disabled = true;
    Upload.terminate(new URL(entry.url, window.location.href).toString(), {
      headers: { "Exhibit-Upload-Token": this.config.token },
      retryDelays: [0, 1000, 3000],
    })
      .then(() => {
        this.announce(fill(this.s.announce_removed, { name: entry.name }));
        this.input.focus();
        this.refresh();
      })
      .catch(() => {
        itemButton.disabled = false;
        this.announce(this.s.error_remove_failed);
      });
  }

  /** Ask the server what has arrived, and show it. */
  refresh() {
    fetch(this.config.filesUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((files) => {
        if (files) {
          this.server = files;
          this.renderReceived();
          this.renderUnfinished();
          this.update();
        }
      })
      .catch(() => {
        // Offline: the lists stay as they were and refresh after the next upload.
      });
  }

  renderReceived() {
    this.receivedList.replaceChildren(
      ...this.server.received.map((file) => receivedItem(file, this.s)),
    );
    this.receivedNone.hidden = this.server.received.length > 0;
  }

  unfinishedElsewhere() {
    const local = new Set(
      this.cards
        .filter((card) => card.upload && card.upload.url)
        .map((card) => new URL(card.upload.url, window.location.href).pathname),
    );
    return this.server.unfinished.filter(
      (entry) => !local.has(new URL(entry.url, window.location.href).pathname),
    );
  }

  renderUnfinished() {
    const entries = this.unfinishedElsewhere();
    this.unfinished.hidden = entries.length === 0;
    this.unfinishedList.replaceChildren(
      ...entries.map((entry) =>
        unfinishedItem(entry, this.s, (button) => this.removeUnfinished(entry, button)),
      ),
    );
  }

  update() {
    const ready = this.cards.some((card) => card.state === State.READY);
    this.startButton.hidden = !ready;
    this.startHint.hidden = !ready;
    this.renderUnfinished();
  }

  checkBeforeSending(event) {
    const waiting = this.cards.find((card) => card.state === State.READY);
    const busy = this.cards.find((card) => card.state !== State.READY);
    if (!waiting && !busy) {
      return;
    }
    event.preventDefault();
    const message = busy ? this.s.error_still_uploading : this.s.error_not_started;
    this.showSummary(message, `#${(busy || waiting).id}`);
  }

  showSummary(message, target) {
    const s = this.s;
    const list = this.summary.querySelector("ul");
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = target;
    link.textContent = message;
    item.append(link);
    list.replaceChildren(item);
    this.summary.querySelector("h2").textContent = s.error_summary_title;
    this.summary.hidden = false;
    this.summary.focus();
  }

  hideSummary() {
    this.summary.hidden = true;
  }

  announce(message) {
    // Clear first so that the same words said twice are announced twice.
    this.announcer.textContent = "";
    window.setTimeout(() => {
      this.announcer.textContent = message;
    }, 50);
  }
}

function sameFile(a, b) {
  return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
}

function statusOf(error) {
  return error && error.originalResponse ? error.originalResponse.getStatus() : 0;
}

// The citizen pages' script: GOV.UK Frontend's components, and the upload area.
//
// The upload area only exists on the upload page. Files go to the tus server with the link's
// token in a request header (never in a URL), in chunks, retried on flaky connections and
// resumable after a reload when the witness chooses the same file again.
import {
  Button,
  CharacterCount,
  Checkboxes,
  ErrorSummary,
  SkipLink,
  createAll,
} from "govuk-frontend";
import { startUploadArea } from "./uploads/area.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
createAll(SkipLink);
createAll(ErrorSummary);
createAll(CharacterCount);
createAll(Checkboxes);
createAll(Button);

const config = document.getElementById("citizen-config");
if (config) {
  startUploadArea(JSON.parse(config.textContent));
}

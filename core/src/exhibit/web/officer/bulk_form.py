"""The bulk action form on a case page: what the officer chose, kept to show it again.

A refused bulk action re-shows the case page with the same items ticked, the same action
chosen and the same text typed, so the officer puts one thing right instead of starting over.
"""

from dataclasses import dataclass

from litestar.datastructures import FormMultiDict

from exhibit.web.officer.form_values import whole_number
from exhibit.web.officer.forms import FieldError

BULK_ACTIONS = ("accept", "decline", "tag")


@dataclass(frozen=True)
class BulkChoice:
    """The action, the ticked items, the typed reason and tag, and the page of items shown."""

    action: str = "accept"
    item_ids: tuple[int, ...] = ()
    reason: str = ""
    tag: str = ""
    page: int = 1

    @classmethod
    def from_form(cls, form: FormMultiDict) -> "BulkChoice":
        """What the posted form says; anything that is not an item id is left out."""
        ids = {n for v in form.getall("item", []) if (n := whole_number(str(v))) is not None}
        return cls(
            action=str(form.get("action", "")),
            item_ids=tuple(sorted(ids)),
            reason=str(form.get("reason", "")),
            tag=str(form.get("tag", "")),
            page=whole_number(str(form.get("page", ""))) or 1,
        )

    def error(self, message: str) -> FieldError:
        """``message`` against the field the officer needs to put right."""
        if self.action not in BULK_ACTIONS:
            return FieldError("bulk-action", message)
        if not self.item_ids:
            return FieldError("bulk-items", message)
        if self.action == "decline" and not self.reason.strip():
            return FieldError("bulk-reason", message)
        if self.action == "tag" and not self.tag.strip():
            return FieldError("bulk-tag", message)
        return FieldError("bulk-items", message)

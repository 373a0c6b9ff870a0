"""Every word a witness reads, in English and Welsh: on the pages and in the messages sent.

A message is looked up by key and filled with ``str.format`` values. The page's script gets
its own strings (``SCRIPT_KEYS``) in the page, in the page's language. The texts a force
writes itself come in both languages too (``force_text`` picks one).
"""

from collections.abc import Mapping
from typing import Final

ENGLISH: Final = "en"
WELSH: Final = "cy"
LANGUAGES: Final = (ENGLISH, WELSH)

# key: (English, Welsh)
MESSAGES: Final[Mapping[str, tuple[str, str]]] = {
    # The page frame
    "service_name": ("Send evidence to the police", "Anfon tystiolaeth at yr heddlu"),
    "skip_link": ("Skip to main content", "Neidio i'r prif gynnwys"),
    "language_nav": ("Language", "Iaith"),
    "footer": ("This service is run by {force}.", "{force} sy'n rhedeg y gwasanaeth hwn."),
    "footer_generic": (
        "This service is run by the police force that sent you the link.",
        "Yr heddlu a anfonodd y ddolen atoch sy'n rhedeg y gwasanaeth hwn.",
    ),
    "emergency": (
        "In an emergency, call 999. This service is not monitored all the time.",
        "Mewn argyfwng, ffoniwch 999. Nid yw'r gwasanaeth hwn yn cael ei fonitro drwy'r amser.",
    ),
    "error_prefix": ("Error:", "Gwall:"),
    "warning": ("Warning", "Rhybudd"),
    "error_title_prefix": ("Error: ", "Gwall: "),
    "error_summary_title": ("There is a problem", "Mae problem wedi codi"),
    # The upload page
    "upload_title": ("Send your photos and videos", "Anfonwch eich lluniau a'ch fideos"),
    "upload_intro": (
        "{force} has asked you to send photos, videos, audio or documents that may help "
        "with an investigation.",
        "Mae {force} wedi gofyn i chi anfon lluniau, fideos, sain neu ddogfennau a allai "
        "helpu gydag ymchwiliad.",
    ),
    "message_heading": ("Message from the officer", "Neges gan y swyddog"),
    "incident_heading": ("What this is about", "Beth yw hyn"),
    "incident_when": ("Date and time", "Dyddiad ac amser"),
    "incident_where": ("Place", "Lle"),
    "expires": ("This link works until {when}.", "Mae'r ddolen hon yn gweithio tan {when}."),
    "do_not_share": (
        "Do not share this link. Anyone who has it can send files to the police.",
        "Peidiwch â rhannu'r ddolen hon. Gall unrhyw un sydd â hi anfon ffeiliau at yr heddlu.",
    ),
    "privacy_summary": ("How we use your information", "Sut rydym yn defnyddio eich gwybodaeth"),
    "privacy_default": (
        "{force} will use what you send only for this investigation and any case that "
        "follows from it. Contact {force} to find out more.",
        "Bydd {force} yn defnyddio'r hyn a anfonwch ar gyfer yr ymchwiliad hwn ac unrhyw "
        "achos sy'n deillio ohono yn unig. Cysylltwch â {force} i gael gwybod mwy.",
    ),
    "noscript": (
        "You need JavaScript turned on to upload files on this page. Turn it on in your "
        "browser's settings, or contact the officer who sent you this link.",
        "Mae angen i JavaScript fod ymlaen i lwytho ffeiliau i fyny ar y dudalen hon. "
        "Trowch ef ymlaen yng ngosodiadau eich porwr, neu cysylltwch â'r swyddog a anfonodd "
        "y ddolen hon atoch.",
    ),
    "unsupported": (
        "Your browser cannot upload files on this page. Try a different browser, or contact "
        "the officer who sent you this link.",
        "Ni all eich porwr lwytho ffeiliau i fyny ar y dudalen hon. Rhowch gynnig ar borwr "
        "gwahanol, neu cysylltwch â'r swyddog a anfonodd y ddolen hon atoch.",
    ),
    "add_files_heading": ("Add your files", "Ychwanegu eich ffeiliau"),
    "file_input_label": (
        "Choose photos, videos, audio or documents",
        "Dewiswch luniau, fideos, sain neu ddogfennau",
    ),
    "file_input_hint": (
        "You can send up to {count} files. Each file can be up to {size}.",
        "Gallwch anfon hyd at {count} o ffeiliau. Gall pob ffeil fod hyd at {size}.",
    ),
    "start_hint": (
        "Add a description to each file if you want to, then select Upload files. Large "
        "videos can take a long time: keep this page open until each file says Received. "
        "If your connection drops, the upload carries on when it comes back.",
        "Ychwanegwch ddisgrifiad at bob ffeil os hoffech, yna dewiswch Llwytho'r ffeiliau i "
        "fyny. Gall fideos mawr gymryd amser hir: cadwch y dudalen hon ar agor nes bod pob "
        "ffeil yn dweud Wedi dod i law. Os bydd eich cysylltiad yn torri, bydd y llwytho'n "
        "parhau pan ddaw'n ôl.",
    ),
    "start_uploads": ("Upload files", "Llwytho'r ffeiliau i fyny"),
    "received_heading": ("Files we have received", "Ffeiliau rydym wedi'u cael"),
    "received_none": ("None yet.", "Dim eto."),
    "unfinished_heading": (
        "Files that did not finish uploading",
        "Ffeiliau na orffennodd lwytho i fyny",
    ),
    "unfinished_help": (
        "To carry on, choose the same file again above: it continues from where it stopped. "
        "Or remove it if you do not want to send it.",
        "I barhau, dewiswch yr un ffeil eto uchod: bydd yn parhau o'r man lle stopiodd. Neu "
        "tynnwch hi os nad ydych am ei hanfon.",
    ),
    "send_heading": ("Send your files", "Anfon eich ffeiliau"),
    "send_hint": (
        "When you send, the officer can see your files. You cannot add more files after you send.",
        "Pan fyddwch yn anfon, gall y swyddog weld eich ffeiliau. Ni allwch ychwanegu rhagor "
        "o ffeiliau ar ôl i chi anfon.",
    ),
    "statement_label": (
        "Tell us anything else about your files (optional)",
        "Dywedwch unrhyw beth arall wrthym am eich ffeiliau (dewisol)",
    ),
    "statement_hint": (
        "For example, where and when you took them. Keep it short: an officer may contact "
        "you for a full statement.",
        "Er enghraifft, ble a phryd y gwnaethoch eu tynnu. Cadwch hi'n fyr: efallai y bydd "
        "swyddog yn cysylltu â chi i gael datganiad llawn.",
    ),
    "statement_count": (
        "You can enter up to {count} characters",
        "Gallwch roi hyd at {count} o nodau",
    ),
    "confirm_legend": ("Check before you send", "Gwiriwch cyn anfon"),
    "confirm_label": (
        "I confirm these files are mine to share and that what I have told you is true.",
        "Rwy'n cadarnhau bod gennyf hawl i rannu'r ffeiliau hyn a bod yr hyn a ddywedais "
        "wrthych yn wir.",
    ),
    "send_button": ("Send", "Anfon"),
    "error_confirm": (
        "Confirm that these files are yours to share and that what you have told us is true",
        "Cadarnhewch fod gennych hawl i rannu'r ffeiliau hyn a bod yr hyn a ddywedoch wrthym "
        "yn wir",
    ),
    "error_no_files": (
        "Add at least one file before you send",
        "Ychwanegwch o leiaf un ffeil cyn anfon",
    ),
    "error_still_uploading": (
        "Wait for your files to finish uploading, or remove them",
        "Arhoswch i'ch ffeiliau orffen llwytho i fyny, neu tynnwch nhw",
    ),
    "error_not_started": (
        "Upload the files you chose, or remove them, before you send",
        "Llwythwch y ffeiliau a ddewisoch i fyny, neu tynnwch nhw, cyn anfon",
    ),
    "error_statement_long": (
        "Your message must be {count} characters or fewer",
        "Rhaid i'ch neges fod yn {count} o nodau neu lai",
    ),
    "error_not_sent": (
        "Your files could not be sent. Try again",
        "Nid oedd modd anfon eich ffeiliau. Rhowch gynnig arall arni",
    ),
    # Words the page's script shows (see SCRIPT_KEYS)
    "caption_label": ("Describe this file (optional)", "Disgrifiwch y ffeil hon (dewisol)"),
    "caption_hint": (
        "For example, what it shows. You cannot change this once the upload starts.",
        "Er enghraifft, beth mae'n ei ddangos. Ni allwch newid hyn ar ôl i'r llwytho ddechrau.",
    ),
    "progress_label": ("Upload progress for {name}", "Cynnydd llwytho {name}"),
    "pause": ("Pause", "Oedi"),
    "resume": ("Resume", "Ailddechrau"),
    "retry": ("Try again", "Rhoi cynnig arall arni"),
    "remove": ("Remove", "Tynnu"),
    "status_ready": ("Ready to upload", "Yn barod i'w llwytho"),
    "status_uploading": ("Uploading", "Yn llwytho"),
    "status_paused": ("Paused", "Wedi oedi"),
    "status_failed": ("Not uploaded", "Heb ei llwytho"),
    "status_removing": ("Removing", "Yn tynnu"),
    "status_received": ("Received", "Wedi dod i law"),
    "received_check": ("We need to check this file.", "Mae angen i ni wirio'r ffeil hon."),
    "percent_uploaded": (
        "{percent}% uploaded ({sent} of {total})",
        "{percent}% wedi'i lwytho ({sent} o {total})",
    ),
    "unfinished_progress": ("{sent} of {total} received", "{sent} o {total} wedi dod i law"),
    "announce_progress": ("{name}: {percent}% uploaded", "{name}: {percent}% wedi'i lwytho"),
    "announce_received": ("{name} received", "{name} wedi dod i law"),
    "announce_paused": ("{name} paused", "{name} wedi oedi"),
    "announce_failed": ("{name} did not upload", "Ni lwythodd {name}"),
    "announce_removed": ("{name} removed", "{name} wedi'i thynnu"),
    "error_empty": (
        "{name} is empty. Choose a different file.",
        "Mae {name} yn wag. Dewiswch ffeil wahanol.",
    ),
    "error_too_big": (
        "{name} is bigger than {size}. Choose a smaller file.",
        "Mae {name} yn fwy na {size}. Dewiswch ffeil lai.",
    ),
    "error_too_many": (
        "You can send up to {count} files.",
        "Gallwch anfon hyd at {count} o ffeiliau.",
    ),
    "error_upload_failed": (
        "The upload stopped. Check your connection, then select Try again.",
        "Stopiodd y llwytho. Gwiriwch eich cysylltiad, yna dewiswch Rhoi cynnig arall arni.",
    ),
    "error_link_closed": (
        "This link no longer accepts files. Contact the officer who sent it.",
        "Nid yw'r ddolen hon yn derbyn ffeiliau mwyach. Cysylltwch â'r swyddog a'i hanfonodd.",
    ),
    "error_remove_failed": (
        "The file could not be removed. Try again.",
        "Nid oedd modd tynnu'r ffeil. Rhowch gynnig arall arni.",
    ),
    # The receipt
    "receipt_title": ("Evidence sent", "Tystiolaeth wedi'i hanfon"),
    "receipt_reference": ("Your reference", "Eich cyfeirnod"),
    "receipt_intro": ("{force} has received your files.", "Mae {force} wedi cael eich ffeiliau."),
    "receipt_when": ("You sent them on {when}.", "Fe wnaethoch eu hanfon ar {when}."),
    "receipt_copy": (
        "We have also sent you this receipt by text message or email.",
        "Rydym hefyd wedi anfon y dderbynneb hon atoch drwy neges destun neu e-bost.",
    ),
    "receipt_files_heading": ("What you sent", "Beth anfonoch chi"),
    "receipt_size": ("Size", "Maint"),
    "receipt_sha256": ("SHA-256 fingerprint", "Ôl bys SHA-256"),
    "receipt_sha256_help": (
        "A SHA-256 fingerprint is a code worked out from a file's contents. It shows that "
        "the file we keep is exactly the one you sent.",
        "Cod sy'n cael ei gyfrifo o gynnwys ffeil yw ôl bys SHA-256. Mae'n dangos mai'r "
        "ffeil rydym yn ei chadw yw'r union un a anfonoch.",
    ),
    "receipt_caption": ("Your description", "Eich disgrifiad"),
    "receipt_statement_heading": ("What you told us", "Beth ddywedoch wrthym"),
    "next_heading": ("What happens next", "Beth sy'n digwydd nesaf"),
    "next_review": (
        "An officer will look at what you sent. They will contact you if they need anything else.",
        "Bydd swyddog yn edrych ar yr hyn a anfonoch. Byddant yn cysylltu â chi os oes angen "
        "unrhyw beth arall arnynt.",
    ),
    "next_keep": (
        "Keep the original files. Do not edit them or share them on social media.",
        "Cadwch y ffeiliau gwreiddiol. Peidiwch â'u golygu na'u rhannu ar y cyfryngau "
        "cymdeithasol.",
    ),
    "next_save": (
        "You may want to save or print this page.",
        "Efallai yr hoffech gadw neu argraffu'r dudalen hon.",
    ),
    "contact_heading": ("Contact {force}", "Cysylltu â {force}"),
    "contact_reference": (
        "Give your reference if you contact us.",
        "Rhowch eich cyfeirnod os byddwch yn cysylltu â ni.",
    ),
    # Links that cannot be used
    "unknown_title": ("This link does not work", "Nid yw'r ddolen hon yn gweithio"),
    "unknown_body": (
        "Check that you copied the whole link from the message you were sent.",
        "Gwiriwch eich bod wedi copïo'r ddolen gyfan o'r neges a anfonwyd atoch.",
    ),
    "unknown_next": (
        "If it still does not work, contact the officer who sent it to you.",
        "Os nad yw'n gweithio o hyd, cysylltwch â'r swyddog a'i hanfonodd atoch.",
    ),
    "expired_title": ("This link has expired", "Mae'r ddolen hon wedi dod i ben"),
    "expired_body": (
        "Links to send evidence only work for a limited time.",
        "Dim ond am gyfnod cyfyngedig y mae dolenni i anfon tystiolaeth yn gweithio.",
    ),
    "expired_next": (
        "If you still want to send evidence, contact the officer who asked you. They can "
        "send you a new link.",
        "Os ydych am anfon tystiolaeth o hyd, cysylltwch â'r swyddog a ofynnodd i chi. Gallant "
        "anfon dolen newydd atoch.",
    ),
    "expired_receipt": (
        "If you already sent files, we sent your receipt to you by text message or email.",
        "Os ydych eisoes wedi anfon ffeiliau, anfonwyd eich derbynneb atoch drwy neges destun "
        "neu e-bost.",
    ),
    "revoked_title": ("This link has been cancelled", "Mae'r ddolen hon wedi'i chanslo"),
    "revoked_body": (
        "The officer who sent this link has cancelled it. You cannot use it to send files.",
        "Mae'r swyddog a anfonodd y ddolen hon wedi'i chanslo. Ni allwch ei defnyddio i anfon "
        "ffeiliau.",
    ),
    "revoked_next": (
        "If you think this is a mistake, contact the officer who sent it.",
        "Os ydych yn credu bod hyn yn gamgymeriad, cysylltwch â'r swyddog a'i hanfonodd.",
    ),
    "service_problem_title": (
        "Sorry, there is a problem with the service",
        "Mae'n ddrwg gennym, mae problem gyda'r gwasanaeth",
    ),
    "service_problem_body": (
        "Open the link in the message you were sent again.",
        "Agorwch y ddolen yn y neges a anfonwyd atoch eto.",
    ),
    "too_many_title": ("Too many attempts", "Gormod o ymdrechion"),
    "too_many_body": (
        "Wait a few minutes, then try again.",
        "Arhoswch ychydig funudau, yna rhowch gynnig arall arni.",
    ),
    # Messages sent to the witness by text message or email. The Welsh words use no letter
    # outside the GSM alphabet (no â, ŵ, ŷ): one such letter sends the whole text as UCS-2,
    # 70 characters a segment instead of 160.
    "link_message_subject": ("please send your evidence", "anfonwch eich tystiolaeth"),
    "link_message_intro": (
        "{force} is asking you to send photos or videos as evidence.",
        "Mae {force} yn gofyn i chi anfon lluniau neu fideos fel tystiolaeth.",
    ),
    "link_message_upload": ("Upload them securely here", "Llwythwch nhw i fyny'n ddiogel yma"),
    "link_message_expires": (
        "The link works until {when}. Do not share it.",
        "Mae'r ddolen yn gweithio tan {when}. Cadwch hi'n gyfrinachol.",
    ),
    "reminder_message_subject": (
        "reminder to send your evidence",
        "nodyn atgoffa i anfon eich tystiolaeth",
    ),
    "reminder_message_intro": (
        "Reminder from {force}: you can still send photos or videos as evidence.",
        "Nodyn atgoffa gan {force}: gallwch anfon lluniau neu fideos fel tystiolaeth o hyd.",
    ),
    "reminder_message_expires": (
        "The link stops working on {when}. Do not share it.",
        "Mae'r ddolen yn stopio gweithio ar {when}. Cadwch hi'n gyfrinachol.",
    ),
    "receipt_message_subject": ("{force}: receipt {reference}", "{force}: derbynneb {reference}"),
    "receipt_message_intro": (
        "{force} has received your evidence. Reference: {reference}",
        "Mae {force} wedi cael eich tystiolaeth. Cyfeirnod: {reference}",
    ),
    "receipt_message_cut": (
        "Not every file fits in a text: the confirmation page listed them all, or ask us "
        "quoting {reference}.",
        "Nid yw pob ffeil yn ffitio mewn neges destun: roedd y dudalen gadarnhau yn eu "
        "rhestru i gyd, neu gofynnwch i ni gan nodi {reference}.",
    ),
    "message_questions": ("Questions", "Cwestiynau"),
    # Sizes and dates
    "size_exact": ("{count} bytes", "{count} beit"),
    "date_time": ("{date} at {time}", "{date} am {time}"),
    "am": ("am", "yb"),
    "pm": ("pm", "yh"),
}

MONTHS: Final[Mapping[str, tuple[str, ...]]] = {
    ENGLISH: (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    WELSH: (
        "Ionawr",
        "Chwefror",
        "Mawrth",
        "Ebrill",
        "Mai",
        "Mehefin",
        "Gorffennaf",
        "Awst",
        "Medi",
        "Hydref",
        "Tachwedd",
        "Rhagfyr",
    ),
}

SIZE_UNITS: Final[Mapping[str, tuple[str, ...]]] = {
    ENGLISH: ("bytes", "KB", "MB", "GB", "TB"),
    WELSH: ("beit", "KB", "MB", "GB", "TB"),
}

# GOV.UK Frontend's character count in Welsh, as its ``data-i18n.*`` attributes. Welsh has
# six plural forms; numbers take the singular noun after "1" and "o" with the plural after
# the rest.
_LEFT = "Mae gennych %{count} o nodau ar ôl"
_OVER = "Mae gennych %{count} o nodau yn ormod"
CHARACTER_COUNT_WELSH: Final[Mapping[str, str]] = {
    **{f"characters-under-limit.{form}": _LEFT for form in ("zero", "two", "few", "many", "other")},
    "characters-under-limit.one": "Mae gennych %{count} nod ar ôl",
    "characters-at-limit": "Mae gennych 0 o nodau ar ôl",
    **{f"characters-over-limit.{form}": _OVER for form in ("zero", "two", "few", "many", "other")},
    "characters-over-limit.one": "Mae gennych %{count} nod yn ormod",
}

SCRIPT_KEYS: Final = (
    "caption_label",
    "caption_hint",
    "progress_label",
    "pause",
    "resume",
    "retry",
    "remove",
    "status_ready",
    "status_uploading",
    "status_paused",
    "status_failed",
    "status_removing",
    "status_received",
    "received_check",
    "percent_uploaded",
    "unfinished_progress",
    "announce_progress",
    "announce_received",
    "announce_paused",
    "announce_failed",
    "announce_removed",
    "error_prefix",
    "error_summary_title",
    "error_empty",
    "error_too_big",
    "error_too_many",
    "error_upload_failed",
    "error_link_closed",
    "error_remove_failed",
    "error_still_uploading",
    "error_not_started",
)


def translate(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` (English for anything else), filled with ``values``."""
    english, welsh = MESSAGES[key]
    text = welsh if lang == WELSH else english
    return text.format(**values) if values else text


def force_text(english: str, welsh: str, lang: str) -> str:
    """One of the force's own texts (contact details, privacy notice) in ``lang``: the Welsh
    version on a Welsh page or message, the English one where the force left Welsh empty."""
    return (welsh if lang == WELSH else "") or english


class Translator:
    """``translate`` bound to one language, for templates: ``t("key", force=...)``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else ENGLISH

    def __call__(self, key: str, **values: object) -> str:
        return translate(self.lang, key, **values)


def script_strings(lang: str) -> dict[str, object]:
    """The strings the upload script needs, unfilled (it fills ``{name}`` and the like)."""
    strings: dict[str, object] = {key: translate(lang, key) for key in SCRIPT_KEYS}
    strings["units"] = list(SIZE_UNITS[lang if lang in LANGUAGES else ENGLISH])
    return strings


def choose_language(requested: str | None, remembered: str | None, *, welsh_enabled: bool) -> str:
    """The page's language: the one asked for by ``?lang=``, else the one remembered in the
    cookie; Welsh only where the force offers it."""
    if not welsh_enabled:
        return ENGLISH
    for choice in (requested, remembered):
        if choice in LANGUAGES:
            return choice
    return ENGLISH

"""The human-readable schedule of a bundle's exhibits, in the shape of an MG6C list."""

from html import escape

from exhibit.sharing.bundle_format import Manifest


def schedule_html(manifest: Manifest) -> str:
    """An HTML page listing each exhibit: item number, description, reference, copy, hash."""
    rows = "\n".join(
        "<tr>"
        f"<td>{e.item_number}</td>"
        f"<td>{escape(e.description)}</td>"
        f"<td>{escape(e.exhibit_reference)}</td>"
        f"<td>{escape(e.copy)}</td>"
        f"<td><code>{escape(e.file.sha256)}</code></td>"
        f"<td><code>{escape(e.original_sha256)}</code></td>"
        "</tr>"
        for e in manifest.exhibits
    )
    share = manifest.share
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8">
<title>Schedule of exhibits: {escape(share.case_reference)}</title></head>
<body>
<h1>Schedule of exhibits (MG6C)</h1>
<p>Force: {escape(manifest.force_name)}. Case: {escape(share.case_reference)}.
Share {share.id}, exported {manifest.exported_at.isoformat()}.</p>
<table border="1">
<thead><tr><th>Item no.</th><th>Description</th><th>Reference</th><th>Copy shared</th>
<th>SHA-256 of file</th><th>SHA-256 of original</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p>Check this bundle with <code>exhibit verify BUNDLE --public-key FORCE-KEY.pem</code>.</p>
</body>
</html>
"""

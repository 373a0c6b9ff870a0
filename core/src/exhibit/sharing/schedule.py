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
<h2>How to check this bundle</h2>
<p>It was signed with the force's key whose fingerprint is
<code>{escape(manifest.signing_key)}</code>. Confirm that fingerprint with the force by
another channel than the one that brought this bundle (a phone call), and ask the force
for its public key file (PEM).</p>
<p>With Exhibit, offline: <code>exhibit verify BUNDLE --public-key FORCE-KEY.pem</code>
checks every file, the signature and the audit segment, and names anything that fails.</p>
<p>Without Exhibit: unzip the bundle; <code>sha256sum files/*</code> must give the hashes in
the table above (and in <code>manifest.json</code>); the signature in
<code>signature.json</code> (base64) is Ed25519 over the exact bytes of
<code>manifest.json</code>, checked with OpenSSL 3 as
<code>openssl pkeyutl -verify -pubin -inkey FORCE-KEY.pem -rawin -in manifest.json
-sigfile SIGNATURE.bin</code> once decoded into <code>SIGNATURE.bin</code>. The force's guide
"Verifying evidence" gives every step, the audit segment's too.</p>
</body>
</html>
"""

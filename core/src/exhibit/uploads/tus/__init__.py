"""The tus 1.0.0 resumable upload server at ``/uploads/``.

``protocol`` parses and formats tus headers (pure functions), ``handlers`` speaks HTTP,
``service`` creates, writes and terminates uploads over the database and the force's
storage backend without knowing HTTP, ``access`` turns a link token into what it may do,
``lease`` lets one request at a time write to an upload across processes, and ``sweep``
clears uploads that were abandoned.
"""

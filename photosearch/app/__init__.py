"""The application layer: the person's verbs, each written once, called by the CLI and the GUI alike.

- ``query``: ``Query`` (what to look for: text, one or several photos, composed, filters) and ``QueryKind``;
  validation with plain-words errors.
- ``search``: ``search(query, engine, catalog)`` — the one entry for every kind, ``browse`` (the library by
  date), ``duplicates``.
- ``folders``: add, remove, pause, list (through the running indexing service when there is one).
- ``index``: a one-shot indexing run with progress; ``status``: what the library holds and how healthy it is;
  ``doctor``: checks and repairs. ``session``: opening the library (writable, or read-only when another
  process writes). Model verbs: ``models`` (H-models).

Front ends parse input and show output; they hold no logic of their own. Nothing here imports Qt or prints.
"""

"""CSV exports of the moderators' lists (messages, edit history, users, audit log),
below the admin: what an export contains and how its rows are chosen, written and
audited, for the admin's stream and for the background job alike.

- ``resources``: the columns (django-import-export ModelResources whose every
  column is a database path): the allow-list of what is ever exported.
- ``rules``: what each model's rows may be selected by (lookups, named conditions
  that are QuerySet methods or selectors, search).
- ``selection``: ``ExportSelection``, an export described as plain data (model,
  columns, filters, search, ordering) that the admin builds from its changelist
  and a job keeps in its params; its ``rows()`` is the one queryset construction.
- ``csv_writer``: rows from one ``values_list(...).iterator()`` query to CSV,
  chunk by chunk, every text cell sanitised against formula injection.
- ``audit``: the one audit entry of an export, keeping no search words.
- ``jobs``: the ``Job.Kind.EXPORT`` handler (registered in ``ExportsConfig.ready``);
  the file itself is written, served and forgotten by ``jobs.export_files``.
"""

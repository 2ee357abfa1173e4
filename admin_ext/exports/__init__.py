"""CSV exports of the moderators' admin lists (messages, edit history, users, audit log).

- ``resources``: what each export contains (django-import-export ModelResources whose
  every column is a database path).
- ``csv_writer``: rows from one ``values_list(...).iterator()`` query to CSV, chunk by
  chunk, text cells sanitised against formula injection.
- ``selection``: the rows of the changelist (filters, search, ordering), for a request
  or rebuilt for a background job.
- ``mixins``: the admin integration (``CsvExportAdminMixin``): stream, or start a job.
- ``audit``: the one audit entry of an export, keeping no search words.
- ``files``: the ``Job.Kind.EXPORT`` handler (registered in ``AdminExtConfig.ready``);
  the file itself is written, served and forgotten by ``jobs.export_files``.
"""

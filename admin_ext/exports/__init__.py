"""CSV exports in the moderators' admin: the button, form and permission of
django-import-export, over the exports app (rows, columns, writer, job, audit).

- ``mixins``: ``CsvExportAdminMixin``: the export page; stream, or start a job.
- ``selection``: the request's changelist described as an ``ExportSelection``
  (filters, search, ordering), the one thing the stream and the job run.
- ``audit``: what the audit entry and a finished job may keep of the list's
  query string (ids, dates, choices; never search words or typed text).
"""

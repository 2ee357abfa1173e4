"""Template filters for the one way to show time (``moderation_site.time_format``),
for the admin's templates and the user pages alike: ``{% load desk_time %}``
(registered as a library in TEMPLATES, since moderation_site is not an app).

- ``{{ moment|timestamp }}``: "2026-12-02 14:05 UTC"
- ``{{ moment|time_element }}``: the same inside <time datetime="...">
- ``{{ moment|age_element }}``: "3 h ago" inside <time>, the absolute time as its title
"""

from __future__ import annotations

from django import template

from moderation_site import time_format

register = template.Library()

register.filter("timestamp", time_format.format_timestamp)
register.filter("relative_age", time_format.relative_age)
register.filter("time_element", time_format.time_element)
register.filter("age_element", time_format.age_element)

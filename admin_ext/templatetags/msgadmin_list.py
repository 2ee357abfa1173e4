"""A light messages list (admin/messaging/message/change_list_results.html).

unfold writes every cell with the same 150 characters of Tailwind classes: on a
page of 100 messages that was 270 KB of the list's 480 KB. The cells keep their
``field-<name>`` class and lose the rest, which ``messages.css`` gives the
list's table once (``.msgadmin-results``).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from unfold.templatetags.unfold_list import TABLE_ACTION_CELL_CLASSES, TABLE_CELL_CLASSES

register = template.Library()

_CELL_CLASSES = " " + " ".join(TABLE_CELL_CLASSES)
_ACTION_CELL_CLASSES = " ".join(TABLE_ACTION_CELL_CLASSES)


@register.filter
def light_cell(cell: SafeString) -> SafeString:
    """``cell`` (a cell unfold rendered, escaped already) without its shared classes."""
    return mark_safe(  # noqa: S308 - the cell was built escaped; only its class text goes
        cell.replace(_CELL_CLASSES, "").replace(_ACTION_CELL_CLASSES, "action-checkbox")
    )

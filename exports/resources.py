"""What each export contains: one django-import-export ModelResource per model.

Every column is a plain field whose ``attribute`` is a database path
(``sender__username``, ``thread_id``): no ``dehydrate_*`` method and no Python
property, so the CSV writer can read all columns with one ``values_list`` query
(``export_columns``). The admin's export form offers their fields as choosable
columns (its ``resource_classes``); an export job names its resource and fields,
found again here (``resource_named``) without the admin.

Never exported: passwords, e-mail addresses, and anything not listed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from import_export import resources
from import_export.fields import Field
from import_export.widgets import JSONWidget

from audit.models import AuditEntry
from exports.csv_writer import ExportColumn, sanitise_cell
from messaging.models import Message, MessageHistory


class UnknownExportField(ValueError):
    """A field name that the resource does not declare (a forged form or job)."""


class SanitisedModelResource(resources.ModelResource):
    """A resource whose own export path (``resource.export()``, a tablib Dataset)
    sanitises text cells like the CSV writer does.

    The admin never uses that path (it builds a whole Dataset in memory); this
    keeps anyone who calls it from writing live formulas. import-export's own
    escaping (IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT) only strips a leading "=".
    """

    def export_field(self, field: Field, instance: Any, **kwargs: Any) -> Any:
        rendered = super().export_field(field, instance, **kwargs)
        raw = field.get_value(instance)
        # Text (and JSON) cells only: a number or a date rendered as text is not
        # a formula, and "-2" must stay a number.
        if isinstance(rendered, str) and isinstance(raw, str | dict | list):
            return sanitise_cell(rendered)
        return rendered


class MessageResource(SanitisedModelResource):
    sender = Field(attribute="sender__username", column_name="sender")
    receiver = Field(attribute="receiver__username", column_name="receiver")
    thread_id = Field(attribute="thread_id", column_name="thread_id")
    parent_id = Field(attribute="parent_message_id", column_name="parent_id")

    class Meta:
        model = Message
        fields = (
            "id",
            "sender",
            "receiver",
            "content",
            "timestamp",
            "thread_id",
            "parent_id",
            "depth",
            "edited",
            "edited_at",
            "read",
            "is_tombstone",
        )
        export_order = fields


class MessageHistoryResource(SanitisedModelResource):
    message_id = Field(attribute="message_id", column_name="message_id")
    editor = Field(attribute="edited_by__username", column_name="editor")

    class Meta:
        model = MessageHistory
        fields = ("id", "message_id", "old_content", "edited_at", "editor")
        export_order = fields


class UserResource(SanitisedModelResource):
    class Meta:
        model = get_user_model()
        # An allow-list: never the password hash or the e-mail address.
        fields = (
            "id",
            "username",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "date_joined",
        )
        export_order = fields


class AuditEntryResource(SanitisedModelResource):
    details = Field(attribute="details", column_name="details", widget=JSONWidget())

    class Meta:
        model = AuditEntry
        fields = (
            "id",
            "created_at",
            "actor_username",
            "action",
            "target_user_id",
            "target_username",
            "case_id",
            "reason",
            "details",
        )
        export_order = fields


# Every resource an export may name: the allow-list of exported columns.
RESOURCES: tuple[type[SanitisedModelResource], ...] = (
    MessageResource,
    MessageHistoryResource,
    UserResource,
    AuditEntryResource,
)


def resource_named(model_label: str, name: str) -> type[SanitisedModelResource]:
    """The resource class ``name`` ("MessageResource") of ``model_label``; an
    unknown name, or one of another model, raises ``UnknownExportField``."""
    for resource_class in RESOURCES:
        if (
            resource_class.__name__ == name
            and resource_class._meta.model._meta.label_lower == model_label
        ):
            return resource_class
    raise UnknownExportField(f"Unknown export resource {name!r} for {model_label}.")


def export_columns(
    resource_class: type[resources.ModelResource], field_names: Iterable[str] | None = None
) -> list[ExportColumn]:
    """The CSV columns of ``resource_class``, in its export order: all of them, or
    those named in ``field_names`` (resource field names, as the export form and a
    job's params give them). An unknown name raises ``UnknownExportField``."""
    resource = resource_class()
    if field_names is not None:
        field_names = list(field_names)
        unknown = sorted(set(field_names) - set(resource.fields))
        if unknown:
            raise UnknownExportField(
                f"Unknown export field{'s' if len(unknown) > 1 else ''} for "
                f"{resource_class._meta.model._meta.verbose_name_plural}: {', '.join(unknown)}. "
                f"Known: {', '.join(resource.get_export_order())}."
            )
        if not field_names:
            raise UnknownExportField("Choose at least one field to export.")
    columns = []
    for field in resource.get_export_fields(selected_fields=field_names):
        name = resource.get_field_name(field)
        if not field.attribute or callable(getattr(resource, f"dehydrate_{name}", None)):
            raise ImproperlyConfigured(
                f"{resource_class.__name__}.{name} must be a database path "
                "(the CSV writer reads every column with one values_list query)."
            )
        columns.append(
            ExportColumn(
                name=name,
                header=str(field.column_name),
                path=field.attribute,
                is_json=isinstance(field.widget, JSONWidget),
            )
        )
    return columns

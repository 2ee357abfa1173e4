"""Form data the admin's change pages expect on POST."""

# The message change form's inline formsets are read-only, so a POST sends no
# forms for them, only their management forms.
INLINE_MANAGEMENT_FORMS = {
    f"{prefix}-{key}": value
    for prefix in ("history", "notifications")
    for key, value in (
        ("TOTAL_FORMS", "0"),
        ("INITIAL_FORMS", "0"),
        ("MIN_NUM_FORMS", "0"),
        ("MAX_NUM_FORMS", "1000"),
    )
}

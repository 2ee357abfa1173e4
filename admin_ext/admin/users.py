"""Placeholder: filled by the admin issue."""

"""Append-only audit log."""

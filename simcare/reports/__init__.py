"""Turning results into things people read: tables, files (and later plots and HTML)."""

"""Turning results into things people read: tables, files and charts (HTML reports to come)."""

"""Counts, disclosure control, CSV and PDF exports, printable cards (no Qt here)."""

"""Outreach: offline-first recording of anonymised outreach contacts and take-home naloxone."""

__version__ = "0.1.0"
APP_NAME = "Outreach"

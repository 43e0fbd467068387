"""Dialogs: errors, enrolment, passphrase and user management, void reason."""

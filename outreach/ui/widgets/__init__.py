"""Small reusable widgets: chips, scan field, passphrase strength."""

"""The PySide6 desktop app: windows, forms, table models and background ops over the core."""

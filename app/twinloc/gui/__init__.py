"""The PySide6 + pyvistaqt desktop application."""

"""The kernel's own features (auth, users, roles, tabs, plugins, health), built as a plugin."""

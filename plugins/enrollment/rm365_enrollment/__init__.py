"""RM365 Toolbox enrollment plugin: the people registry and their credentials."""

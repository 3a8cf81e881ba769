"""RM365 Toolbox sales data plugin."""

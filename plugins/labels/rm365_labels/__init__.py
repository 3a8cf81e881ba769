"""RM365 Toolbox labels plugin."""

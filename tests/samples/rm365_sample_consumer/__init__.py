"""Uses the optional ``sample.greeting`` service and works without it."""

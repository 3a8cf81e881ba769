"""Where the ordering samples record which hooks ran, in order (tests clear it)."""

CALLS: list[str] = []

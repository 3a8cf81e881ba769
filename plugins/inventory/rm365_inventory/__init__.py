"""RM365 inventory plugin: items, stock by location, atomic adjustments and scanner batches."""

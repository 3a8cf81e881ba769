"""Wants kernel API 2 or later: incompatible, never imported."""

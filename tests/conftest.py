"""Shared fixtures for the kernel's tests (the rm365 test kit is loaded as a pytest plugin)."""

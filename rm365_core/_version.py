"""The version of the kernel API that plugins declare in their manifest's ``core`` range."""

CORE_API_VERSION = "1.0"

"""Never imported: the kernel decides from plugin.toml alone that it cannot run."""

raise AssertionError("rm365_sample_needs_cycle was imported although its manifest rules it out")

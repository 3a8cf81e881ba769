"""Never imported: the kernel decides from plugin.toml alone that it cannot run."""

raise AssertionError("rm365_sample_cycle_b was imported although its manifest rules it out")

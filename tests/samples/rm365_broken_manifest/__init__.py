"""Its plugin.toml has an unknown key: failed with "bad manifest", never imported."""

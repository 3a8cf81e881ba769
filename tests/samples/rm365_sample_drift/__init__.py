"""A plugin whose models and migrations disagree: proof that the drift check sees it."""

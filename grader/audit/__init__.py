"""grade audit: graders that prove themselves (planted bugs, seeds, thresholds)."""

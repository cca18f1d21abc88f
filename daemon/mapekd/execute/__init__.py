"""Execute: whitelisted actions with timeouts, recorded before and after, then verified."""

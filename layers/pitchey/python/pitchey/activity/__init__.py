"""Activity feed: what followed creators and pitches did, fanned out to their followers when it happens."""

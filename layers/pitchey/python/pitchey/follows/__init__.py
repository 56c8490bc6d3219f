"""Follows: users following creators and pitches (with the pitch's follower counter kept in step)."""

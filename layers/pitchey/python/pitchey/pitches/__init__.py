"""Pitches: creation, publishing lifecycle, change history, media, likes, browse and trending."""

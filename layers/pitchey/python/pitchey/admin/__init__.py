"""Administration and moderation: user status, admin grants (issue #17)."""

"""Authentication: passwords, access tokens, sessions with rotating refresh tokens."""

"""Users: profiles for the three portals (creator, investor, production) and viewers."""

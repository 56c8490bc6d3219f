"""Investments: pledges on pitches through their lifecycle (pending → … → completed)."""

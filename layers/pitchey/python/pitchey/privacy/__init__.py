"""Privacy (GDPR): data export and account erasure."""

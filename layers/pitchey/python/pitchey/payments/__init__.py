"""Payments and credits: Stripe subscriptions and credit packs, the credit ledger and the spend hook."""

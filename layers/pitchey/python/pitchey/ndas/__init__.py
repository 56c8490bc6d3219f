"""NDAs: requests for a pitch's protected material, decided, signed and revoked through a Step Functions
workflow; the Ndas table is its read model."""

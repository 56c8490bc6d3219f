"""Production portal: projects proposed by production companies from pitches, their stages and budgets."""

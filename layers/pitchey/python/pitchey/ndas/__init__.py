"""NDAs: requests, decisions, signatures and the access they grant to protected pitch content."""

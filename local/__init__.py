"""pitchey-local: the embedded local runtime that serves template.yaml without Docker or AWS."""

"""Online experiments: team-draft interleaving of two relevance profiles, judged by shoppers' clicks."""

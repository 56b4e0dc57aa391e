"""Recognition: manager budgets, awards and badges, the points ledger, the rewards catalogue, feed and leaderboards."""

"""Customer feedback: survey import and webhook, KPIs and dashboards, follow-up cases."""

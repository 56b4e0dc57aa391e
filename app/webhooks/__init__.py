"""Outgoing webhooks: HR's endpoints, the events they receive, signed deliveries sent from the queue."""

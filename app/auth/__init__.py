"""Accounts, login and logout, role guards, user administration."""

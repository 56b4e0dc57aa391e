"""Notifications: what happened that a user should hear about, by e-mail (now or in a weekly digest) or on the home
page, in the user's language, sent once per event from the job queue."""

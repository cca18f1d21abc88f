"""Notifications: escalations and other notices delivered to webhook and e-mail sinks, off the
loop's path."""

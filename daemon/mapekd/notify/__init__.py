"""Notifications: escalations and other notices delivered to webhook sinks, off the loop's path."""

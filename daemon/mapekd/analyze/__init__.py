"""Analyze: rules over samples, symptoms, incidents."""

"""The monitoring stack: metrics, alarms and dashboard of the stage's runtime endpoint."""

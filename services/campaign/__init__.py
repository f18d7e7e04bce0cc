"""Campaign service: collected access becomes routed review tasks; decisions, escalation, close."""

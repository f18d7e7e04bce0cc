"""Campaign service: turns collected access into routed review tasks, records decisions, escalates and closes."""

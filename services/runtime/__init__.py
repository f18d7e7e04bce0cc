"""Running services: the shared context, the service registry, the local supervisor."""

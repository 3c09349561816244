"""Each service's own tests; one package per service."""

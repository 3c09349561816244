"""Contract suites that check a provider or a UDR through HTTP alone."""

"""A stand-in for OpenAM: an OpenID Connect provider on OpenAM's paths."""

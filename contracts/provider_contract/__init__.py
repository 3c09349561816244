"""The provider contract: any OpenID provider meant to play OpenAM's part."""

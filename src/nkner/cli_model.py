"""Model commands of the CLI (train, evaluate, extract): registered on :data:`nkner.cli.app`."""

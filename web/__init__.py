"""The web console: another front door onto the same services as the chat and the CLI."""

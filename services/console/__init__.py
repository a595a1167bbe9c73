"""What the web console shows, read through repositories in a bounded number of statements.
The rules come from the same domain functions the chat, the CLI and the scheduler use."""

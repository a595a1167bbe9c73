"""What Tepai says on its own initiative: each feature's messages rendered in the recipient's
language, who is told, and the outbox they are queued in (in the caller's transaction)."""

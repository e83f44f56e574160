"""The outbox: every reply is stored before it is sent, and sent exactly once."""

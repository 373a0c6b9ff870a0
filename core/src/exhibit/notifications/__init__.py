"""Messages to witnesses and officers: the notifier contract, delivery records, the outbox."""

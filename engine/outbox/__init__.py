"""The outbox: notices written with the change that causes them, claimed for delivery."""

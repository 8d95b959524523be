"""Cases: opening, firing transitions, assigning, commenting, and the read models of them."""

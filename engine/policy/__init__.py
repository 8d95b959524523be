"""Who may see a case and act on it: each rule once, its Python form beside its SQL form."""

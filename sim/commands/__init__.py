"""Subcommands of `smev-sim`, one module each."""

"""The officer web app, through HTTP against the real app."""

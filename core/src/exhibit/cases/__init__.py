"""Cases: the investigation that evidence requests and items belong to."""

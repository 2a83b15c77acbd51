"""Synthetic extracts for one local authority: a simulation (``model``) and writers for every
input format the service reads (``writers``). Used for demos, load tests and reader tests;
no real child is described."""

"""Offline benchmark of the agent against the reference design: cold start, latency, concurrency, memory, synth."""

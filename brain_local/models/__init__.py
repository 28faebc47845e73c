"""The model backends behind the offline Bedrock endpoint: the scripted test double
(:mod:`.scripted`) and the real small local model, SmolLM2-135M (:mod:`.smollm2`)."""

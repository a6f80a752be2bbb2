"""Understanding a villager's message: the knowledge base, text normalisation, intents, topic ranking (pure)."""

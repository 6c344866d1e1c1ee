"""Test support shared by every test package: the scripted model, its OpenAI stub and process helpers."""

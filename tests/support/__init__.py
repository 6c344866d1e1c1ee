"""Test support shared by every test package: the scripted model and its gate, the deployed stack and its calls."""

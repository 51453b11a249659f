"""FastAPI service: thin routes over the models package."""

"""Acquire: take data from outside (the Hub, an MLflow registry) into snapshot folders; never run by the build."""

"""Model-backed classifiers that are not about faces: the prompt classifier and its text normalisation."""

"""The joint Chinese BERT: measure labels on [CLS] and BIO entity tags per token."""

//! Tier suggestion.

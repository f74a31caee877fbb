//! Shared helpers for the black-box tests in `it/`.

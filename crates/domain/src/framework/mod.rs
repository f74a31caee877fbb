//! Threshold frameworks.

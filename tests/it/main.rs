//! Black-box tests: the real `caseline` binary, started on a random port over a fresh store,
//! spoken to over HTTP (and its command line).

// A failed unwrap is a failed test, with its line: what a test should do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod access;
mod cache;
mod cli;
mod consistency;
mod errors;
mod hardening;
mod integrity;
mod journey;
mod operations;
mod retries;
mod returns;
mod review;
mod roundtrip;
mod servers;
mod signin;
